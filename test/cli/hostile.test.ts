import { spawn, spawnSync } from 'node:child_process';
import fs, { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import * as produce from '../../src/batch/produce';
import { run } from '../../src/cli/main';
import { BIN, HEADER, ROOT, SAMPLE_CSV, campaignCopy, cli, inspectPdfs, row, tempDir, writeCsv } from '../helpers';

/** A CSV written byte for byte (the helper quotes, this one leaves the text as given). */
function rawCsv(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('bad input gets a clear message and the right exit status, never a hang or "this is a bug"', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('--out under /proc stops at once with a message (it used to loop at 100% CPU)', () => {
    const p = spawnSync(process.execPath, [BIN, 'generate', SAMPLE_CSV, '--out', '/proc/lettermerge-x', '--jobs', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/the output folder \/proc\/lettermerge-x cannot be made/);
    expect(p.stderr).not.toMatch(/This is a bug/);
  });

  it('never writes a preview or proof over a file that is not a PDF: the recipients list given as --out stays whole', async () => {
    const csv = path.join(t.dir, 'people.csv');
    writeFileSync(csv, readFileSync(SAMPLE_CSV));
    const before = readFileSync(csv);
    for (const args of [
      ['proof', csv, '--out', csv],
      ['preview', csv, '--row', '1', '--out', csv],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/people\.csv exists and is not a PDF: writing there would destroy it/);
      expect(readFileSync(csv).equals(before)).toBe(true);
    }
    const folder = await cli(['preview', csv, '--row', '1', '--out', t.dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/the --out file .* is a folder/);
    // A new file whose name no PDF has (a folder meant, a list's name): refused, nothing made.
    for (const [args, name, meant] of [
      [['proof', csv, '--limit', '1', '--out'], 'letters', 'letters.pdf'],
      [['preview', csv, '--row', '1', '--out'], 'people-2.csv', 'people-2.pdf'],
    ] as const) {
      const r = await cli([...args, path.join(t.dir, name)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${path.join(t.dir, name)} does not end in .pdf: the PDF written there would not open as one from a folder or an e-mail\n  Give a name ending in .pdf, e.g. ${path.join(t.dir, meant)}.`);
      expect(existsSync(path.join(t.dir, name))).toBe(false);
    }
    expect((await cli(['preview', csv, '--row', '1', '--out', path.join(t.dir, 'LETTER.PDF')])).code).toBe(0);
    // "-" is no name for standard output here: the way to it is said.
    const dash = await cli(['preview', csv, '--row', '1', '--out', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('To write the PDF to standard output, give --out /dev/stdout.');
    // A PDF (an earlier preview or proof) and an empty file are written over.
    const pdf = path.join(t.dir, 'letter.pdf');
    writeFileSync(pdf, '');
    expect((await cli(['preview', csv, '--row', '1', '--out', pdf])).code).toBe(0);
    expect((await cli(['preview', csv, '--row', '2', '--out', pdf])).code).toBe(0);
    expect((await cli(['proof', csv, '--out', pdf, '--limit', '2'])).code).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('writes a preview or proof into a named pipe as it is, and replaces a file whole, keeping its symbolic link', async () => {
    // A pipe (or /dev/stdout) is written into: a file renamed onto it used to take its place, and
    // its reader waited for ever.
    const fifo = path.join(t.dir, 'pipe.pdf');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const args of [
      ['proof', SAMPLE_CSV, '--limit', '2', '--out', fifo],
      ['preview', SAMPLE_CSV, '--row', '1', '--out', fifo],
    ]) {
      const reader = spawn('cat', [fifo]);
      const chunks: Buffer[] = [];
      reader.stdout.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<number | null>((resolve) => reader.on('close', resolve));
      const killer = setTimeout(() => reader.kill(), 30_000);
      const r = await cli(args);
      expect(await ended).toBe(0);
      clearTimeout(killer);
      expect(r.code).toBe(0);
      const got = Buffer.concat(chunks).toString('latin1');
      expect(got.startsWith('%PDF-')).toBe(true);
      expect(got.trimEnd().endsWith('%%EOF')).toBe(true);
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    }
    // A file is replaced through a temporary one: a link to it stays a link, and what a preview
    // killed part-way left next to it is removed.
    fs.mkdirSync(path.join(t.dir, 'real'));
    const target = path.join(t.dir, 'real', 'letter.pdf');
    writeFileSync(target, '');
    const link = path.join(t.dir, 'link.pdf');
    symlinkSync(path.join('real', 'letter.pdf'), link);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${target}.partial-${dead}`, '%PDF-half');
    const r = await cli(['preview', SAMPLE_CSV, '--row', '2', '--out', link]);
    expect(r.code).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(fs.readdirSync(path.join(t.dir, 'real'))).toEqual(['letter.pdf']);
  });

  it('a proof whose pipe is closed part-way ("| head") says the reader got part of it, not "this is a bug"', async () => {
    const fifo = path.join(t.dir, 'pipe.pdf');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // Reads 2,000 bytes of a proof of some 280 KB and goes away.
    const reader = spawn('head', ['-c', '2000', fifo]);
    reader.stdout.resume();
    const ended = new Promise<number | null>((resolve) => reader.on('close', resolve));
    const r = await cli(['proof', SAMPLE_CSV, '--out', fifo]);
    expect(await ended).toBe(0);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipe\.pdf could not be written whole: the program reading it stopped before the end \(EPIPE\)/);
    expect(r.stderr).not.toMatch(/internal error|This is a bug/);
  });

  it('a preview or proof that cannot be written says why, not "this is a bug"', async () => {
    const nowhere = path.join(t.dir, 'no-such-folder', 'letter.pdf');
    for (const args of [
      ['preview', SAMPLE_CSV, '--row', '1', '--out', nowhere],
      ['proof', SAMPLE_CSV, '--limit', '1', '--out', nowhere],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/letter\.pdf could not be written: its folder does not exist/);
      expect(r.stderr).not.toMatch(/internal error|This is a bug/);
    }
    const full = jest.spyOn(fs, 'writeFileSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC', path: path.join(t.dir, 'full.pdf') });
    });
    try {
      const r = await cli(['preview', SAMPLE_CSV, '--row', '1', '--out', path.join(t.dir, 'full.pdf')]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/full\.pdf could not be written: the disk is full \(ENOSPC\)/);
    } finally {
      full.mockRestore();
    }
  });

  it('names an --out that is a file, or a dangling symbolic link', async () => {
    const file = path.join(t.dir, 'afile');
    writeFileSync(file, 'x');
    const a = await cli(['generate', SAMPLE_CSV, '--out', file, '--jobs', '1']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/afile is a file, not a folder/);
    const link = path.join(t.dir, 'dangling');
    symlinkSync(path.join(t.dir, 'nowhere'), link);
    const b = await cli(['generate', SAMPLE_CSV, '--out', link, '--jobs', '1']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/dangling is a symbolic link to .*nowhere, which does not exist/);
    expect(a.stderr + b.stderr).not.toMatch(/This is a bug/);
    // A file further up the path, for every command that makes a folder or a file there.
    const under = path.join(file, 'sub', 'x');
    const made = [
      await cli(['generate', SAMPLE_CSV, '--out', under, '--jobs', '1']),
      await cli(['init', under]),
      await cli(['proof', SAMPLE_CSV, '--lang', 'fr', '--out', `${under}.pdf`]),
      await cli(['preview', SAMPLE_CSV, '--row', '1', '--out', `${under}.pdf`]),
    ];
    expect(made.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(made[0].stderr).toMatch(/the output folder .*afile\/sub\/x cannot be used: .*afile is a file, not a folder/);
    expect(made[1].stderr).toMatch(/the campaign folder .*afile\/sub\/x cannot be used: .*afile is a file, not a folder/);
    for (const r of made.slice(2)) expect(r.stderr).toMatch(/afile\/sub\/x\.pdf could not be written: a part of its path is a file, not a folder/);
    expect(made.map((r) => r.stderr).join('')).not.toMatch(/This is a bug|internal error|ENOTDIR/);
  });

  it('refuses, before any letter, an output folder whose failed.csv is a folder (the run stopped at its end with an internal error)', async () => {
    const out = path.join(t.dir, 'out');
    expect((await cli(['generate', SAMPLE_CSV, '--out', out, '--lang', 'fr'])).code).toBe(0);
    mkdirSync(path.join(out, 'failed.csv'));
    const r = await cli(['generate', SAMPLE_CSV, '--out', out, '--lang', 'es']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out\/failed\.csv is a folder: lettermerge writes the rows that fail to a file of that name\n {2}Move it out of the output folder, or rename it, then run again\./);
    expect(existsSync(path.join(out, 'es'))).toBe(false);
  });

  it('names a folder put where a letter goes, or a file where a folder of the output goes', async () => {
    const out = path.join(t.dir, 'out');
    expect((await cli(['generate', SAMPLE_CSV, '--out', out, '--lang', 'fr'])).code).toBe(0);
    const pdf = path.join(out, 'fr', 'csoc-fr-014.pdf');
    fs.rmSync(pdf);
    mkdirSync(pdf);
    const letter = await cli(['generate', SAMPLE_CSV, '--out', out, '--lang', 'fr']);
    expect(letter.code).toBe(3);
    expect(letter.stderr).toMatch(/fr\/csoc-fr-014\.pdf could not be written: a folder is in its place \(EISDIR\)\n {2}The letters already written and recorded in manifest\.jsonl are kept/);
    fs.rmdirSync(pdf);
    writeFileSync(path.join(out, 'ru'), 'not a folder');
    const folder = await cli(['generate', SAMPLE_CSV, '--out', out, '--lang', 'ru']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/the folder .*out\/ru cannot be used: .*out\/ru is a file, not a folder\n {2}It is a folder lettermerge makes in the output folder .*out: move away the file in its way/);
    expect(letter.stderr + folder.stderr).not.toMatch(/internal error/);
  });

  it('init into a place where folders cannot be made, and a recipients "file" that is a folder', async () => {
    const i = await cli(['init', '/proc/lettermerge-nope']);
    expect(i.code).toBe(2);
    expect(i.stderr).toMatch(/the campaign folder \/proc\/lettermerge-nope cannot be made/);
    const v = await cli(['validate', t.dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/the recipients file is a folder, not a file/);
    const g = await cli(['generate', t.dir, '--out', path.join(t.dir, 'o')]);
    expect(g.code).toBe(3);
    expect(i.stderr + v.stderr + g.stderr).not.toMatch(/This is a bug/);
    // A folder that holds lists (the campaign's, with its recipients.csv) names them.
    const campaign = path.join(t.dir, 'c');
    expect((await cli(['init', campaign])).code).toBe(0);
    const c = await cli(['validate', campaign]);
    expect(c.stderr).toContain(`the recipients file is a folder, not a file\n  It holds "recipients.csv": give the list itself, e.g. ${path.join(campaign, 'recipients.csv')}.`);
    // Many lists: the first three, and how many more.
    const lists = path.join(t.dir, 'lists');
    mkdirSync(lists);
    for (const n of ['a', 'b', 'c', 'd', 'e']) writeFileSync(path.join(lists, `${n}.csv`), 'id,language\n');
    expect((await cli(['validate', lists])).stderr).toContain(`It holds "a.csv", "b.csv", "c.csv", and 2 more: give the list itself, e.g. ${path.join(lists, 'a.csv')}.`);
  });

  it('makes no file or folder whose name holds a line break or another control character (init, --out)', async () => {
    const i = await cli(['init', path.join(t.dir, 'campaign\n')]);
    expect(i.code).toBe(2);
    expect(i.stderr).toMatch(/the name "campaign\\n" holds a line break \(U\+000A\)/);
    const g = await cli(['generate', SAMPLE_CSV, '--out', path.join(t.dir, 'out\u001b[31m', 'letters'), '--jobs', '1']);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/holds a control character \(U\+001B\)/);
    const p = await cli(['preview', SAMPLE_CSV, '--row', '1', '--out', path.join(t.dir, 'letter\n.pdf')]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/the --out file ".*letter\\n\.pdf" cannot be made: its name holds a line break \(U\+000A\)/);
    expect(fs.readdirSync(t.dir)).toEqual([]);
    expect(i.stderr + g.stderr + p.stderr).not.toMatch(/This is a bug/);
  });

  it('takes a backslash in a path for what it is on Windows: no folder "letters\\es" is made, and a list so named is pointed to', async () => {
    const g = await cli(['generate', SAMPLE_CSV, '--out', path.join(t.dir, 'letters\\es'), '--lang', 'es', '--jobs', '1']);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/the name "letters\\\\es" holds a backslash, which separates folders only on Windows: here they are separated by "\/"/);
    const p = await cli(['proof', SAMPLE_CSV, '--out', path.join(t.dir, 'proofs\\all.pdf')]);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/its name holds a backslash/);
    expect(fs.readdirSync(t.dir)).toEqual([]);
    const list = await cli(['validate', 'samples\\recipients.csv']);
    expect(list.code).toBe(3);
    expect(list.stderr).toMatch(/samples\\recipients\.csv: the recipients file was not found\n {2}Folders are separated by "\/" here, not by a backslash: samples\/recipients\.csv/);
    // A folder that exists with a backslash in its name is used as it is.
    const odd = path.join(t.dir, 'made\\by hand');
    fs.mkdirSync(odd);
    expect((await cli(['generate', SAMPLE_CSV, '--out', odd, '--lang', 'ru', '--jobs', '1'])).code).toBe(0);
  });

  it('says so when --campaign is given a file (the list in the wrong place, or campaign.yaml itself), a folder inside the campaign or a folder that is no campaign', async () => {
    const list = await cli(['validate', SAMPLE_CSV, '--campaign', SAMPLE_CSV]);
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/the campaign folder given is a file, not a folder: .*recipients\.csv/);
    const campaign = campaignCopy(t.dir);
    const yaml = await cli(['validate', SAMPLE_CSV, '--campaign', path.join(campaign, 'campaign.yaml')]);
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toContain('the campaign is the folder that holds campaign.yaml, not the file itself');
    expect(yaml.stderr).toContain(`Pass --campaign ${campaign}.`);
    // A folder inside the campaign (its language folder) names the campaign's.
    const inner = await cli(['validate', SAMPLE_CSV, '--campaign', path.join(campaign, 'es')]);
    expect(inner.code).toBe(3);
    expect(inner.stderr).toContain(`campaign.yaml was not found\n  The folder above holds one: pass --campaign ${campaign}.`);
    // A folder that is no campaign: how one is made, there if it is empty.
    const empty = path.join(t.dir, 'empty');
    mkdirSync(empty);
    const none = await cli(['validate', SAMPLE_CSV, '--campaign', empty]);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`campaign.yaml was not found\n  A campaign is a folder with campaign.yaml and a letter per language: "lettermerge init ${empty}" writes one from the sample, to edit.`);
    writeFileSync(path.join(empty, 'notes.txt'), 'x');
    expect((await cli(['validate', SAMPLE_CSV, '--campaign', empty])).stderr).toContain('"lettermerge init <new folder>" writes one from the sample');
  });

  it('says what a file given as the recipients list is, when it is plainly not a CSV', async () => {
    const pdf = path.join(t.dir, 'letter.pdf');
    writeFileSync(pdf, '%PDF-1.7\n' + 'x'.repeat(200));
    const a = await cli(['validate', pdf]);
    expect(a.code).toBe(3);
    expect(a.stderr).toMatch(/letter\.pdf: the recipients file is a PDF document, not a CSV file/);
    // A damaged workbook (a ZIP's first bytes, then nothing of one).
    const zip = path.join(t.dir, 'people.xlsx');
    writeFileSync(zip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100)]));
    const z = await cli(['validate', zip]);
    expect(z.code).toBe(3);
    expect(z.stderr).toMatch(/people\.xlsx: the workbook cannot be read: .*save the list as CSV UTF-8/s);
    const binary = path.join(t.dir, 'data.csv');
    writeFileSync(binary, Buffer.alloc(500));
    expect((await cli(['generate', binary, '--out', path.join(t.dir, 'o')])).stderr).toMatch(/holds binary data \(NUL bytes\), not CSV text/);
    // Text, but not CSV: a web application's "Excel" export (an HTML page named .xls), an Excel 2003 XML spreadsheet.
    const html = path.join(t.dir, 'export.xls');
    writeFileSync(html, '\n  <!DOCTYPE html>\n<html><body><table><tr><td>id</td><td>email</td></tr></table></body></html>\n');
    const h = await cli(['validate', html]);
    expect(h.code).toBe(3);
    expect(h.stderr).toMatch(/export\.xls: the recipients file is an HTML page, not a CSV file \(web applications often give their "Excel" exports as HTML pages named \.xls\)\n {2}Open it in Excel or LibreOffice and save it as \.xlsx or CSV UTF-8/);
    const xml = path.join(t.dir, 'list.xml');
    writeFileSync(xml, '\uFEFF<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook/>\n');
    expect((await cli(['validate', xml])).stderr).toMatch(/list\.xml: the recipients file is an XML document, not a CSV file/);
    // A list saved from WordPad or TextEdit: its first line was taken for the header, every column reported missing.
    const rtf = path.join(t.dir, 'list.csv.rtf');
    writeFileSync(rtf, '{\\rtf1\\ansi\\deff0 id,language,group\\par\n}');
    expect((await cli(['validate', rtf])).stderr).toMatch(/list\.csv\.rtf: the recipients file is rich text \(RTF, as WordPad and TextEdit save it\), not a CSV file\n {2}Save it as CSV UTF-8/);
    // An output folder's own files, and a JSON export: each was read as CSV and failed as a misplaced quote.
    const out = path.join(t.dir, 'letters');
    expect((await cli(['generate', SAMPLE_CSV, '--out', out, '--limit', '1', '--jobs', '1'])).code).toBe(0);
    const m = await cli(['validate', path.join(out, 'manifest.jsonl')]);
    expect(m.code).toBe(3);
    expect(m.stderr).toMatch(/manifest\.jsonl: the recipients file is lettermerge's manifest\.jsonl, not a CSV file/);
    const eml = fs.readdirSync(path.join(out, 'es')).find((f) => f.endsWith('.eml'))!;
    expect((await cli(['validate', path.join(out, 'es', eml)])).stderr).toMatch(/the recipients file is an e-mail message, not a CSV file \(its first lines are mail headers\)/);
    const json = path.join(t.dir, 'people.json');
    writeFileSync(json, '[\n  {"id": "a1", "email": "a@example.org"}\n]\n');
    expect((await cli(['validate', json])).stderr).toMatch(/people\.json: the recipients file is JSON, not a CSV file/);
  });

  it('an alias bomb in campaign.yaml is a problem of the file, not a crash', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');
    const dir = campaignCopy(t.dir);
    writeFileSync(path.join(dir, 'campaign.yaml'), `${bomb}\n${readFileSync(path.join(dir, 'campaign.yaml'), 'utf8')}`);
    const v = await cli(['validate', writeCsv(t.dir, 'r.csv', [row()]), '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/campaign\.yaml:1: campaign\.yaml cannot be read: Excessive alias count/);
    expect(v.stderr).not.toMatch(/This is a bug/);
  });

  it('caps worker threads at the cores and the letters, and says so', async () => {
    const csv = writeCsv(t.dir, 'one.csv', [row()]);
    const r = await cli(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '100', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: --jobs 100: 1 thread used, at most one per core \(this machine has \d+\) and one per letter \(1 to make\)/);
    expect(JSON.parse(r.stdout).jobs).toBe(1);
  });

  it('send given the manifest, a letter or a language folder names the output folder to send', async () => {
    const out = path.join(t.dir, 'letters');
    expect((await cli(['generate', SAMPLE_CSV, '--out', out, '--limit', '1', '--jobs', '1'])).code).toBe(0);
    const smtp = ['--smtp', 'smtp://127.0.0.1:9'];
    const pdf = fs.readdirSync(path.join(out, 'es')).find((f) => f.endsWith('.pdf'))!;
    const cases: [string, RegExp][] = [
      [path.join(out, 'manifest.jsonl'), /manifest\.jsonl is the manifest, not the output folder that holds it\n {2}Send .*letters\./],
      [path.join(out, 'es'), /es is a folder inside the output folder .*letters, and has no manifest\.jsonl of its own\n {2}Send .*letters\./],
      [path.join(out, 'es', pdf), /\.pdf is a file, not a folder\n {2}It is a file of the output folder .*letters: send that folder\./],
    ];
    for (const [given, said] of cases) {
      const r = await cli(['send', given, ...smtp]);
      expect([given, r.code]).toEqual([given, 2]);
      expect(r.stderr).toMatch(said);
    }
  });

  it('--rate takes any number above 0; --lang "" is not "all languages"', async () => {
    const rate = await cli(['send', path.join(t.dir, 'nothing'), '--smtp', 'smtp://127.0.0.1:9', '--rate', '1e9']);
    expect(rate.stderr).not.toMatch(/takes a number/);
    expect(rate.stderr).toMatch(/nothing does not exist/); // got past the option check
    expect((await cli(['send', t.dir, '--smtp', 'smtp://127.0.0.1:9', '--rate', '0'])).code).toBe(2);
    const lang = await cli(['generate', SAMPLE_CSV, '--lang', '', '--out', path.join(t.dir, 'o')]);
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/--lang names no language/);
    expect(existsSync(path.join(t.dir, 'o'))).toBe(false);
  });

  it('a template that never closes a block is reported whole, with its line', async () => {
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\n{{salutation}}\n\n{{#if position}}Dear colleague\n\nMore text.\n' });
    const v = await cli(['validate', writeCsv(t.dir, 'r.csv', [row()]), '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/letter\.md:\d+: the letter template cannot be used: the template ends inside a block: a closing tag such as \{\{\/if\}\} or \{\{\/each\}\} is missing/);
    expect(v.stderr).not.toMatch(/Parse error on line \d+:\s*$/m);
  });

  it('nothing a template does reaches stdout: {{log}} goes to stderr, so --json stays JSON', async () => {
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\n{{log "hello from the template"}}{{salutation}}\n' });
    const csv = writeCsv(t.dir, 'r.csv', [row()]);
    const p = spawnSync(process.execPath, [BIN, 'generate', csv, '--campaign', dir, '--out', path.join(t.dir, 'o'), '--json', '--jobs', '1'], { cwd: ROOT, encoding: 'utf8' });
    expect(p.status).toBe(0);
    expect(() => JSON.parse(p.stdout)).not.toThrow();
    expect(p.stderr).toMatch(/template log: hello from the template/);
    const text = spawnSync(process.execPath, [BIN, 'preview', csv, '--campaign', dir, '--row', '1', '--text'], { cwd: ROOT, encoding: 'utf8' });
    expect(text.stdout).not.toMatch(/hello from the template/);
  });

  it('escapes what it prints: an id with terminal escape codes is shown, not obeyed', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'evil\u001b[2J\u001b]0;owned\u0007' })]);
    const v = await cli(['validate', csv]);
    expect(v.code).toBe(4);
    expect(v.stderr).not.toMatch(/\u001b|\u0007/);
    expect(v.stderr).toContain('evil\\x1b[2J\\x1b]0;owned\\x07');
  });

  it('reports the physical line of a row after cells with CR LF line breaks', async () => {
    const good = (id: string, address: string) => row({ id, address }).map((c) => (/[",\r\n]/.test(c) ? `"${c}"` : c)).join(',');
    const text = [HEADER, good('a', 'L1\r\nL2'), good('b', 'L1\r\nL2\r\nL3'), row({ id: 'c', email: 'broken' }).join(',')].join('\r\n') + '\r\n';
    const v = await cli(['validate', rawCsv(t.dir, 'crlf.csv', text)]);
    expect(v.stderr).toMatch(/crlf\.csv:7: id c, email: "broken" is not an e-mail address/);
  });

  it('refuses a gender it does not know, saying which values it knows', async () => {
    const v = await cli(['validate', writeCsv(t.dir, 'r.csv', [row({ gender: 'x' })])]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/gender: unknown gender "x" \(known: female or male in any of the six languages \(F, M, Mujer, Homme, 女…\), or empty for the neutral salutation\)/);
  });

  it('a block that cannot fit is a row error, never text drawn over the footer', async () => {
    const address = Array.from({ length: 60 }, (_, i) => `Line ${i + 1}`).join('\n');
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'ok' }), row({ id: 'long', address })]);
    const v = await cli(['validate', csv]);
    expect(v.stderr).toMatch(/id long, address: the address has 60 lines; a letter's addressee block holds at most 15/);
    // Fifteen lines that each wrap, beside long names, still do not fit: layout stops them, as a row error.
    const wide = Array.from({ length: 15 }, () => 'An address line long enough to wrap in the block').join('\n');
    const long = (word: string, n: number) => Array.from({ length: n }, () => word).join(' ');
    const csv2 = writeCsv(t.dir, 'r2.csv', [
      row({ id: 'ok' }),
      row({ id: 'wide', address: wide, organization: long('Organisation', 22), position: long('Position', 30), last_name: long('Surname', 24) }),
    ]);
    const g = await cli(['generate', csv2, '--out', path.join(t.dir, 'o'), '--jobs', '1']);
    expect(g.code).toBe(4);
    expect(g.stderr).toMatch(/id wide \(en\), address: the addressee block .* is too long to fit on the page above the footer/);
    expect(existsSync(path.join(t.dir, 'o', 'en', 'ok.pdf'))).toBe(true);
  });
});

