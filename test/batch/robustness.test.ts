import fs, { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { generate } from '../../src/batch/generate';
import * as renderer from '../../src/batch/renderer';
import { InProcessRenderer, WorkerPool, WorkerFailure } from '../../src/batch/renderer';
import type { Renderer } from '../../src/batch/renderer';
import { FolderLock, OutputFolder, takeOverStale, writeAtomic, writeFailure } from '../../src/batch/output';
import * as manifest from '../../src/batch/manifest';
import { EXIT, LetterMergeError, exitCodeFor } from '../../src/errors';
import { send } from '../../src/batch/send';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { run } from '../../src/cli/main';
import { SAMPLE_CAMPAIGN, campaignCopy, row, tempDir, writeCsv } from '../helpers';
import { startServer } from '../helpers/smtp';

const people = (n: number) => Array.from({ length: n }, (_, i) => row({ id: `p${i}`, address: 'Street 1', email: `p${i}@example.org` }));

describe('what a hard stop leaves behind', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('a manifest line cut short: generate --resume makes that letter again, and send skips the line', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people(4));
    const out = path.join(t.dir, 'out');
    await generate({ csv, out, jobs: 1 });
    const file = path.join(out, 'manifest.jsonl');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, text.length - 40)); // the last record cut in the middle
    const s = await startServer();
    try {
      expect(await send({ out, smtp: `smtp://127.0.0.1:${s.port}` })).toMatchObject({ pending: 3, refused: 0 });
    } finally {
      await s.close();
    }
    const again = await generate({ csv, out, jobs: 1, resume: true });
    expect(again).toMatchObject({ kept: 3, produced: 1 });
    expect(again.notices).toEqual([]); // a hard stop's last line is expected, not news
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('a manifest line damaged or edited by hand: generate and send say which line they skipped and what follows', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people(4));
    const out = path.join(t.dir, 'out');
    await generate({ csv, out, jobs: 1 });
    const file = path.join(out, 'manifest.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = '{"id": "p1", "langu'; // an editor's accident, the line break kept
    lines[2] = '["p2"]';
    writeFileSync(file, lines.join('\n'));
    const s = await startServer();
    try {
      const dry = await send({ out, smtp: `smtp://127.0.0.1:${s.port}` });
      expect(dry).toMatchObject({ pending: 2 });
      expect(dry.notices).toContainEqual(expect.stringMatching(/^lines 2, 3 of manifest\.jsonl are not a letter's record .* skipped: a letter recorded there is not sent \(generate --resume/));
    } finally {
      await s.close();
    }
    const again = await generate({ csv, out, jobs: 1, resume: true });
    expect(again).toMatchObject({ kept: 2, produced: 2 });
    expect(again.notices).toEqual([expect.stringMatching(/^lines 2, 3 of manifest\.jsonl are not a letter's record \(damaged, or edited by hand\) and were skipped: a letter recorded there is made again/)]);
  });

  it('temporary files of a killed run are removed by the next one, in every language folder', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people(2));
    const out = path.join(t.dir, 'out');
    mkdirSync(path.join(out, 'en'), { recursive: true });
    mkdirSync(path.join(out, 'fr'), { recursive: true });
    writeFileSync(path.join(out, 'en', 'p0.pdf.partial-4242'), 'half a letter');
    writeFileSync(path.join(out, 'fr', 'x.eml.partial-17'), 'half an e-mail');
    writeFileSync(path.join(out, 'manifest.jsonl.partial-99'), '{"id":');
    await generate({ csv, out, jobs: 1 });
    const all = readdirSync(out, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('.partial-'))).toEqual([]);
    expect(all.filter((f) => f.includes('write-test'))).toEqual([]);
    expect(existsSync(path.join(out, 'en', 'p0.pdf'))).toBe(true);
  });
});

