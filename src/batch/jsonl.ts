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
  if (!existsSync(file)) return [];
  const text = readRegularFile(file, {
    what: `${path.basename(file)} of the output folder`,
    hint: 'Remove it, or put back the file an earlier run wrote.',
  }).toString('utf8');
  const records: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      // cut short
    }
  }
  return records;
}