describe('odd names and addresses reach the reader as typed', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('folds a line break typed into a name, title or organisation; the address keeps its lines', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [row({ first_name: 'Ada\r\nMaria', title: 'Dr\n', organization: 'Example\nUniversity', address: 'Line 1\nLine 2' })]);
    const g = await cli(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '1']);
    expect(g.code).toBe(0);
    const pdf = inspectPdfs([path.join(t.dir, 'o', 'en', 'r1.pdf')])[0];
    const lines = pdf.pages[0].text.split('\n').map((l) => l.trim());
    expect(lines).toContain('To: Dr Ada Maria Quinlan');
    expect(lines).toContain('Example University');
    expect(lines).toEqual(expect.arrayContaining(['Line 1', 'Line 2']));
  });

  it('a name that looks like an encoded word is shown as typed, not decoded into other text', async () => {
    const name = '=?UTF-8?B?SGFja2Vk?=';
    const csv = writeCsv(t.dir, 'r.csv', [row({ first_name: name, last_name: 'Smith' })]);
    expect((await cli(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '1'])).code).toBe(0);
    const raw = readFileSync(path.join(t.dir, 'o', 'en', 'r1.eml'));
    const mail = await simpleParser(raw);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].name : '').toBe(`${name} Smith`);
    const headerBlock = raw.toString('latin1').split('\r\n\r\n')[0];
    expect(headerBlock).not.toContain('SGFja2Vk?= Smith');
  });

  it('writes an address with a domain in another script in ASCII; refuses one with non-ASCII before the @, naming an invisible character', async () => {
    const csv = writeCsv(t.dir, 'r.csv', [
      row({ id: 'idn', email: 'ann@exämple.org' }),
      row({ id: 'utf8', email: 'änn@example.org' }),
      // Pasted from a web page: a zero-width space, invisible, is named rather than called a letter.
      row({ id: 'zwsp', email: 'ann\u200b@example.org' }),
      row({ id: 'shy', email: 'ann@exam\u00adple.org' }),
    ]);
    const g = await cli(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '1']);
    expect(g.code).toBe(4);
    expect(g.stderr).toMatch(/id utf8, email: "änn@example\.org" has letters outside ASCII before the @; sending to it needs SMTPUTF8/);
    expect(g.stderr).toMatch(/id zwsp, email: "ann\u200b@example\.org" holds an invisible character \(U\+200B\), often pasted/);
    expect(g.stderr).toMatch(/id shy, email: "ann@exam\u00adple\.org" holds an invisible character \(U\+00AD\)/);
    const raw = readFileSync(path.join(t.dir, 'o', 'en', 'idn.eml'), 'latin1');
    expect(raw).toMatch(/^[\x00-\x7f]*$/);
    expect(raw).toMatch(/^To: .*<ann@xn--exmple-cua\.org>/m);
    const manifest = readFileSync(path.join(t.dir, 'o', 'manifest.jsonl'), 'utf8');
    expect(manifest).toContain('"to":"ann@xn--exmple-cua.org"');
  });
});

