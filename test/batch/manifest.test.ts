import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../../src/batch/generate';
import type { ManifestEntry } from '../../src/batch/manifest';
import { ManifestWriter } from '../../src/batch/output';
import { send } from '../../src/batch/send';
import { HEADER, campaignCopy, cli, flatText, inspectPdfs, row, tempDir, writeCsv } from '../helpers';
import { startServer } from '../helpers/smtp';

/** The manifest as a file holds it: every line, in order. */
function lines(out: string): ManifestEntry[] {
  return readFileSync(path.join(out, 'manifest.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestEntry);
}

const people = (overrides: Record<string, Record<string, string>> = {}) =>
  ['a', 'b', 'c', 'd', 'e'].map((id, i) => row({ id, language: i % 2 ? 'es' : 'en', last_name: `Person-${id}`, address: 'Street 1', email: `${id}@example.org`, ...(overrides[id] ?? {}) }));

describe('the manifest describes every letter of the current input', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('keeps the letters of a full run when a narrower run follows (--lang with --resume, --limit, --shard)', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people());
    const out = path.join(t.dir, 'out');
    await generate({ csv, out, jobs: 1 });
    const all = lines(out).map((e) => `${e.language}/${e.id}`);
    expect(all).toHaveLength(5);

    const es = await generate({ csv, out, jobs: 1, resume: true, languages: ['es'] });
    expect(es).toMatchObject({ kept: 2, produced: 0 });
    expect(lines(out).map((e) => `${e.language}/${e.id}`)).toEqual(all);

    const three = await generate({ csv, out, jobs: 1, limit: 3 });
    expect(three.produced).toBe(3);
    expect(lines(out).map((e) => `${e.language}/${e.id}`)).toEqual(all);
    expect(lines(out).every((e) => e.status === 'ok')).toBe(true);

    await generate({ csv, out, jobs: 1, shard: { index: 1, count: 2 } });
    expect(lines(out).map((e) => `${e.language}/${e.id}`)).toEqual(all);

    // send would deliver all of them
    const s = await startServer();
    try {
      expect(await send({ out, smtp: `smtp://127.0.0.1:${s.port}` })).toMatchObject({ dryRun: true, pending: 5, refused: 0 });
    } finally {
      await s.close();
    }
  });

  it('takes out, and moves aside, the letters of recipients no longer in the input, and says so', async () => {
    const out = path.join(t.dir, 'out');
    await generate({ csv: writeCsv(t.dir, 'p.csv', people()), out, jobs: 1 });
    // "b" asked to be removed from the list; "c" now gets only its English letter (was en).
    const fewer = people({ c: { language: 'es' } }).filter((r) => r[0] !== 'b');
    const r = await cli(['generate', writeCsv(t.dir, 'q.csv', fewer), '--out', out, '--lang', 'en', '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 letters of earlier runs belong to recipients or languages no longer in .*q\.csv: taken out of the manifest \(not sendable\), files moved to .*removed\//);
    const ids = lines(out).map((e) => `${e.language}/${e.id}`);
    expect(ids).not.toContain('es/b');
    expect(ids).not.toContain('en/c');
    expect(existsSync(path.join(out, 'es', 'b.pdf'))).toBe(false);
    expect(readdirSync(path.join(out, 'removed', 'es')).sort()).toEqual(['b.eml', 'b.pdf']);
    expect(readdirSync(path.join(out, 'removed', 'en')).sort()).toEqual(['c.eml', 'c.pdf']);
    // c's Spanish letter is new to the input and outside --lang en: not made, not listed.
    expect(ids).not.toContain('es/c');
  });

  it('makes a fixed failed.csv into the same folder and keeps the other letters (they were taken out as recipients who left)', async () => {
    const out = path.join(t.dir, 'out');
    const first = await cli(['generate', writeCsv(t.dir, 'p.csv', people({ b: { language: 'pt' }, d: { email: 'not-an-address' } })), '--out', out, '--jobs', '1']);
    expect(first.code).toBe(4);
    expect(lines(out).map((e) => e.id)).toEqual(['a', 'c', 'e']);
    const failed = path.join(out, 'failed.csv');
    // b is fixed; d is not yet.
    writeFileSync(failed, readFileSync(failed, 'utf8').replace(',pt,', ',es,'));
    const again = await cli(['generate', failed, '--out', out, '--jobs', '1']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/note: failed\.csv is a failed\.csv \(its last column is "error"\): its rows are made as the failed rows, fixed, and the other letters of the output folder are kept as they are/);
    expect(again.stderr).not.toMatch(/no longer in/);
    expect(lines(out).map((e) => `${e.language}/${e.id}`).sort()).toEqual(['en/a', 'en/c', 'en/e', 'es/b']);
    expect(existsSync(path.join(out, 'removed'))).toBe(false);
    // failed.csv now holds d alone, with one error column (its old reason replaced), and reads again.
    const still = readFileSync(failed, 'utf8').trim().split('\r\n');
    expect(still).toHaveLength(2);
    expect(still[0]).toBe(`${HEADER},error`);
    expect(still[1]).toMatch(/^d,.*,"line 3, email: ""not-an-address"" is not an e-mail address"$/);
    writeFileSync(failed, readFileSync(failed, 'utf8').replace('not-an-address', 'd@example.org'));
    expect((await cli(['generate', failed, '--out', out, '--jobs', '1'])).code).toBe(0);
    expect(existsSync(failed)).toBe(false);
    expect(lines(out).map((e) => `${e.language}/${e.id}`).sort()).toEqual(['en/a', 'en/c', 'en/e', 'es/b', 'es/d']);
  });

  it('does not say it moved the files of a removed letter when they were already gone', async () => {
    const out = path.join(t.dir, 'out');
    await generate({ csv: writeCsv(t.dir, 'p.csv', people()), out, jobs: 1 });
    // The user deleted b's files by hand, then took b off the list.
    rmSync(path.join(out, 'es', 'b.pdf'));
    rmSync(path.join(out, 'es', 'b.eml'));
    const r = await cli(['generate', writeCsv(t.dir, 'q.csv', people().filter((p) => p[0] !== 'b')), '--out', out, '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/1 letter of earlier runs belongs to recipients or languages no longer in .*q\.csv: taken out of the manifest \(not sendable\), no files of it left in the folder to move\./);
    expect(existsSync(path.join(out, 'removed'))).toBe(false);
    expect(lines(out).map((e) => e.id)).not.toContain('b');
  });

  it('makes a letter again on --resume when its row changed, and keeps the rest', async () => {
    const out = path.join(t.dir, 'out');
    await generate({ csv: writeCsv(t.dir, 'p.csv', people()), out, jobs: 1 });
    const changed = writeCsv(t.dir, 'p.csv', people({ c: { last_name: 'Renamed' } }));
    const r = await generate({ csv: changed, out, jobs: 1, resume: true });
    expect(r).toMatchObject({ kept: 4, produced: 1, remade: { changed: 1, altered: [] } });
    expect(flatText(inspectPdfs([path.join(out, 'en', 'c.pdf')])[0])).toContain('Renamed');
  });

  it('says on --resume which letters it made again because their files were missing or edited, and which because their input changed', async () => {
    const out = path.join(t.dir, 'out');
    await generate({ csv: writeCsv(t.dir, 'p.csv', people()), out, jobs: 1 });
    const pdf = path.join(out, 'es', 'b.pdf');
    writeFileSync(pdf, Buffer.concat([readFileSync(pdf), Buffer.from('\n% edited\n')]));
    rmSync(path.join(out, 'en', 'e.eml'));
    const changed = writeCsv(t.dir, 'p.csv', people({ c: { last_name: 'Renamed' } }));
    const r = await cli(['generate', changed, '--out', out, '--resume', '--jobs', '1', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Wrote 3 letters .*; 2 kept from the earlier run\.\nMade again, not kept: 2 letters whose files were missing or not as the manifest records them \(es\/b\.pdf, en\/e\.eml\); 1 letter whose input changed since it was made \(its row, the campaign, the signing or lettermerge's version\)\.\n/);
    expect(JSON.parse(r.stdout)).toMatchObject({ kept: 2, produced: 3, remade: { changed: 1, altered: ['es/b.pdf', 'en/e.eml'] } });
    // Made again, they are whole: the next --resume keeps them all and says nothing more.
    const again = await cli(['generate', changed, '--out', out, '--resume', '--jobs', '1']);
    expect(again.stderr).toMatch(/; 5 kept from the earlier run\.\n/);
    expect(again.stderr).not.toMatch(/Made again/);
  });

  it('makes a letter again on --resume after an edit of its template or a switch of campaign, and not after the campaign moved', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people());
    const out = path.join(t.dir, 'out');
    const dir = campaignCopy(t.dir);
    await generate({ csv, out, campaign: dir, jobs: 1 });
    const letter = path.join(dir, 'en', 'letter.md');
    writeFileSync(letter, readFileSync(letter, 'utf8').replace('{{salutation}}', '{{salutation}}\n\nA new first paragraph.'));
    const edited = await generate({ csv, out, campaign: dir, jobs: 1, resume: true });
    expect(edited).toMatchObject({ kept: 2, produced: 3 }); // the English letters
    expect(flatText(inspectPdfs([path.join(out, 'en', 'a.pdf')])[0])).toContain('A new first paragraph.');
    // The built-in campaign: the files of the copy but the edited one, so only the English letters differ.
    const other = await generate({ csv, out, jobs: 1, resume: true });
    expect(other).toMatchObject({ kept: 2, produced: 3 });
    // A campaign is its files, not where they are: moved (or checked out elsewhere), it makes the same letters.
    const moved = path.join(t.dir, 'moved');
    renameSync(dir, moved);
    const resumed = await generate({ csv, out, campaign: moved, jobs: 1, resume: true });
    expect(resumed).toMatchObject({ kept: 2, produced: 3 }); // back to the edited English letters
    const still = await generate({ csv, out, campaign: path.join(t.dir, 'moved'), jobs: 1, resume: true });
    expect(still).toMatchObject({ kept: 5, produced: 0 });
    renameSync(moved, dir);
    expect(await generate({ csv, out, campaign: dir, jobs: 1, resume: true })).toMatchObject({ kept: 5, produced: 0 });
  });

  it('marks letters outside a run stale when their input changed, and send refuses them', async () => {
    const out = path.join(t.dir, 'out');
    await generate({ csv: writeCsv(t.dir, 'p.csv', people()), out, jobs: 1 });
    const changed = writeCsv(t.dir, 'p.csv', people({ b: { last_name: 'Changed' }, c: { last_name: 'Changed' } }));
    const r = await cli(['generate', changed, '--out', out, '--lang', 'en', '--resume', '--jobs', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/1 letter outside this run was made from an earlier version of its input: marked stale/);
    const byId = new Map(lines(out).map((e) => [`${e.language}/${e.id}`, e]));
    expect(byId.get('es/b')!.status).toBe('stale');
    expect(byId.get('en/c')!.status).toBe('ok'); // in scope: made again
    expect(byId.get('es/d')!.status).toBe('ok');
    const s = await startServer();
    try {
      const dry = await send({ out, smtp: `smtp://127.0.0.1:${s.port}` });
      expect(dry).toMatchObject({ pending: 4, refused: 1 });
      expect(dry.failures).toEqual([expect.objectContaining({ id: 'b', status: 'refused', message: expect.stringMatching(/earlier version of its input/) })]);
    } finally {
      await s.close();
    }
  });
});

describe('the final manifest', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('holds the latest record of each letter, in input order, the letters the input lacks last, edited and damaged lines mended or left out', () => {
    const file = path.join(t.dir, 'manifest.jsonl');
    const rec = (id: string, language: string, line: number, extra: Partial<ManifestEntry> = {}): ManifestEntry => ({ id, language, line, status: 'ok', key: `k-${id}`, ...extra });
    const w = new ManifestWriter(file, [rec('x', 'es', 9), rec('c', 'en', 4)]);
    w.append(rec('b', 'en', 3));
    w.append(rec('a', 'es', 2, { status: 'failed' }));
    w.append(rec('y', 'fr', 10));
    w.append(rec('a', 'es', 2));
    w.append(rec('x', 'es', 9, { status: 'stale' }));
    w.close();
    // Lines as a hand or a hard stop leaves them: spaces and CRLF, a blank line, a damaged line, a record of no letter, a last line without its line break.
    writeFileSync(
      file,
      readFileSync(file, 'utf8') +
        '{ "id": "d", "language": "en", "line": 5, "status": "ok", "key": "k-d" }\r\n\n{"id": "e", damaged\nnull\n{"id":"z","language":"ru","line":11,"status":"ok","key":"k-z"}',
    );
    const order = new Map([['es/a', 0], ['en/b', 1], ['en/c', 2], ['en/d', 3]]);
    w.finish((k) => order.get(k));
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as ManifestEntry)).toEqual([
      rec('a', 'es', 2),
      rec('b', 'en', 3),
      rec('c', 'en', 4),
      rec('d', 'en', 5),
      rec('y', 'fr', 10),
      rec('x', 'es', 9, { status: 'stale' }),
      rec('z', 'ru', 11),
    ]);
    // Every line as JSON.stringify writes it.
    for (const l of text.split('\n').slice(0, -1)) expect(l).toBe(JSON.stringify(JSON.parse(l)));
  });
});
