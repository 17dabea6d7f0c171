import { existsSync, readFileSync } from 'node:fs';

/**
 * The records of a JSON-lines file (manifest.jsonl, sent.jsonl), or none when it does not exist.
 * A line cut short by a hard stop is skipped: what it recorded is done again.
 */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const records: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      // cut short
    }
  }
  return records;
}