describe('a run that produced none of its letters never exits 0, and shows no stack trace', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('a bug while making letters fails them, is reported without a stack, and exits 1', async () => {
    const spy = jest.spyOn(produce, 'produceLetter').mockRejectedValue(new TypeError('something undefined'));
    try {
      const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a' }), row({ id: 'b' })]);
      const r = await cli(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '1', '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ letters: 2, produced: 0, failed: 2 });
      expect(r.stderr).toMatch(/id a \(en\): internal error while making this letter: something undefined \(a bug in lettermerge: run again with --debug and report it\)/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      spy.mockRestore();
    }
  });

  it('a second Ctrl-C quits at once, and still says how to finish', async () => {
    const csv = writeCsv(t.dir, 'r.csv', Array.from({ length: 4 }, (_, i) => row({ id: `p${i}` })));
    let handler: (() => void) | undefined;
    let stderr = '';
    let exitedWith: number | undefined;
    const io = {
      stdout: () => undefined,
      stderr: (s: string) => (stderr += s),
      onInterrupt: (h: () => void) => ((handler = h), () => undefined),
      exitNow: (code: number) => (exitedWith = code),
    };
    const running = run(['generate', csv, '--out', path.join(t.dir, 'o'), '--jobs', '1'], io);
    await new Promise((r) => setImmediate(r));
    handler!();
    handler!();
    await running;
    expect(exitedWith).toBe(130);
    expect(stderr).toMatch(/Quit at once\. Letters finished so far are recorded\. To finish, run:\n  lettermerge generate .*r\.csv --out .* --jobs 1 --resume/);
  });
});
