import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { generate, shardOf } from '../../src/batch/generate';
import type { ManifestEntry } from '../../src/batch/generate';
import { BIN, ROOT, row, tempDir, writeCsv } from '../helpers';

function manyRows(n: number): string[][] {
  const langs = ['es', 'en', 'fr', 'ru', 'zh', 'ar'];
  return Array.from({ length: n }, (_, i) =>
    row({ id: `p${String(i).padStart(4, '0')}`, language: langs[i % langs.length], last_name: `Person${i}`, address: 'Street 1', email: `person${i}@example.org` }),
  );
}

function manifest(out: string): ManifestEntry[] {
  return readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestEntry);
}

/** Every manifest entry's files exist with the recorded size and hash. */
function allWhole(out: string): boolean {
  return manifest(out).every((e) =>
    [e.files!.pdf, e.files!.eml].every((f) => {
      const data = readFileSync(path.join(out, f.path));
      return data.length === f.bytes && createHash('sha256').update(data).digest('hex') === f.sha256;
    }),
  );
}

describe('batch control', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('splits rows into shards by id: together they make every letter exactly once', async () => {
    const bad = [row({ id: 'bad1', email: 'x' }), row({ id: 'bad2', group: 'press' }), row({ id: 'bad3', language: 'xx' })];
    const csv = writeCsv(t.dir, 'many.csv', [...manyRows(60), ...bad]);
    const ids: string[] = [];
    const failed: string[] = [];
    for (let k = 1; k <= 3; k++) {
      const r = await generate({ csv, out: path.join(t.dir, `shard-${k}`), shard: { index: k, count: 3 }, jobs: 2 });
      expect(r.produced).toBeGreaterThan(5);
      ids.push(...manifest(path.join(t.dir, `shard-${k}`)).map((e) => e.id));
      failed.push(...r.failures.map((f) => f.id ?? ''));
    }
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    // Each bad row is reported by exactly one shard.
    expect(failed.sort()).toEqual(['bad1', 'bad2', 'bad3']);
    // Stable on every machine and in every version: FNV-1a of the id's UTF-8 bytes, modulo N. The
    // expected shards were computed by a separate implementation (Python), not by shardOf.
    expect([2, 3, 7].map((n) => shardOf('p0007', n))).toEqual([1, 3, 7]);
    expect([2, 3, 7].map((n) => shardOf('gov-es-001', n))).toEqual([1, 3, 7]);
    expect([2, 3, 7].map((n) => shardOf('中文-id', n))).toEqual([2, 3, 1]);
    expect([2, 3, 7].map((n) => shardOf('a', n))).toEqual([1, 2, 6]);
  });

  it('leaves a broken row of another language to that language\'s run, as a shard leaves it to its shard (it failed the English run: exit 4, the row in its failed.csv)', async () => {
    const csv = writeCsv(t.dir, 'langs.csv', [row({ id: 'en1', language: 'en' }), row({ id: 'zh1', language: 'zh', email: 'broken@' }), row({ id: 'en2', language: 'en', email: 'also@' }), row({ id: 'xx1', language: 'xx' })]);
    const en = await generate({ csv, out: path.join(t.dir, 'en'), languages: ['en'], jobs: 1 });
    // The English run fails its own broken row, and one whose language cannot be read (it may be its).
    expect(en.failures.map((f) => f.id).sort()).toEqual(['en2', 'xx1']);
    expect(en).toMatchObject({ produced: 1, skipped: 1 });
    const zh = await generate({ csv, out: path.join(t.dir, 'zh'), languages: ['zh'], jobs: 1 });
    expect(zh.failures.map((f) => f.id).sort()).toEqual(['xx1', 'zh1']);
    expect(zh).toMatchObject({ produced: 0, skipped: 2 });
    // The proof of one language, the same.
    const { proof } = await import('../../src/batch/proof');
    const p = await proof({ csv, out: path.join(t.dir, 'en.pdf'), languages: ['en'] });
    expect(p.failures.map((f) => f.id).sort()).toEqual(['en2', 'xx1']);
    // And one of a group the proof leaves out, when its group reads (row() gives academia).
    const g = await proof({ csv, out: path.join(t.dir, 'gov.pdf'), groups: ['government'] });
    expect(g.failures.map((f) => f.id).sort()).toEqual([]);
    expect(g).toMatchObject({ letters: 0, skipped: 4 });
  });

  it('says so when a shard has none of the rows (more shards than a list of a few rows fills)', async () => {
    const csv = writeCsv(t.dir, 'one.csv', [row({ id: 'a' })]);
    const empty = await generate({ csv, out: path.join(t.dir, 'one-1'), shard: { index: 1, count: 7 }, jobs: 1 });
    expect(empty.produced).toBe(0);
    expect(empty.notices).toContainEqual(expect.stringMatching(/^shard 1\/7 has none of the list's 1 row: each row goes to one shard, by its id/));
    const full = await generate({ csv, out: path.join(t.dir, 'one-6'), shard: { index: 6, count: 7 }, jobs: 1 });
    expect(full.produced).toBe(1);
    expect(full.notices.filter((n) => n.startsWith('shard'))).toEqual([]);
  });

  it('stops cleanly when asked and finishes with resume: every letter present and whole', async () => {
    const csv = writeCsv(t.dir, 'many.csv', manyRows(40));
    const out = path.join(t.dir, 'out');
    const controller = new AbortController();
    const first = await generate({
      csv,
      out,
      jobs: 2,
      signal: controller.signal,
      onProgress: (e) => e.done === 5 && controller.abort(),
    });
    expect(first.interrupted).toBe(true);
    expect(first.produced).toBeGreaterThanOrEqual(5);
    expect(first.produced).toBeLessThan(40);
    const leftovers = readdirSync(out, { recursive: true }).filter((f) => String(f).includes('.partial-'));
    expect(leftovers).toEqual([]);
    expect(allWhole(out)).toBe(true);

    // Damage one finished letter: resume must make it again.
    const damaged = manifest(out)[0];
    writeFileSync(path.join(out, damaged.files!.pdf.path), 'truncated');
    const second = await generate({ csv, out, jobs: 2, resume: true });
    expect(second.interrupted).toBe(false);
    expect(second.kept).toBe(first.produced - 1);
    expect(second.produced).toBe(40 - second.kept);
    const entries = manifest(out);
    expect(entries.map((e) => e.id)).toEqual(manyRows(40).map((r) => r[0]));
    expect(allWhole(out)).toBe(true);

    // A run that keeps every letter starts no worker thread; one found damaged is still made.
    writeFileSync(path.join(out, entries[3].files!.eml.path), 'truncated');
    const third = await generate({ csv, out, jobs: 2, resume: true });
    expect([third.jobs, third.kept, third.produced]).toEqual([1, 39, 1]);
    expect(allWhole(out)).toBe(true);
  });

  it('gives the same bytes with worker threads as in one thread', async () => {
    const csv = writeCsv(t.dir, 'many.csv', manyRows(18));
    await generate({ csv, out: path.join(t.dir, 'one'), jobs: 1 });
    await generate({ csv, out: path.join(t.dir, 'two'), jobs: 2 });
    expect(readFileSync(path.join(t.dir, 'two', 'manifest.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(t.dir, 'one', 'manifest.jsonl'), 'utf8'),
    );
  });

  it("makes the same bytes for a letter whatever letters were made before it (fontkit's shared glyphs)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { variedCsv } = require('../../bench/varied') as { variedCsv: (n: number, lang: string, seed: number) => string };
    const [header, ...rows] = variedCsv(80, 'mix', 3).trimEnd().split(/\n(?=v[a-z]{2}-)/);
    const forward = path.join(t.dir, 'forward.csv');
    const backward = path.join(t.dir, 'backward.csv');
    writeFileSync(forward, [header, ...rows].join('\n') + '\n');
    writeFileSync(backward, [header, ...rows.reverse()].join('\n') + '\n');
    for (const [csv, out] of [[forward, 'f'], [backward, 'b']]) {
      const p = spawnSync(process.execPath, [BIN, 'generate', csv, '--out', path.join(t.dir, out), '--jobs', '1'], { cwd: ROOT, encoding: 'utf8' });
      expect(p.status).toBe(0);
    }
    const f = manifest(path.join(t.dir, 'f'));
    const b = new Map(manifest(path.join(t.dir, 'b')).map((e) => [`${e.language}/${e.id}`, e]));
    expect(f).toHaveLength(80);
    for (const e of f) {
      const other = b.get(`${e.language}/${e.id}`)!;
      expect([e.id, other.files!.pdf.sha256, other.files!.eml.sha256]).toEqual([e.id, e.files!.pdf.sha256, e.files!.eml.sha256]);
    }
  });

  it('makes only the first N letters with limit', async () => {
    const csv = writeCsv(t.dir, 'many.csv', manyRows(12));
    const r = await generate({ csv, out: path.join(t.dir, 'out'), limit: 4, jobs: 1 });
    expect(r.produced).toBe(4);
    expect(manifest(r.out).map((e) => e.id)).toEqual(['p0000', 'p0001', 'p0002', 'p0003']);
  });

  it('prints no progress noise when stderr is not a terminal, and JSON on stdout', () => {
    const csv = writeCsv(t.dir, 'many.csv', manyRows(6));
    const out = path.join(t.dir, 'out');
    const p = spawnSync(process.execPath, [BIN, 'generate', csv, '--out', out, '--json', '--jobs', '2'], { cwd: ROOT, encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ produced: 6, jobs: 2, interrupted: false });
    expect(p.stderr).not.toMatch(/\r|\u001b/);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(out, 'manifest.jsonl'))).toBe(true);
  });

  it('refuses a malformed shard or job count as a usage error', () => {
    for (const args of [['--shard', '4/3'], ['--shard', 'x'], ['--jobs', '0'], ['--limit', '-1']]) {
      const p = spawnSync(process.execPath, [BIN, 'generate', 'samples/recipients.csv', ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(p.status).toBe(2);
    }
  });
});
