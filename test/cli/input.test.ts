import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { HEADER, cli, flatText, inspectPdfs, row, tempDir } from '../helpers';

const cell = (v: string) => (/[",;\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csvText = (rows: string[][], header = HEADER, sep = ',', eol = '\n') =>
  [header.split(',').join(sep), ...rows.map((r) => r.map(cell).join(sep))].join(eol) + eol;

interface Case {
  name: string;
  /** The file's bytes. */
  bytes: () => Buffer;
  validate: number;
  generate: number;
  /** What the messages must say (all of them, every problem at once). */
  messages: RegExp[];
  /** Rows that generate still produces. */
  produced?: string[];
  /** Rows that end in failed.csv. */
  failed?: string[];
}

const good = (id: string, o: Record<string, string> = {}) => row({ id, address: 'Street 1', ...o });

const CASES: Case[] = [
  {
    name: 'byte order mark, semicolons and CRLF',
    bytes: () => Buffer.from('\uFEFF' + csvText([good('a', { address: 'Line 1\r\nLine 2' }), good('b')], HEADER, ';', '\r\n')),
    validate: 0,
    generate: 0,
    messages: [/2 rows checked, no problems/],
    produced: ['a', 'b'],
  },
  {
    name: 'Windows-1252',
    bytes: () => Buffer.from(csvText([good('a', { language: 'fr', first_name: 'Zoé', last_name: 'Lefèvre' })]), 'latin1'),
    validate: 0,
    generate: 0,
    messages: [/note: .*read as Windows-1252/],
    produced: ['a'],
  },
  {
    name: 'UTF-16 with a byte order mark',
    bytes: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csvText([good('a', { last_name: 'Ñúñez' })]), 'utf16le')]),
    validate: 0,
    generate: 0,
    messages: [/note: .*UTF-16/],
    produced: ['a'],
  },
  {
    name: 'a missing column',
    bytes: () => Buffer.from('id,language,email\na,en,a@example.org\n'),
    validate: 3,
    generate: 3,
    messages: [/:1: missing columns: group, gender, title/],
  },
  {
    name: 'unknown language and group, bad e-mail, empty last name and organization — all at once',
    bytes: () =>
      Buffer.from(
        csvText([
          good('ok'),
          good('lang', { language: 'xx' }),
          good('grp', { group: 'press' }),
          good('mail', { email: 'nobody@' }),
          good('noname', { last_name: '', organization: '' }),
        ]),
      ),
    validate: 4,
    generate: 4,
    messages: [/:3: id lang, language: unknown language "xx"/, /:4: id grp, group: unknown group "press"/, /:5: id mail, email: "nobody@" is not an e-mail address/, /:6: id noname, last_name: neither/],
    produced: ['ok'],
    failed: ['lang', 'grp', 'mail', 'noname'],
  },
  {
    name: 'duplicate ids, also differing only in case',
    bytes: () => Buffer.from(csvText([good('a'), good('b'), good('A'), good('b')])),
    validate: 3,
    generate: 3,
    messages: [/:4: id "A" is used twice \(first on line 2/, /:5: id "b" is used twice \(first on line 3/],
  },
  {
    name: 'an unterminated quote',
    bytes: () => Buffer.from(`${HEADER}\na,en,academia,,,A,B,,,"open,x,a@example.org\n`),
    validate: 3,
    generate: 3,
    messages: [/:2: a quote opened in the row that begins here is never closed/],
  },
  {
    name: 'ragged rows',
    bytes: () => Buffer.from(`${HEADER}\n${good('a').join(',')}\nb,en,academia\n${good('c').join(',')},extra\n`),
    validate: 3,
    generate: 3,
    messages: [/:3: this row has 3 cells but the header has 12/, /:4: this row has 13 cells/],
  },
  { name: 'an empty file', bytes: () => Buffer.from(''), validate: 3, generate: 3, messages: [/the file is empty/] },
  { name: 'a header and no rows', bytes: () => Buffer.from(`${HEADER}\n`), validate: 3, generate: 3, messages: [/header but no recipients/] },
  {
    name: 'hostile ids',
    bytes: () =>
      Buffer.from(csvText([good('fine'), good('../../etc/passwd'), good('a/b'), good('CON'), good('.hidden'), good('tab\there'), good('end.'), good('gob-méx-001'), good('two words')])),
    validate: 4,
    generate: 4,
    messages: [
      /id "..\/..\/etc\/passwd" cannot name a file/,
      /id "a\/b" cannot name a file \(it holds "\/", U\+002F\)/,
      /id "CON" cannot name a file/,
      /id ".hidden" cannot name a file/,
      /id "end." cannot name a file/,
      /id tab\s?here.*control character|tab\there.*cannot name/,
      // The character at fault is named: an accent is a letter, but not one a file name may safely hold.
      /id "gob-méx-001" cannot name a file \(it holds "é", U\+00E9, a letter outside a-z\): use the letters a-z and A-Z, digits/,
      /id "two words" cannot name a file \(it holds a space\)/,
    ],
    produced: ['fine'],
    failed: ['../../etc/passwd', 'a/b', 'CON', '.hidden', 'tab\there', 'end.', 'gob-méx-001', 'two words'],
  },
  {
    name: 'huge fields',
    bytes: () => Buffer.from(csvText([good('ok'), good('org', { organization: 'O'.repeat(200 * 1024) }), good('sur', { last_name: 'S'.repeat(500) })])),
    validate: 4,
    generate: 4,
    messages: [/id org, organization: organization is 204800 characters long; a letter holds at most 300/, /id sur, last_name: last_name is 500 characters long/],
    produced: ['ok'],
    failed: ['org', 'sur'],
  },
];

describe('input checks: validate and generate on troublesome files', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = path.join(t.dir, 'input.csv');
    writeFileSync(file, c.bytes());
    const v = await cli(['validate', file]);
    expect(v.code).toBe(c.validate);
    for (const m of c.messages) expect(v.stderr).toMatch(m);
    expect(v.stderr).not.toMatch(/\n\s+at /);

    const out = path.join(t.dir, 'out');
    const g = await cli(['generate', file, '--out', out, '--jobs', '1']);
    expect(g.code).toBe(c.generate);
    expect(g.stderr).not.toMatch(/\n\s+at /);
    if (c.generate === 3) {
      expect(existsSync(out)).toBe(false);
      return;
    }
    const made = readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.pdf'));
    expect(made.map((f) => path.basename(f, '.pdf')).sort()).toEqual([...(c.produced ?? [])].sort());
    if (c.failed) {
      const failed = parse(readFileSync(path.join(out, 'failed.csv')), { columns: true, bom: true }) as Record<string, string>[];
      expect(failed.map((f) => f.id).sort()).toEqual([...c.failed].sort());
      expect(failed.every((f) => f.error.length > 0)).toBe(true);
    } else {
      expect(existsSync(path.join(out, 'failed.csv'))).toBe(false);
    }
  });

  it('notes an e-mail address on more than one row (ignoring case), and makes each row\'s letter', async () => {
    const file = path.join(t.dir, 'input.csv');
    writeFileSync(file, csvText([good('a', { email: 'office@example.org' }), good('b', { email: 'b@example.org' }), good('c', { email: 'Office@Example.org' })]));
    const note = /note: .*an e-mail address is on more than one row: office@example\.org \(lines 2, 4\)\. Each row gets its own letter and e-mail; if two rows are one recipient, remove one of them/;
    const v = await cli(['validate', file]);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(note);
    const g = await cli(['generate', file, '--out', path.join(t.dir, 'out'), '--jobs', '1', '--json']);
    expect(g.code).toBe(0);
    expect(g.stderr).toMatch(note);
    expect(JSON.parse(g.stdout)).toMatchObject({ produced: 3, notices: [expect.stringMatching(/office@example\.org \(lines 2, 4\)/)] });
  });

  it('takes a domain in its own script and in xn-- form for one address, and names a mailto: link, a wide @, a name with its address, two addresses, a numbered domain and one in two look-alike scripts', async () => {
    const file = path.join(t.dir, 'idn.csv');
    writeFileSync(
      file,
      csvText([
        good('a', { email: 'jose@exámple.com' }),
        good('b', { email: 'JOSE@xn--exmple-qta.com' }),
        good('c', { email: 'mailto:c@example.org' }),
        good('d', { email: 'd＠example.org' }),
        // As a mail program copies them: a name with the address, two addresses, and a machine's number.
        good('e', { email: 'Eva Ruiz <eva@example.org>' }),
        good('f', { email: 'f@example.org; g@example.org' }),
        good('h', { email: 'h@10.0.0.1' }),
        // A Cyrillic "а" typed in a Latin domain; a domain all in Cyrillic is a real one.
        good('i', { email: 'i@pаypal.com' }),
        good('j', { email: 'j@пример.рф' }),
      ]),
    );
    const v = await cli(['validate', file]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/an e-mail address is on more than one row: jose@xn--exmple-qta\.com \(lines 2, 3\)/);
    expect(v.stderr).toContain(':4: id c, email: "mailto:c@example.org" is a mailto: link, not an address: write the address alone (c@example.org)');
    expect(v.stderr).toContain(':5: id d, email: "d＠example.org" holds a wide "＠" (U+FF20) where "@" should be, as a Chinese or Japanese keyboard types it: type "@"');
    expect(v.stderr).toContain(':6: id e, email: "Eva Ruiz <eva@example.org>" is a name with an address: write the address alone (eva@example.org)');
    expect(v.stderr).toContain(':7: id f, email: "f@example.org; g@example.org" holds more than one address: a row has one (copies go in a cc column)');
    expect(v.stderr).toContain(':8: id h, email: "h@10.0.0.1" is not an e-mail address (the domain "10.0.0.1" is a number, not a name)');
    expect(v.stderr).toContain(':9: id i, email: "i@pаypal.com" is not an e-mail address: its domain mixes Latin and Cyrillic letters in "pаypal" ("а" is Cyrillic)');
    expect(v.stderr).not.toContain('id j,');
  });

  it('prints values exactly as typed, even when they look like markup or code', async () => {
    const hostile = '{{id}} **bold** [link](https://evil.example) <script>alert(1)</script> __proto__';
    const file = path.join(t.dir, 'h.csv');
    writeFileSync(file, csvText([[...good('h', { organization: hostile }), 'x', 'y']], `${HEADER},__proto__,constructor`));
    const out = path.join(t.dir, 'out');
    const g = await cli(['generate', file, '--out', out, '--jobs', '1']);
    expect(g.code).toBe(0);
    const [pdf] = inspectPdfs([path.join(out, 'en', 'h.pdf')]);
    expect(flatText(pdf)).toContain(hostile);
    expect(pdf.pages.flatMap((p) => p.annotations.map((a) => a.url))).not.toContain('https://evil.example');
  });

  it('writes nothing through a symbolic link out of the output folder', async () => {
    const file = path.join(t.dir, 'a.csv');
    writeFileSync(file, csvText([good('a')]));
    const out = path.join(t.dir, 'out');
    const elsewhere = path.join(t.dir, 'elsewhere');
    mkdirSync(out);
    mkdirSync(elsewhere);
    // An output folder (it has a manifest) whose language folder someone replaced with a link.
    writeFileSync(path.join(out, 'manifest.jsonl'), '');
    symlinkSync(elsewhere, path.join(out, 'en'));
    const g = await cli(['generate', file, '--out', out, '--jobs', '1']);
    expect(g.code).toBe(3);
    expect(g.stderr).toMatch(/leads outside the output folder/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('fails a row whose language the campaign lacks, in validate and generate alike', async () => {
    const { campaignCopy, SAMPLE_CAMPAIGN } = await import('../helpers');
    const yaml = readFileSync(path.join(SAMPLE_CAMPAIGN, 'campaign.yaml'), 'utf8').replace(/^languages: .*$/m, 'languages: [en]').replace(/^default_language: es$/m, 'default_language: en');
    const dir = campaignCopy(t.dir, { 'campaign.yaml': yaml });
    const file = path.join(t.dir, 'a.csv');
    writeFileSync(file, csvText([good('a'), good('b', { language: 'es' })]));
    const v = await cli(['validate', file, '--campaign', dir]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/:3: id b \(es\), language: the campaign has no templates in language "es"/);
    // The folder has Spanish templates, left out of languages: (the hint only listed the languages).
    expect(v.stderr).toMatch(/The campaign folder has es\/letter\.md, but campaign\.yaml's languages: lists only en: add es there to make its letters\./);
    const p = await cli(['preview', file, '--campaign', dir, '--row', '2', '--text']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/the campaign has no "es" templates\n.*The campaign folder has es\/letter\.md/);
    const out = path.join(t.dir, 'out');
    const g = await cli(['generate', file, '--campaign', dir, '--out', out, '--jobs', '1']);
    expect(g.code).toBe(4);
    expect(g.stderr).toMatch(/:3: id b \(es\), language: the campaign has no templates in language "es"/);
    expect(readdirSync(path.join(out, 'en'))).toEqual(['a.eml', 'a.pdf']);
  });

  it('names the template and every column it lacks', async () => {
    const { campaignCopy } = await import('../helpers');
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S {{ref_no}}\n---\nDear {{nickname}},\n\n{{#if vip}}Hello{{/if}} {{groupName group}}\n' });
    const file = path.join(t.dir, 'a.csv');
    writeFileSync(file, csvText([good('a')]));
    const v = await cli(['validate', file, '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/letter\.md:4: the template uses "nickname", which is not a column of .*a\.csv/);
    expect(v.stderr).toMatch(/letter\.md:6: the template uses "vip"/);
    // The subject's line, not the file's first.
    expect(v.stderr).toMatch(/letter\.md:2: the template uses "ref_no"/);
    expect(v.stderr).not.toMatch(/"groupName"|"group"/);
    // A name near a column or one the merge gives is named.
    const near = campaignCopy(path.join(t.dir, 'near'), { 'en/letter.md': '---\nsubject: S\n---\n{{salutaion}}\n\n{{Organisation}}, {{sender.titel}}\n\n{{ｆｉｒｓｔ_ｎａｍｅ}}\n' });
    const n = await cli(['validate', file, '--campaign', near]);
    expect(n.stderr).toMatch(/letter\.md:4: the template uses "salutaion", which is not a column of .*a\.csv\n {2}Did you mean \{\{salutation\}\}\? Otherwise, add a "salutaion" column to the CSV\./);
    expect(n.stderr).toMatch(/letter\.md:6: the template uses "Organisation".*\n {2}Did you mean \{\{organization\}\}\?/);
    // Full-width letters, as a Chinese keyboard types them.
    expect(n.stderr).toMatch(/letter\.md:8: the template uses "ｆｉｒｓｔ_ｎａｍｅ".*\n {2}Did you mean \{\{first_name\}\}\? "ｆｉｒｓｔ_ｎａｍｅ" is typed in full-width letters, as a Chinese keyboard gives them\./);
  });
});

describe('preview and init', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('init writes a campaign that validates, previews and generates', async () => {
    const dir = path.join(t.dir, 'my-campaign');
    const i = await cli(['init', dir]);
    expect(i.code).toBe(0);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['campaign.yaml', 'GUIDE.md', 'recipients.csv', 'signature.svg', 'es', 'en', 'ar', 'zh']));
    expect((await cli(['init', dir])).code).toBe(2); // never over an existing campaign
    const csv = path.join(dir, 'recipients.csv');
    expect((await cli(['validate', csv, '--campaign', dir])).code).toBe(0);
    const p = await cli(['preview', csv, '--campaign', dir, '--id', 'gov-en-003', '--text']);
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/^International Telecommunication Union/);
    expect(p.stdout).toContain('Geneva, 3 September 2021');
    expect(p.stdout).toContain('To: H.E. Mr Daniel Okonkwo-Reyes');
    expect(p.stdout).toContain('Subject: Invitation to contribute to the WSIS Trust Fund – 2022');
    expect(p.stdout).toContain('Excellency,');
    expect(p.stdout).toContain('Yours faithfully,');
  });

  it('preview writes one PDF by row number, and says which recipient is missing', async () => {
    const out = path.join(t.dir, 'one.pdf');
    const p = await cli(['preview', 'samples/recipients.csv', '--row', '2', '--out', out]);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/Wrote .*one\.pdf \(gov-es-002, es, \d pages?\)/);
    const [pdf] = inspectPdfs([out]);
    expect(flatText(pdf)).toContain('Julián Cordero Pizarro');
    const missing = await cli(['preview', 'samples/recipients.csv', '--id', 'nobody', '--text']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no recipient has the id "nobody"/);
    // Ids are told apart ignoring case; one with a letter off is named.
    const capitals = await cli(['preview', 'samples/recipients.csv', '--id', 'GOV-ES-002', '--text']);
    expect(capitals.code).toBe(0);
    expect(capitals.stdout).toContain('Julián Cordero Pizarro');
    const near = await cli(['preview', 'samples/recipients.csv', '--id', 'gov-es-02', '--text']);
    expect(near.code).toBe(2);
    expect(near.stderr).toMatch(/no recipient has the id "gov-es-02"\n {2}Did you mean --id gov-es-00[12]\?/);
    expect((await cli(['preview', 'samples/recipients.csv', '--text'])).code).toBe(2);
  });
});
