import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, SAMPLE_CSV, campaignCopy, cli, row, tempDir, writeCsv } from '../helpers';

describe('lettermerge CLI', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('generate --json prints one JSON object on stdout and messages on stderr', async () => {
    const out = path.join(t.dir, 'out');
    const r = await cli(['generate', SAMPLE_CSV, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { produced: number; failed: number; out: string };
    expect(summary).toMatchObject({ produced: 23, failed: 0, out });
    expect(r.stderr).toMatch(/^Wrote 23 letters/m);
  });

  it('with --json, prints an error that stops the run on stdout too, as one JSON object', async () => {
    const json = async (args: string[], code: number) => {
      const r = await cli(args);
      expect(r.code).toBe(code);
      expect(r.stderr).not.toBe('');
      return JSON.parse(r.stdout) as { error: Record<string, unknown>; exitCode: number };
    };
    const csv = writeCsv(t.dir, 'r.csv', [['1', 'en']], 'id,language');
    expect(await json(['generate', csv, '--out', path.join(t.dir, 'o'), '--json'], 3)).toEqual({
      error: { code: 'MISSING_COLUMN', kind: 'input', message: expect.stringMatching(/^missing columns: group, gender/), hint: expect.any(String), file: csv, line: 1 },
      exitCode: 3,
    });
    expect(await json(['generate', SAMPLE_CSV, '--jobs', '0', '--json'], 2)).toEqual({
      error: { code: 'USAGE', kind: 'usage', message: "option '-j, --jobs <n>' argument '0' is invalid. --jobs takes a whole number of 1 or more." },
      exitCode: 2,
    });
    expect((await json(['send', path.join(t.dir, 'none'), '--smtp', 'smtp://127.0.0.1:1', '--json'], 2)).error).toMatchObject({ kind: 'usage', message: expect.stringMatching(/does not exist/) });
    // A command that printed its own JSON prints nothing more.
    const v = await cli(['validate', csv, '--json']);
    expect(v.code).toBe(3);
    expect(JSON.parse(v.stdout)).toHaveProperty('problems');
  });

  it('exits 4 when some rows failed, naming file, line and field', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a' }), row({ id: 'b', group: 'press' })]);
    const r = await cli(['generate', csv, '--out', path.join(t.dir, 'out')]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${csv}:4: id b, group: unknown group "press"`);
    expect(r.stderr).toMatch(/failed\.csv/);
  });

  it('exits 3 for an unusable file and writes nothing', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [['1', 'en']], 'id,language');
    const out = path.join(t.dir, 'out');
    const r = await cli(['generate', csv, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/r\.csv:1: missing columns: group, gender/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(out)).toBe(false);
  });

  it('exits 3 for a campaign template that uses a column the file lacks', async () => {
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\nDear {{nickname}}\n' });
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a' })]);
    const r = await cli(['generate', csv, '--campaign', dir, '--out', path.join(t.dir, 'out')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/letter\.md:4: the template uses "nickname", which is not a column/);
  });

  it('exits 2 for usage errors', async () => {
    expect((await cli(['generate'])).code).toBe(2);
    expect((await cli(['generate', SAMPLE_CSV, '--bogus'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const lang = await cli(['generate', SAMPLE_CSV, '--lang', 'xx', '--out', path.join(t.dir, 'o')]);
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/unknown language "xx" in --lang/);
    const typo = await cli(['generate', SAMPLE_CSV, '--lang', 'Englsh', '--out', path.join(t.dir, 'o')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown language "Englsh" in --lang; did you mean en\?/);
    const group = await cli(['proof', SAMPLE_CSV, '--group', 'goverment', '--out', path.join(t.dir, 'p.pdf')]);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(/unknown group "goverment" in --group; did you mean government\?/);
    const camp = await cli(['generate', SAMPLE_CSV, '--campaign', path.join(t.dir, 'nope')]);
    expect(camp.code).toBe(2);
    expect(camp.stderr).toMatch(/campaign folder not found/);
  });

  it('reads --lang and --group as a list\'s cells are read: codes, locale tags and names in the six languages', async () => {
    const out = path.join(t.dir, 'o');
    const g = await cli(['generate', SAMPLE_CSV, '--lang', 'Español,fr-CH,ES', '--out', out, '--json']);
    expect(g.code).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ byLanguage: { es: 6, fr: 3 } });
    const p = await cli(['proof', SAMPLE_CSV, '--lang', 'English', '--group', 'Gobierno,Academia', '--out', path.join(t.dir, 'p.pdf'), '--json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ letters: 4, byGroup: { academia: 2, government: 2 } });
    const v = await cli(['preview', SAMPLE_CSV, '--row', '1', '--lang', 'Français', '--text']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/Le Secrétaire général/);
  });

  it('answers --help and --version', async () => {
    const help = await cli(['generate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--campaign <dir>/);
    expect(help.stdout).toMatch(/Exit status: 0 all produced/);
    const v = await cli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('loads a command\'s code only when that command runs: --version and --help load no rendering, template, mail or YAML code', () => {
    // Each package below takes tens of milliseconds to load; together they made `--version` take
    // half a second. The modules a process loaded are listed from inside it, after the command.
    const heavy = ['pdfkit', 'fontkit', 'handlebars', 'nodemailer', 'yaml', 'zod', 'csv-parse', 'markdown-it'];
    const probe = (args: string[]) => {
      const script = `const { run } = require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'main.js'))});
        run(${JSON.stringify(args)}, { stdout: () => {}, stderr: () => {} }).then((code) => {
          const loaded = Object.keys(require.cache).map((f) => (/node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f) || [])[1]).filter(Boolean);
          process.stdout.write(JSON.stringify({ code, loaded: [...new Set(loaded)] }));
        });`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: t.dir, encoding: 'utf8' });
      return JSON.parse(r.stdout) as { code: number; loaded: string[] };
    };
    for (const args of [['--version'], ['--help'], ['send', '--help'], ['generate', '--help']]) {
      const { code, loaded } = probe(args);
      expect(code).toBe(0);
      expect(loaded).toContain('commander');
      expect(loaded.filter((p) => heavy.includes(p))).toEqual([]);
    }
    // And a command that needs them still loads them: generate makes letters.
    const { code, loaded } = probe(['generate', SAMPLE_CSV, '--out', path.join(t.dir, 'out'), '--limit', '1', '--jobs', '1']);
    expect(code).toBe(0);
    expect(loaded).toEqual(expect.arrayContaining(['pdfkit', 'fontkit', 'handlebars', 'nodemailer', 'yaml', 'zod', 'csv-parse']));
    // The sample's only attachment is a Markdown annex, made into a PDF: no file's type is looked up.
    expect(loaded).not.toContain('mime-types');
  });

  it('keeps HarfBuzz in baseline code: a one-letter preview does not wait at its exit for V8 to optimise it', () => {
    // V8 prints each WebAssembly function it compiles, and with which compiler, to stdout.
    const pdf = path.join(t.dir, 'one.pdf');
    const r = spawnSync(process.execPath, ['--trace-wasm-compilation-times', BIN, 'preview', SAMPLE_CSV, '--row', '3', '--out', pdf], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(existsSync(pdf)).toBe(true);
    // The shaper and the subsetter were compiled (by Liftoff, the baseline compiler) and used… (576
    // functions in a run; once in fifteen full runs of the suite, only 87 of V8's lines reached the
    // pipe, so the count asks only that the trace was printed.)
    expect(r.stdout.match(/^Compiled function .* using Liftoff/gm)?.length).toBeGreaterThan(0);
    // …and none of their functions by TurboFan: the largest took it 0.4 s, which the exit waited for.
    expect(r.stdout).not.toMatch(/using TurboFan/);
  });

  it('says the installation is incomplete, not that it found a bug, when a file of its own is missing', () => {
    // A copy of the installation with one command's code deleted (as a broken copy or a partial upgrade leaves it).
    const copy = path.join(t.dir, 'install');
    for (const part of ['bin', 'dist', 'templates', 'package.json']) cpSync(path.join(ROOT, part), path.join(copy, part), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    rmSync(path.join(copy, 'dist', 'batch', 'generate.js'));
    const r = spawnSync(process.execPath, [path.join(copy, 'bin', 'lettermerge.js'), 'generate', SAMPLE_CSV, '--out', path.join(t.dir, 'out')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the installation is incomplete: its file batch\/generate cannot be loaded\. Reinstall lettermerge/);
    expect(r.stderr).not.toMatch(/bug/);
    expect(existsSync(path.join(t.dir, 'out'))).toBe(false);
    // The commands that do not need that file still work.
    expect(spawnSync(process.execPath, [path.join(copy, 'bin', 'lettermerge.js'), 'validate', SAMPLE_CSV], { encoding: 'utf8' }).status).toBe(0);
    // The worker thread's code missing: the same, from the thread that could not start.
    cpSync(path.join(ROOT, 'dist', 'batch', 'generate.js'), path.join(copy, 'dist', 'batch', 'generate.js'));
    rmSync(path.join(copy, 'dist', 'batch', 'worker.js'));
    const w = spawnSync(process.execPath, [path.join(copy, 'bin', 'lettermerge.js'), 'generate', SAMPLE_CSV, '--out', path.join(t.dir, 'out2'), '--jobs', '2'], { encoding: 'utf8' });
    expect(w.status).toBe(1);
    expect(w.stderr).toMatch(/the installation is incomplete: its file batch\/worker cannot be loaded\. Reinstall lettermerge/);
    expect(w.stderr).not.toMatch(/bug/);
  });

  it('runs as a real process through bin/ with the exit status set', () => {
    const out = path.join(t.dir, 'bin-out');
    const ok = spawnSync(process.execPath, [BIN, 'generate', SAMPLE_CSV, '--out', out, '--lang', 'en', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ produced: 8, skipped: 15 });
    expect(readdirSync(path.join(out, 'en'))).toHaveLength(16);
    const bad = spawnSync(process.execPath, [BIN, 'generate', path.join(t.dir, 'missing.csv'), '--out', out], { encoding: 'utf8' });
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/missing\.csv: the recipients file was not found/);
  });

  it('stops cleanly on SIGTERM (a CI job cancelled), as on Ctrl-C: the letters made are whole and recorded, the folder is let go', async () => {
    const csv = writeCsv(t.dir, 'many.csv', Array.from({ length: 400 }, (_, i) => row({ id: `r${i}`, last_name: `Person ${i}`, email: `p${i}@example.org` })));
    const out = path.join(t.dir, 'term');
    const child = spawn(process.execPath, [BIN, 'generate', csv, '--out', out, '--jobs', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const manifest = path.join(out, 'manifest.jsonl');
    const lines = () => (existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter(Boolean).length : 0);
    while (lines() < 5 && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(130);
    expect(stderr).toMatch(/Interrupted after \d+ of 400 letters/);
    const summary = JSON.parse(stdout) as { interrupted: boolean; produced: number };
    expect(summary.interrupted).toBe(true);
    expect(readdirSync(out)).not.toContain('.lettermerge-lock');
    const files = readdirSync(path.join(out, 'en'));
    expect(files.filter((f) => /partial/.test(f))).toEqual([]);
    expect(files).toHaveLength(2 * summary.produced);
    expect(lines()).toBe(summary.produced);
    const again = spawnSync(process.execPath, [BIN, 'generate', csv, '--out', out, '--jobs', '1', '--resume', '--json'], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ kept: summary.produced, produced: 400 - summary.produced });
  }, 60_000);

  it('stops quietly when the reader of its output goes away (--help | head -1)', async () => {
    // As a pipe into `head -1` does: the reader closes after the first chunk.
    const child = spawn(process.execPath, [BIN, 'validate', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'close')) as [number];
    expect(stderr).toBe('');
    expect([0, 141]).toContain(code);
  });
});
