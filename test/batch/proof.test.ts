import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestEntry } from '../../src/batch/generate';
import { proof } from '../../src/batch/proof';
import { HEADER, SAMPLE_CSV, cli, hasCommand, row, tempDir, writeCsv } from '../helpers';

/** The outline (title, page index, children) and page labels of a PDF, read by pdf.js in a child process. */
function outlineOf(file: string): { pages: number; labels: string[]; outline: { title: string; page: number; items: { title: string; page: number }[] }[] } {
  const script = `
import { readFileSync } from 'node:fs';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
const doc = await getDocument({ data: new Uint8Array(readFileSync(process.argv[1])), verbosity: 0 }).promise;
const page = async (dest) => doc.getPageIndex(Array.isArray(dest) ? dest[0] : (await doc.getDestination(dest))[0]);
const outline = [];
for (const o of (await doc.getOutline()) ?? []) {
  const items = [];
  for (const c of o.items) items.push({ title: c.title, page: await page(c.dest) });
  outline.push({ title: o.title, page: await page(o.dest), items });
}
process.stdout.write(JSON.stringify({ pages: doc.numPages, labels: (await doc.getPageLabels()) ?? [], outline }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], { cwd: path.join(__dirname, '..', '..') });
  return JSON.parse(out.toString()) as ReturnType<typeof outlineOf>;
}

const text = (file: string, first: number, last = first) => execFileSync('pdftotext', ['-f', String(first), '-l', String(last), '-layout', file, '-']).toString();

(hasCommand('pdftoppm') && hasCommand('pdftotext') ? describe : describe.skip)('proof', () => {
  const t = tempDir();
  let file: string;
  let generated: string;
  let manifest: ManifestEntry[];
  let json: { letters: number; pages: number; byLanguage: Record<string, number>; byGroup: Record<string, number> };

  beforeAll(async () => {
    file = path.join(t.dir, 'proof.pdf');
    const r = await cli(['proof', SAMPLE_CSV, '--out', file, '--json']);
    expect(r.code).toBe(0);
    json = JSON.parse(r.stdout);
    generated = path.join(t.dir, 'out');
    expect((await cli(['generate', SAMPLE_CSV, '--out', generated])).code).toBe(0);
    manifest = readFileSync(path.join(generated, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
  }, 120_000);
  afterAll(() => t.cleanup());

  it('opens with the counts by language and group, then holds every letter, each from a new page', () => {
    const first = text(file, 1);
    expect(first).toMatch(/Proof of wsis-trust-fund-2022/);
    expect(first).toMatch(/This proof holds 23 letters made from recipients\.csv/);
    expect(first).toMatch(/Español \(es\): 6 — government 2, private-sector 1, civil-society 1, academia 1,\s+international-organization 1/);
    expect(first).toMatch(/No failed rows/);
    // The names of the campaign and the groups are never broken at their hyphens ("wsis-trust-" |
    // "fund-2022"), and the word joiner that keeps them whole is not in the text.
    expect(first).toMatch(/\bwsis-trust-fund-2022\b/);
    expect(first).not.toMatch(/(wsis|trust|fund|private|civil|international)-\n/);
    expect(first).not.toContain('\u2060');
    const { pages, labels } = outlineOf(file);
    expect(pages).toBe(1 + manifest.reduce((n, e) => n + (e.pages ?? 0), 0));
    expect(labels.slice(0, 4)).toEqual(['i', 'gov-es-001 es 1', 'gov-es-001 es 2', 'gov-es-002 es 1']);
    expect(json).toMatchObject({ letters: 23, pages, byLanguage: { es: 6, en: 8, fr: 3, ru: 2, zh: 2, ar: 2 } });
  });

  it('bookmarks the summary, then each language, then each letter as "id — full name" at its first page', () => {
    const { outline, labels } = outlineOf(file);
    expect(outline.map((o) => o.title)).toEqual(['Summary', 'Español (es)', 'English (en)', 'Français (fr)', 'Русский (ru)', '中文 (zh)', 'العربية (ar)']);
    expect(outline[0].page).toBe(0);
    const es = outline[1];
    expect(es.items[0]).toEqual({ title: 'gov-es-001 — María José Echeverría Salinas', page: 1 });
    for (const o of outline.slice(1)) {
      for (const item of o.items) expect(labels[item.page]).toBe(`${item.title.split(' — ')[0]} ${o.title.match(/\((\w+)\)$/)![1]} 1`);
    }
    expect(outline.slice(1).reduce((n, o) => n + o.items.length, 0)).toBe(23);
  });

  it('draws each letter exactly as its own PDF, page for page', () => {
    const { outline } = outlineOf(file);
    for (const [lang, id] of [
      ['es', 'gov-es-001'],
      ['ar', 'gov-ar-019'],
      ['zh', 'intl-zh-017'],
    ]) {
      const start = outline.find((o) => o.title.endsWith(`(${lang})`))!.items.find((i) => i.title.startsWith(id))!.page;
      const own = path.join(generated, lang, `${id}.pdf`);
      const n = manifest.find((e) => e.id === id && e.language === lang)!.pages!;
      execFileSync('pdftoppm', ['-gray', '-r', '40', own, path.join(t.dir, `own-${id}`)]);
      execFileSync('pdftoppm', ['-gray', '-r', '40', '-f', String(start + 1), '-l', String(start + n), file, path.join(t.dir, `proof-${id}`)]);
      const own_ = readdirSync(t.dir).filter((f) => f.startsWith(`own-${id}-`)).sort();
      const proof_ = readdirSync(t.dir).filter((f) => f.startsWith(`proof-${id}-`)).sort();
      expect(proof_).toHaveLength(n);
      own_.forEach((f, k) => expect(readFileSync(path.join(t.dir, proof_[k])).equals(readFileSync(path.join(t.dir, f)))).toBe(true));
    }
  });

  it('lists failed rows with their reasons on the first page, keeps to --lang, --group and --limit, and exits 4', async () => {
    const csv = writeCsv(t.dir, 'some.csv', [
      row({ id: 'ok1', language: 'es', group: 'government' }),
      row({ id: 'bad1', language: 'es', group: 'government', email: 'jane.doe@' }),
      row({ id: 'ok2', language: 'es', group: 'academia' }),
      row({ id: 'ok3', language: 'es', group: 'government' }),
      row({ id: 'en1', language: 'en', group: 'government' }),
    ], HEADER);
    const out = path.join(t.dir, 'some.pdf');
    const r = await cli(['proof', csv, '--out', out, '--lang', 'es', '--group', 'government', '--limit', '1', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ letters: 1, byLanguage: { es: 1 }, byGroup: { government: 1 } });
    const first = text(out, 1);
    expect(first).toMatch(/1 failed row/);
    expect(first).toMatch(/line 4, id bad1, email: .*jane\.doe@/);
    expect(first).toMatch(/\(languages es; groups government; the first letter\)/);
    expect(outlineOf(out).outline[1].items.map((i) => i.title)).toEqual([expect.stringMatching(/^ok1 — /)]);
  });

  it('says how many letters --lang and --group left out: a proof of none says why (it said only "the proof of 0 letters")', async () => {
    const csv = writeCsv(t.dir, 'es.csv', [row({ id: 'es1', language: 'es', group: 'government' }), row({ id: 'es2', language: 'es, en', group: 'academia' })], HEADER);
    const none = await cli(['proof', csv, '--out', path.join(t.dir, 'none.pdf'), '--lang', 'zh', '--json']);
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/^Wrote the proof of 0 letters \(1 page\) to .*none\.pdf in [\d.]+ s; 3 letters of the list skipped by --lang\.$/m);
    expect(JSON.parse(none.stdout)).toMatchObject({ letters: 0, skipped: 3 });
    expect(text(path.join(t.dir, 'none.pdf'), 1).replace(/\s+/g, ' ')).toMatch(/This proof holds 0 letters made from es\.csv with the campaign \S+ \(languages zh\), which leaves out 3 letters of the list\./);
    const some = await cli(['proof', csv, '--out', path.join(t.dir, 'some.pdf'), '--lang', 'es', '--group', 'academia']);
    expect(some.stderr).toMatch(/^Wrote the proof of 1 letter \(\d+ pages?\) to .*some\.pdf in [\d.]+ s; 2 letters of the list skipped by --lang and --group\.$/m);
  });

  it('says on its first page, and on stderr, what it notes of the list: its encoding, an address on two rows', async () => {
    // Saved by a program that writes Latin-1.
    const csv = writeCsv(t.dir, 'latin1.csv', [row({ id: 'a', last_name: 'Pérez', email: 'same@example.org' }), row({ id: 'b', last_name: 'Núñez', email: 'same@example.org' })]);
    writeFileSync(csv, Buffer.from(readFileSync(csv, 'utf8'), 'latin1'));
    const out = path.join(t.dir, 'notes.pdf');
    const r = await cli(['proof', csv, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: the file is not UTF-8; it was read as Windows-1252/);
    expect(JSON.parse(r.stdout).notices).toEqual([expect.stringMatching(/^the file is not UTF-8/), expect.stringMatching(/^an e-mail address is on more than one row: same@example\.org \(lines 2, 4\)/)]);
    const first = text(out, 1);
    expect(first).toMatch(/Notes on the list/);
    expect(first).toMatch(/The file is not UTF-8; it was read as Windows-1252/);
    expect(first).toMatch(/An e-mail address is on more than one row: same@example\.org \(lines 2, 4\)/);
  });

  it('writes nothing when the file as a whole cannot be used', async () => {
    const csv = writeCsv(t.dir, 'dup.csv', [row({ id: 'a' }), row({ id: 'b' }), row({ id: 'A' })]);
    const out = path.join(t.dir, 'dup.pdf');
    const r = await cli(['proof', csv, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/id "A" is used twice/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('dup.pdf.partial'))).toEqual([]);
  });

  it('writes nothing when stopped part-way, since a proof that stops short would read as complete', async () => {
    const out = path.join(t.dir, 'stopped.pdf');
    const controller = new AbortController();
    const seen: string[] = [];
    const r = await proof({
      csv: SAMPLE_CSV,
      out,
      signal: controller.signal,
      onProgress: (e) => {
        seen.push(e.id);
        if (seen.length === 3) controller.abort();
      },
    });
    expect(r).toMatchObject({ interrupted: true, letters: 3 });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(t.dir).filter((f) => f.startsWith('stopped.pdf'))).toEqual([]);
  });

  it('counts letters by language and group in generate --json too', async () => {
    const r = await cli(['generate', SAMPLE_CSV, '--out', path.join(t.dir, 'again'), '--json']);
    const g = JSON.parse(r.stdout) as { byLanguage: Record<string, number>; byGroup: Record<string, number> };
    expect(g.byLanguage).toEqual(json.byLanguage && Object.fromEntries(Object.entries(json.byLanguage).sort(([a], [b]) => (a < b ? -1 : 1))));
    expect(g.byGroup).toEqual(Object.fromEntries(Object.entries(json.byGroup).sort(([a], [b]) => (a < b ? -1 : 1))));
  });
});