describe('an --out folder given by mistake', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('is refused when it holds files and no manifest, and nothing in it is touched', async () => {
    const csv = writeCsv(t.dir, 'p.csv', people(2));
    const docs = path.join(t.dir, 'Documents');
    mkdirSync(path.join(docs, 'en'), { recursive: true });
    writeFileSync(path.join(docs, 'notes.txt'), 'mine');
    writeFileSync(path.join(docs, 'en', 'p0.pdf'), 'my own p0.pdf');
    writeFileSync(path.join(docs, 'en', 'draft.pdf.partial-12'), 'mine too');
    const err = await generate({ csv, out: docs, jobs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LetterMergeError);
    expect((err as LetterMergeError).code).toBe('OUT_FOLDER');
    expect(exitCodeFor(err as LetterMergeError)).toBe(EXIT.usage);
    expect((err as LetterMergeError).message).toMatch(/already holds files \(en, notes\.txt\) and no manifest\.jsonl/);
    expect(readFileSync(path.join(docs, 'en', 'p0.pdf'), 'utf8')).toBe('my own p0.pdf');
    expect(readdirSync(docs, { recursive: true }).map(String).sort()).toEqual(['en', 'en/draft.pdf.partial-12', 'en/p0.pdf', 'notes.txt']);
    // A folder with only hidden files (a desktop's .DS_Store) is as good as empty.
    const fresh = path.join(t.dir, 'fresh');
    mkdirSync(fresh);
    writeFileSync(path.join(fresh, '.DS_Store'), '');
    expect(await generate({ csv, out: fresh, jobs: 1 })).toMatchObject({ produced: 2 });
    // And the output folder of a run is used again.
    expect(await generate({ csv, out: fresh, jobs: 1, resume: true })).toMatchObject({ kept: 2 });
  });
});

describe('writing a file through its temporary name', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('replaces a file left under the temporary name, and never writes through a link left there', () => {
    const file = path.join(t.dir, 'a.pdf');
    const tmp = `${file}.partial-${process.pid}`;
    writeFileSync(tmp, 'left by a run stopped with the same process id');
    writeAtomic(file, 'first');
    expect(readFileSync(file, 'utf8')).toBe('first');
    expect(existsSync(tmp)).toBe(false);

    const elsewhere = path.join(t.dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'not to be touched');
    symlinkSync(elsewhere, tmp);
    writeAtomic(file, 'second');
    expect(readFileSync(file, 'utf8')).toBe('second');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not to be touched');
    expect(existsSync(tmp)).toBe(false);
  });
});

describe('an output folder changed while a run writes to it', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('says which file could not be written and why, when its folder was removed or replaced by a file, and --resume mends it', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a1' }), row({ id: 'a2' })]);
    const out = path.join(t.dir, 'out');
    await generate({ csv, out, jobs: 1 });
    // The folder as a run holds it: its language folders checked once, when first written to.
    const folder = new OutputFolder(out);
    folder.writeLetter('en', 'a0', Buffer.from('%PDF'), Buffer.from('eml'));
    for (const change of ['removed', 'replaced by a file'] as const) {
      rmSync(path.join(out, 'en'), { recursive: true, force: true });
      if (change === 'replaced by a file') writeFileSync(path.join(out, 'en'), 'not a folder');
      let e: unknown;
      try {
        folder.writeLetter('en', 'a3', Buffer.from('%PDF'), Buffer.from('eml'));
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(LetterMergeError);
      expect((e as LetterMergeError).code).toBe('OUT_FOLDER');
      expect((e as LetterMergeError).message).toBe(
        `${path.join(out, 'en', 'a3.pdf')} could not be written: ${change === 'removed' ? 'its folder is gone (removed or moved while the run was writing to it) (ENOENT)' : 'a folder on its path is no longer a folder (ENOTDIR)'}`,
      );
      expect((e as LetterMergeError).hint).toMatch(/--resume/);
    }
    // The run that held the folder ends.
    folder.close();
    rmSync(path.join(out, 'en'));
    const again = await generate({ csv, out, jobs: 1, resume: true });
    expect({ produced: again.produced, kept: again.kept, failed: again.failed }).toEqual({ produced: 2, kept: 0, failed: 0 });
  });
});

