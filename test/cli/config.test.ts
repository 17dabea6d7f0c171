import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, SAMPLE_CAMPAIGN, SAMPLE_CSV, tempDir } from '../helpers';
import { startServer } from '../helpers/smtp';

/** Runs the CLI as a process in `cwd` (where it looks for lettermerge.config.yaml). */
function lm(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
}

/** The same, without blocking this process (which runs the test's SMTP server). */
function lmAsync(cwd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('lettermerge.config.yaml: flags, then the config file, then the defaults', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('takes campaign, out, jobs and lang from the config file, with paths relative to it; a flag wins', () => {
    const project = path.join(t.dir, 'project');
    mkdirSync(path.join(project, 'ci'), { recursive: true });
    cpSync(SAMPLE_CAMPAIGN, path.join(project, 'campaign'), { recursive: true });
    writeFileSync(path.join(project, 'lettermerge.config.yaml'), 'campaign: campaign\nout: letters\njobs: 1\nlang: [en, fr]\n');
    const here = lm(project, ['generate', SAMPLE_CSV, '--json']);
    expect(here.status).toBe(0);
    expect(here.stderr).toMatch(/note: settings from lettermerge\.config\.yaml/);
    const r = JSON.parse(here.stdout) as { campaign: string; out: string; jobs: number; produced: number; skipped: number };
    expect(r).toMatchObject({ campaign: path.join(project, 'campaign'), out: path.join(project, 'letters'), jobs: 1 });
    expect(readdirSync(path.join(project, 'letters')).sort()).toEqual(['en', 'fr', 'manifest.jsonl']);
    expect(r.skipped).toBeGreaterThan(0);
    expect(here.stderr).toMatch(new RegExp(`; ${r.skipped} skipped by lang in lettermerge\\.config\\.yaml\\.$`, 'm'));
    // The proof holds the letters generate makes: its languages from the config file too (it held every language).
    const proof = lm(project, ['proof', SAMPLE_CSV, '--out', 'proof.pdf', '--json']);
    expect(proof.status).toBe(0);
    expect(JSON.parse(proof.stdout)).toMatchObject({ letters: r.produced, skipped: r.skipped });
    expect(Object.keys(JSON.parse(proof.stdout).byLanguage).sort()).toEqual(['en', 'fr']);
    expect(proof.stderr).toMatch(new RegExp(`; ${r.skipped} letters of the list skipped by lang in lettermerge\\.config\\.yaml\\.$`, 'm'));
    // validate counts the letters generate makes (it said "23 letters to make"), and checks every row.
    const checked = lm(project, ['validate', SAMPLE_CSV]);
    expect(checked.stderr).toMatch(new RegExp(`: 22 rows checked, no problems \\(${r.produced} letters to make; ${r.skipped} skipped by lang in lettermerge\\.config\\.yaml\\)\\.$`, 'm'));

    // From another folder, --config: its paths still resolve against its own folder.
    const elsewhere = lm(path.join(project, 'ci'), ['generate', SAMPLE_CSV, '--config', '../lettermerge.config.yaml', '--lang', 'es', '--out', 'here', '--json']);
    expect(elsewhere.status).toBe(0);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ campaign: path.join(project, 'campaign'), out: path.join(project, 'ci', 'here') });
    expect(readdirSync(path.join(project, 'ci', 'here')).sort()).toEqual(['es', 'manifest.jsonl']);
  });

  it('checks the config file against its schema', () => {
    writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), 'out: letters\ncampain: mine\n');
    const bad = lm(t.dir, ['validate', SAMPLE_CSV]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/lettermerge\.config\.yaml:2: unknown setting "campain"; did you mean "campaign"\?/);
    writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), 'jobs: two\n');
    expect(lm(t.dir, ['validate', SAMPLE_CSV]).stderr).toMatch(/lettermerge\.config\.yaml:1: jobs must be a whole number/);
    writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), 'smtp: smtp://user:secret@mail.example.org\n');
    const pw = lm(t.dir, ['validate', SAMPLE_CSV]);
    expect(pw.status).toBe(2);
    expect(pw.stderr).toMatch(/smtp holds a password/);
    expect(lm(t.dir, ['validate', SAMPLE_CSV, '--config', 'missing.yaml']).status).toBe(2);
    // A language it cannot read, at its line (it was told as "unknown language "xx" in --lang", a flag not given).
    writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), 'out: letters\nlang: [es, xx]\n');
    const lang = lm(t.dir, ['validate', SAMPLE_CSV]);
    expect(lang.status).toBe(2);
    expect(lang.stderr).toMatch(/lettermerge\.config\.yaml:2: unknown language "xx" in lang\n {2}Known languages: ar, en, es, fr, ru, zh/);
    // A folder named by its year is a number to YAML: said so, with the way out.
    writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), 'campaign: mine\nout: 2022\n');
    const year = lm(t.dir, ['validate', SAMPLE_CSV]);
    expect(year.status).toBe(2);
    expect(year.stderr).toMatch(/lettermerge\.config\.yaml:2: out must be a path; YAML reads a name of digits alone as a number: write it in quotes, "2022"/);
  });

  it('names the setting a command-line option is called by, and says why a one-run option is not one', () => {
    const says = (config: string) => {
      writeFileSync(path.join(t.dir, 'lettermerge.config.yaml'), config);
      const r = lm(t.dir, ['validate', SAMPLE_CSV]);
      expect(r.status).toBe(2);
      return r.stderr;
    };
    expect(says('out: letters\nmap:\n  email: Mail\n')).toMatch(/lettermerge\.config\.yaml:2: unknown setting "map": in the config file it is called "columns"/);
    expect(says('languages: [es]\n')).toMatch(/unknown setting "languages": in the config file it is called "lang"/);
    expect(says('limit: 3\n')).toMatch(/"limit" is not a setting: --limit belongs to one run: give it on the command line/);
    expect(says('confirm: true\n')).toMatch(/"confirm" is not a setting: send sends only when told so on its command line \(--confirm\)/);
    expect(says('password: hunter2\n')).toMatch(/"password" is not a setting: a password never goes in the config file/);
    // Not a mapping of settings at all.
    expect(says('- out: letters\n')).toMatch(/lettermerge\.config\.yaml:1: the config file holds a list, not settings\n {2}Write one setting a line, as name: value/);
    expect(says('letters\n')).toMatch(/the config file holds a single text, not settings/);
  });

  it('reads ~/ as the home folder, as a shell would, and refuses a path of spaces or ~name', () => {
    const home = path.join(t.dir, 'home');
    const project = path.join(t.dir, 'project');
    mkdirSync(home);
    mkdirSync(project);
    const run = (config: string) => {
      writeFileSync(path.join(project, 'lettermerge.config.yaml'), config);
      return spawnSync(process.execPath, [BIN, 'generate', SAMPLE_CSV, '--lang', 'fr', '--json'], { cwd: project, encoding: 'utf8', env: { ...process.env, HOME: home } });
    };
    const tilde = run('out: ~/letters\n');
    expect(tilde.status).toBe(0);
    expect(JSON.parse(tilde.stdout)).toMatchObject({ out: path.join(home, 'letters') });
    expect(readdirSync(project)).toEqual(['lettermerge.config.yaml']);
    const spaces = run('out: "   "\n');
    expect(spaces.status).toBe(2);
    expect(spaces.stderr).toMatch(/lettermerge\.config\.yaml:1: out must be a path/);
    const named = run('out: ~secretariat/letters\n');
    expect(named.status).toBe(2);
    expect(named.stderr).toMatch(/out starts with ~ and a name, which lettermerge does not expand/);
    expect(readdirSync(project)).toEqual(['lettermerge.config.yaml']);
    // The same on the command line, where a quoted ~ reaches lettermerge unexpanded.
    writeFileSync(path.join(project, 'lettermerge.config.yaml'), 'jobs: 1\n');
    const flag = (out: string) => spawnSync(process.execPath, [BIN, 'generate', SAMPLE_CSV, '--lang', 'fr', '--out', out, '--json'], { cwd: project, encoding: 'utf8', env: { ...process.env, HOME: home } });
    const quoted = flag('~/flagged');
    expect(quoted.status).toBe(0);
    expect(JSON.parse(quoted.stdout)).toMatchObject({ out: path.join(home, 'flagged') });
    for (const [out, message] of [
      ['  ', "option '-o, --out <dir>' argument '  ' is invalid. --out must be a path, not an empty one."],
      ['', "option '-o, --out <dir>' argument '' is invalid. --out must be a path, not an empty one."],
      ['~bob/x', '--out starts with ~ and a name, which lettermerge does not expand'],
    ]) {
      const bad = flag(out);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(message);
    }
    expect(readdirSync(project)).toEqual(['lettermerge.config.yaml']);
  });

  it('gives send its folder, server and rate', async () => {
    const s = await startServer();
    try {
      writeFileSync(path.join(t.dir, 'lettermerge.config.json'), JSON.stringify({ out: 'letters', smtp: `smtp://127.0.0.1:${s.port}`, rate: 50, lang: 'en', jobs: 1 }));
      expect(lm(t.dir, ['generate', SAMPLE_CSV]).status).toBe(0);
      const sent = await lmAsync(t.dir, ['send', '--confirm', '--json']);
      expect(sent.status).toBe(0);
      expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 8, out: path.join(t.dir, 'letters') });
      expect(existsSync(path.join(t.dir, 'letters', 'sent.jsonl'))).toBe(true);
      writeFileSync(path.join(t.dir, 'lettermerge.config.json'), '{}');
      const none = lm(t.dir, ['send', '--confirm']);
      expect(none.status).toBe(2);
      expect(none.stderr).toMatch(/no SMTP server: give --smtp/);
    } finally {
      await s.close();
    }
  });
});
