import type { Envelope } from './produce';
import { firstFew } from '../text/suggest';
import { readJsonLinesOf } from './jsonl';

export interface OutputFile {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * One line of manifest.jsonl: one letter (a recipient in one language).
 * - `ok`: made from the current input; its files are in the folder, with these sizes and hashes.
 * - `failed`: this letter could not be made; `error` says why.
 * - `stale`: made from an earlier version of its input (the row, the campaign or lettermerge
 *   changed) by a run that did not cover it; `send` refuses it until generate makes it again.
 */
export interface ManifestEntry {
  id: string;
  language: string;
  line: number;
  status: 'ok' | 'failed' | 'stale';
  /** Hash of everything the letter is made from (see keys.ts); --resume keeps a letter only when it matches. */
  key?: string;
  files?: { pdf: OutputFile; eml: OutputFile };
  pages?: number;
  /** The e-mail's envelope and Message-ID, for `lettermerge send`. */
  envelope?: Envelope;
  error?: { field?: string; message: string };
}

export const MANIFEST = 'manifest.jsonl';

export function letterId(e: { language: string; id: string }): string {
  return `${e.language}/${e.id}`;
}

/**
 * The manifest's letters, the last record of each winning: a run appends records as letters
 * finish and rewrites the file in input order at the end, so a run stopped midway leaves an
 * earlier record followed by the newer one. A last line cut short by a hard stop is skipped; so
 * is any other line that is not a letter's record (damaged, or edited by hand), whose number is
 * added to `unreadable` when it is given.
 */
export function readManifest(file: string, unreadable?: number[]): Map<string, ManifestEntry> {
  const entries = new Map<string, ManifestEntry>();
  const { records, unreadable: notJson } = readJsonLinesOf<ManifestEntry>(file);
  const skipped = notJson.map((l) => l.line);
  for (const { record: e, line } of records) {
    if (!e || typeof e !== 'object' || typeof e.id !== 'string' || typeof e.language !== 'string') {
      skipped.push(line);
      continue;
    }
    const k = letterId(e);
    entries.delete(k); // keep the order of the latest record
    entries.set(k, e);
  }
  unreadable?.push(...skipped.sort((a, b) => a - b));
  return entries;
}

/** A note on the lines of manifest.jsonl that readManifest skipped, for the run that read it; undefined when none. */
export function unreadableNote(lines: number[], consequence: string): string | undefined {
  if (lines.length === 0) return undefined;
  return `${lines.length === 1 ? 'line' : 'lines'} ${firstFew(lines.map(String))} of ${MANIFEST} ${lines.length === 1 ? 'is' : 'are'} not a letter's record (damaged, or edited by hand) and ${lines.length === 1 ? 'was' : 'were'} skipped: ${consequence}`;
}