describe('a recipients file saved over while its letters are made', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => {
    jest.restoreAllMocks();
    t.cleanup();
  });

  /** Runs generate with the list rewritten by `change` after it was checked, before its letters are made (the manifest is read in between). */
  async function changedBetweenPasses(change: (csv: string) => void): Promise<{ csv: string; out: string; error: LetterMergeError }> {
    const csv = writeCsv(t.dir, 'r.csv', ['a1', 'a2', 'a3', 'a4'].map((id) => row({ id, last_name: `Name ${id}` })));
    const out = path.join(t.dir, 'out');
    const read = manifest.readManifest;
    jest.spyOn(manifest, 'readManifest').mockImplementationOnce((file) => {
      change(csv);
      return read(file);
    });
    const error = await generate({ csv, out, jobs: 1 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(LetterMergeError);
    return { csv, out, error: error as LetterMergeError };
  }

  const made = (out: string) => readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string);

  it('makes no letter from a row it did not check: it stops at the first changed row, keeping the letters before it, and --resume makes the rest', async () => {
    const { csv, out, error } = await changedBetweenPasses((file) => writeFileSync(file, readFileSync(file, 'utf8').replace('Name a3', 'Name X3')));
    expect(error.code).toBe('INPUT_CHANGED');
    expect(exitCodeFor(error)).toBe(EXIT.input);
    expect(error.message).toMatch(/the recipients file changed while its letters were being made: the row of id a3 \(line \d+\) is not as it was when the file was checked/);
    expect(error.hint).toMatch(/--resume/);
    expect(made(out)).toEqual(['a1', 'a2']);
    const again = await generate({ csv, out, jobs: 1, resume: true });
    expect({ produced: again.produced, kept: again.kept, failed: again.failed }).toEqual({ produced: 2, kept: 2, failed: 0 });
  });

  it('says so when the file now ends early, or can no longer be read', async () => {
    const cut = await changedBetweenPasses((file) => writeFileSync(file, readFileSync(file, 'utf8').split(/\n(?=a3,)/)[0] + '\n'));
    expect(cut.error.message).toMatch(/changed while its letters were being made: it ends after 2 of the 4 letters it held when it was checked/);
    expect(made(cut.out)).toEqual(['a1', 'a2']);
    const broken = await changedBetweenPasses((file) => writeFileSync(file, readFileSync(file, 'utf8').replace(',Name a3,', ',"Name a3,')));
    expect(broken.error.code).toBe('INPUT_CHANGED');
    expect(broken.error.message).toMatch(/changed while its letters were being made: it cannot be read now \(the CSV cannot be read from the row that begins here: Invalid Closing Quote/);
  });
});

