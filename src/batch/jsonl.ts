import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../files';

/**
 * The records of a JSON-lines file (manifest.jsonl, sent.jsonl), or none when it does not exist.
 * A line cut short by a hard stop is skipped: what it recorded is done again. Read only as a
 * regular file: a named pipe or a device put in its place (an edited output folder) would hold
 * the run waiting, or reading for ever.
 */
export function readJsonLines<T>(file: string): T[] {
  return readJsonLinesOf<T>(file).records.map((r) => r.record);
}

/**
 * The records of a JSON-lines file with their line numbers (from 1), and the lines that are not
 * JSON (`unreadable`: damaged, or edited by hand), but for a last line with no line break after
 * it, cut short by a hard stop while it was being written, which is skipped.
 */
export function readJsonLinesOf<T>(file: string): { records: { record: T; line: number }[]; unreadable: { line: number; text: string }[] } {
  const out = { records: [] as { record: T; line: number }[], unreadable: [] as { line: number; text: string }[] };
  if (!existsSync(file)) return out;
  const text = readRegularFile(file, {
    what: `${path.basename(file)} of the output folder`,
    hint: 'Remove it, or put back the file an earlier run wrote.',
  }).toString('utf8');
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    try {
      out.records.push({ record: JSON.parse(line) as T, line: i + 1 });
    } catch {
      if (i < lines.length - 1) out.unreadable.push({ line: i + 1, text: line });
    }
  }
  return out;
}
