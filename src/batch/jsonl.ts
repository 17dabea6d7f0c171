import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../files';

/**
 * A JSON-lines file's bytes (manifest.jsonl, sent.jsonl), or undefined when it does not exist.
 * Read only as a regular file: a named pipe or a device put in its place (an edited output
 * folder) would hold the run waiting, or reading for ever.
 */
export function readJsonLinesFile(file: string): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  return readRegularFile(file, {
    what: `${path.basename(file)} of the output folder`,
    hint: 'Remove it, or put back the file an earlier run wrote.',
  });
}

/** A line of a JSON-lines file: its record (undefined when it is not JSON), its number (from 1) and its bytes (start to end, without the line break). */
export interface JsonLine<T> {
  record: T | undefined;
  line: number;
  text: string;
  start: number;
  end: number;
  /** Whether a line break ends it (the last line of a file cut short by a hard stop has none). */
  ended: boolean;
}

/** The lines of a JSON-lines file that are not blank, one at a time: a long manifest is never held as text and records at once. */
export function* jsonLines<T>(bytes: Buffer): Generator<JsonLine<T>> {
  let line = 0;
  for (let start = 0; start < bytes.length; ) {
    line++;
    const found = bytes.indexOf(0x0a, start);
    const end = found < 0 ? bytes.length : found;
    const text = bytes.toString('utf8', start, end);
    if (text.trim()) {
      let record: T | undefined;
      try {
        record = JSON.parse(text) as T;
      } catch {
        record = undefined;
      }
      yield { record, line, text, start, end, ended: found >= 0 };
    }
    start = end + 1;
  }
}

/**
 * The records of a JSON-lines file with their line numbers (from 1), none when it does not exist,
 * and the lines that are not JSON (`unreadable`: damaged, or edited by hand), but for a last line
 * with no line break after it, cut short by a hard stop while it was being written, which is
 * skipped: what it recorded is done again.
 */
export function readJsonLinesOf<T>(file: string): { records: { record: T; line: number }[]; unreadable: { line: number; text: string }[] } {
  const out = { records: [] as { record: T; line: number }[], unreadable: [] as { line: number; text: string }[] };
  const bytes = readJsonLinesFile(file);
  if (!bytes) return out;
  for (const l of jsonLines<T>(bytes)) {
    if (l.record !== undefined) out.records.push({ record: l.record, line: l.line });
    else if (l.ended) out.unreadable.push({ line: l.line, text: l.text });
  }
  return out;
}