describe('two runs in one output folder', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  const lockFile = (out: string) => path.join(out, '.lettermerge-lock');
  /** Two runs started together: the one that ran and the error of the one refused (which is which depends on the machine). */
  async function oneRunsOneRefused<T>(a: Promise<T>, b: Promise<T>): Promise<{ made: T; refused: LetterMergeError }> {
    const [x, y] = await Promise.allSettled([a, b]);
    const ran = [x, y].flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = [x, y].flatMap((r) => (r.status === 'rejected' ? [r.reason as LetterMergeError] : []));
    expect([ran.length, failed.length]).toEqual([1, 1]);
    return { made: ran[0] as T, refused: failed[0] };
  }
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as LetterMergeError,
    );

  it('the second generate is refused while the first runs, and the manifest keeps every letter', async () => {
    const csv = writeCsv(t.dir, 'r.csv', Array.from({ length: 12 }, (_, i) => row({ id: `g${i}` })));
    const out = path.join(t.dir, 'out');
    // Whichever takes the folder first runs; the other is refused.
    const { made, refused } = await oneRunsOneRefused(generate({ csv, out, jobs: 1 }), generate({ csv, out, jobs: 1 }));
    expect(refused).toBeInstanceOf(LetterMergeError);
    expect(refused.code).toBe('OUT_FOLDER');
    expect(exitCodeFor(refused)).toBe(EXIT.usage);
    expect(refused.message).toMatch(/is in use by another run of lettermerge generate \(process \d+, .*\): .*each would rewrite the manifest with its own letters/);
    expect(made.produced).toBe(12);
    expect(readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
    expect(existsSync(lockFile(out))).toBe(false);
  });

  it("a lock held by another process refuses the run; one left by a process that is gone is taken over", async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a1' })]);
    const out = path.join(t.dir, 'out');
    mkdirSync(out);
    const other = spawn('sleep', ['30']);
    try {
      await new Promise((resolve) => other.once('spawn', resolve));
      const since = readFileSync(`/proc/${other.pid}/stat`, 'latin1').split(') ')[1].split(' ')[19];
      const holder = { pid: other.pid, since, host: hostname(), command: 'send', started: '2026-01-01T00:00:00.000Z', token: 'elsewhere' };
      writeFileSync(lockFile(out), JSON.stringify(holder));
      const busy = await failure(generate({ csv, out, jobs: 1 }));
      expect(busy!.message).toMatch(new RegExp(`in use by another run of lettermerge send \\(process ${other.pid}, started 2026-01-01`));
      expect(busy!.hint).toContain(lockFile(out));
      expect(readFileSync(lockFile(out), 'utf8')).toBe(JSON.stringify(holder));
      // The same process id, started at another time: another process now, not the holder.
      writeFileSync(lockFile(out), JSON.stringify({ ...holder, since: '1' }));
      expect((await generate({ csv, out, jobs: 1 })).produced).toBe(1);
    } finally {
      other.kill('SIGKILL');
    }
    await new Promise((resolve) => other.once('close', resolve));
    // Killed: its lock is taken over, as is one half written.
    for (const left of [JSON.stringify({ pid: other.pid, host: hostname(), command: 'generate', started: 'x', token: 't' }), '{"pid":']) {
      writeFileSync(lockFile(out), left);
      expect((await generate({ csv, out, jobs: 1, resume: true })).kept).toBe(1);
      expect(existsSync(lockFile(out))).toBe(false);
    }
  });

  it('of two runs that found the same stale lock, the second does not remove the lock the first made in its place', () => {
    const out = path.join(t.dir, 'out');
    mkdirSync(out);
    const stale = Buffer.from(JSON.stringify({ pid: 999999999, host: hostname(), command: 'generate', started: 'x', token: 'gone' }));
    writeFileSync(lockFile(out), stale);
    // Both read the stale lock; the first takes it over and makes its own.
    expect(takeOverStale(lockFile(out), stale)).toBe(true);
    const first = FolderLock.take(out, 'generate')!;
    const made = readFileSync(lockFile(out));
    // The second, a moment behind, finds the first's lock, not the one it judged stale: left in place.
    expect(takeOverStale(lockFile(out), stale)).toBe(false);
    expect(readFileSync(lockFile(out))).toEqual(made);
    expect(readdirSync(out)).toEqual(['.lettermerge-lock']);
    expect(() => FolderLock.take(out, 'send')).toThrow(/in use by another run of lettermerge generate/);
    first.release();
    expect(existsSync(lockFile(out))).toBe(false);
  });

  it('takes the lock on a file system without hard links (exFAT, some network shares)', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a1' })]);
    const out = path.join(t.dir, 'out');
    const noLinks = jest.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    });
    try {
      const { made, refused } = await oneRunsOneRefused(generate({ csv, out, jobs: 1 }), generate({ csv, out, jobs: 1 }));
      expect(refused.message).toMatch(/in use by another run of lettermerge generate/);
      expect(made.produced).toBe(1);
      expect(noLinks).toHaveBeenCalled();
      expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]);
    } finally {
      noLinks.mockRestore();
    }
  });

  it('a folder where the lock file goes is named, not taken for a lock', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a1' })]);
    const out = path.join(t.dir, 'out');
    mkdirSync(lockFile(out), { recursive: true });
    const err = await failure(generate({ csv, out, jobs: 1 }));
    expect(err!.code).toBe('OUT_FOLDER');
    expect(err!.message).toBe(`the output folder's lock file ${lockFile(out)} cannot be read (EISDIR)`);
  });
});

describe('a file system that refuses to write', () => {
  it('a full disk is a problem of the output folder, with what to do next, not an internal error', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const e = writeFailure(full, '/out/es/a.pdf');
    expect(e).toBeInstanceOf(LetterMergeError);
    expect((e as LetterMergeError).code).toBe('OUT_FOLDER');
    expect((e as LetterMergeError).message).toBe('/out/es/a.pdf could not be written: the disk is full (ENOSPC)');
    expect((e as LetterMergeError).hint).toMatch(/--resume/);
    expect(exitCodeFor(e as LetterMergeError)).toBe(3);
    const other = Object.assign(new Error('odd'), { code: 'EBADF' });
    expect(writeFailure(other, '/out/es/a.pdf')).toBe(other);
  });
});

describe('a worker thread that crashes', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('fails the jobs waiting on it with a message, not a hang', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const pool = new WorkerPool(campaign, 1, path.join(__dirname, '..', 'fixtures', 'crashing-worker.js'));
    const { recipients } = await readRecipients(writeCsv(t.dir, 'r.csv', [row()]));
    try {
      const first = await pool.render({ seq: 1, recipient: recipients[0], language: 'en', out: t.dir });
      expect(first).toMatchObject({ ok: false });
      const second = pool.render({ seq: 2, recipient: recipients[0], language: 'en', out: t.dir });
      await expect(second).rejects.toBeInstanceOf(WorkerFailure);
      await expect(second).rejects.toThrow(/a worker thread stopped with code 3/);
      await expect(pool.render({ seq: 3, recipient: recipients[0], language: 'en', out: t.dir })).rejects.toThrow(/code 3/);
    } finally {
      await pool.close();
    }
  });

  it('stops generate with a message that says --resume goes on, and --resume makes the rest', async () => {
    const csv = writeCsv(t.dir, 'six.csv', people(6));
    const out = path.join(t.dir, 'crash-out');
    const crashing = jest.spyOn(renderer, 'createRenderer').mockImplementation(
      (campaign) => new WorkerPool(campaign, 1, path.join(__dirname, '..', 'fixtures', 'crashing-worker.js'), undefined, new renderer.InProcessRenderer(campaign)),
    );
    let stderr = '';
    try {
      const code = await run(['generate', csv, '--out', out, '--jobs', '2'], { stdout: () => undefined, stderr: (s) => (stderr += s) });
      expect({ code, stderr }).toMatchObject({ code: EXIT.internal });
    } finally {
      crashing.mockRestore();
    }
    expect(stderr).toMatch(/internal error: a worker thread stopped with code 3\n  The letters finished before it stopped are kept and recorded: --resume makes the others/);
    const again = await generate({ csv, out, jobs: 1, resume: true });
    expect(again.produced + again.kept).toBe(6);
    expect(again.failed).toBe(0);
  });
});

describe('the main thread beside the workers', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('makes letters one at a time, whenever the workers have enough waiting', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    let running = 0;
    let most = 0;
    const here: Renderer = {
      async render(job) {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
        return { seq: job.seq, ok: false, problem: { scope: 'row', code: 'ROW', message: 'here' } };
      },
      close: async () => undefined,
    };
    const pool = new WorkerPool(campaign, 1, path.join(__dirname, '..', 'fixtures', 'slow-worker.js'), undefined, here);
    const { recipients } = await readRecipients(writeCsv(t.dir, 'r.csv', [row()]));
    try {
      // As generate does: a window of letters in flight, the next sent as soon as one is done.
      const by: string[] = [];
      const inFlight = new Set<Promise<void>>();
      for (let seq = 1; seq <= 24; seq++) {
        const p = pool.render({ seq, recipient: recipients[0], language: 'en', out: t.dir }).then((r) => void by.push(r.ok ? '' : 'problem' in r ? r.problem.message : ''));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        if (inFlight.size >= 8) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      expect(by).toHaveLength(24);
      expect(most).toBe(1);
      // The worker takes 30 ms a letter, this thread 10: both make letters, this thread more.
      const mine = by.filter((m) => m === 'here').length;
      expect(mine).toBeGreaterThan(6);
      expect(by.filter((m) => m === 'worker').length).toBeGreaterThan(2);
    } finally {
      await pool.close();
    }
  });

  it('gives the event loop a turn before each letter it makes (the workers\' letters, Ctrl-C and the progress bar wait for it)', async () => {
    const here = new InProcessRenderer(loadCampaign(SAMPLE_CAMPAIGN));
    const { recipients } = await readRecipients(writeCsv(t.dir, 'turns.csv', [row()]));
    const out = path.join(t.dir, 'turns');
    mkdirSync(out);
    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    for (let seq = 1; seq <= 5; seq++) expect((await here.render({ seq, recipient: recipients[0], language: 'en', out })).ok).toBe(true);
    spinning = false;
    expect(turns).toBeGreaterThanOrEqual(5);
  });
});

describe('preview --watch', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('renders once per edit of a template, and its own output is no edit', async () => {
    const dir = campaignCopy(t.dir);
    const csv = writeCsv(t.dir, 'r.csv', [row()]);
    // The preview is written inside the campaign folder, which is watched: it must not re-trigger.
    const out = path.join(dir, 'preview.pdf');
    let stderr = '';
    let stop: (() => void) | undefined;
    const io = { stdout: () => undefined, stderr: (s: string) => (stderr += s), onInterrupt: (h: () => void) => ((stop = h), () => undefined) };
    const renders = () => (stderr.match(/^Wrote /gm) ?? []).length;
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    const running = run(['preview', csv, '--campaign', dir, '--row', '1', '--out', out, '--watch'], io);
    await until(() => stderr.includes('Watching'));
    expect(renders()).toBe(1);
    const letter = path.join(dir, 'en', 'letter.md');
    for (let edit = 1; edit <= 2; edit++) {
      writeFileSync(letter, readFileSync(letter, 'utf8') + `\nEdit number ${edit}.\n`);
      await until(() => renders() === edit + 1);
      await new Promise((r) => setTimeout(r, 600)); // any second render of the same edit would come now
      expect(renders()).toBe(edit + 1);
    }
    stop!();
    expect(await running).toBe(0);
  });

  it('goes on when the list is saved as a new file in its place (as editors and spreadsheets do), and sees the edits after', async () => {
    const dir = campaignCopy(t.dir);
    const lists = path.join(t.dir, 'lists');
    mkdirSync(lists);
    const csv = writeCsv(lists, 'r.csv', [row({ last_name: 'First' })]);
    let stdout = '';
    let stderr = '';
    let stop: (() => void) | undefined;
    const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s), onInterrupt: (h: () => void) => ((stop = h), () => undefined) };
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    const running = run(['preview', csv, '--campaign', dir, '--row', '1', '--watch', '--text'], io);
    await until(() => stderr.includes('Watching'));
    // Saved the way a spreadsheet saves: the old file moved away, a new one put in its place.
    renameSync(csv, `${csv}.bak`);
    await new Promise((r) => setTimeout(r, 300));
    writeCsv(lists, 'r.tmp', [row({ last_name: 'Second' })]);
    renameSync(path.join(lists, 'r.tmp'), csv);
    await until(() => stdout.includes('Second'));
    expect(stdout).toContain('Second');
    // An edit in place of the new file is seen too.
    writeCsv(lists, 'r.csv', [row({ last_name: 'Third' })]);
    await until(() => stdout.includes('Third'));
    expect(stdout).toContain('Third');
    stop!();
    expect(await running).toBe(0);
    expect(stderr).not.toMatch(/internal error|ENOENT/);
  });
});
