import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { EXIT, LetterMergeError, exitCodeFor } from '../../src/errors';
import { Merger } from '../../src/template/merge';
import { generate } from '../../src/batch/generate';
import { validate } from '../../src/batch/validate';
import { campaignCopy, cli, hasCommand, row, sampleYaml, signaturePng, tempDir, writeCsv } from '../helpers';

function loadError(dir: string): LetterMergeError {
  try {
    loadCampaign(dir);
  } catch (err) {
    if (err instanceof LetterMergeError) return err;
    throw err;
  }
  throw new Error('the campaign loaded');
}

/** The line of campaign.yaml (1-based) that holds `text`. */
function lineOf(dir: string, text: string): number {
  return readFileSync(path.join(dir, 'campaign.yaml'), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
}

describe('the place before the date', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('is left out where campaign.yaml names none (the letters said "Geneva"), and is written per language where it gives one for each', async () => {
    const none = campaignCopy(path.join(t.dir, 'none'), { 'campaign.yaml': sampleYaml([/^place: Geneva.*\n/m, '']) });
    const empty = campaignCopy(path.join(t.dir, 'empty'), { 'campaign.yaml': sampleYaml([/^place: Geneva.*$/m, 'place: ""']) });
    const each = campaignCopy(path.join(t.dir, 'each'), {
      'campaign.yaml': sampleYaml([/^place: Geneva.*$/m, 'place: { es: Ciudad de México, en: Mexico City, fr: Mexico, ru: Мехико, zh: 墨西哥城, ar: مكسيكو سيتي }']),
    });
    const one = campaignCopy(path.join(t.dir, 'one'), { 'campaign.yaml': sampleYaml([/^place: Geneva.*$/m, 'place: Bonn']) });
    const r = (await readRecipients(writeCsv(t.dir, 'r.csv', [row()]))).recipients[0];
    const lines = (dir: string) => ['es', 'en', 'fr', 'ru', 'zh', 'ar'].map((l) => new Merger(loadCampaign(dir)).merge(r, l).dateLine);
    const dateAlone = ['3 de septiembre de 2021', '3 September 2021', 'Le 3 septembre 2021', '3 сентября 2021 года', '2021年9月3日', '3 سبتمبر 2021'];
    expect(lines(none)).toEqual(dateAlone);
    expect(lines(empty)).toEqual(dateAlone);
    expect(lines(each)).toEqual(['Ciudad de México, 3 de septiembre de 2021', 'Mexico City, 3 September 2021', 'Mexico, le 3 septembre 2021', 'Мехико, 3 сентября 2021 года', '墨西哥城，2021年9月3日', 'مكسيكو سيتي، 3 سبتمبر 2021']);
    expect(lines(one)).toEqual(['Bonn, 3 de septiembre de 2021', 'Bonn, 3 September 2021', 'Bonn, le 3 septembre 2021', 'Bonn, 3 сентября 2021 года', 'Bonn，2021年9月3日', 'Bonn، 3 سبتمبر 2021']);
    // A language code misspelt in the map is named, as in every value that differs by language.
    const typo = campaignCopy(path.join(t.dir, 'typo'), { 'campaign.yaml': sampleYaml([/^place: Geneva.*$/m, 'place: { es: Ginebra, eng: Geneva }']) });
    expect(loadError(typo).message).toMatch(/place: "eng" is not a language code; did you mean "en"\?/);
  });
});

describe('values given per language without one of the campaign\'s', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('are noted at their line, for the languages the run makes: the letters print the default language\'s, the e-mails carry its annex', async () => {
    const dir = campaignCopy(t.dir, {
      'campaign.yaml': sampleYaml([/^ {2}fr: Fonds d'affectation.*\n/m, ''], [/^ {6}fr: annex\/fr\.md\n/m, ''], [/^ {4}fr: Le Secrétaire général\n/m, ''], [/^ {4}ru: Генеральный секретарь\n/m, ''], [/^ {4}es: Secretario General\n/m, '']),
    });
    const yaml = path.join(dir, 'campaign.yaml');
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'f', language: 'fr', email: 'f@example.org' }), row({ id: 'e', language: 'en', email: 'e@example.org' }), row({ id: 'r', language: 'ru', email: 'r@example.org' }), row({ id: 's', language: 'es', email: 's@example.org' })]);
    const r = await validate({ csv, campaign: dir });
    expect(r.problems).toEqual([]);
    expect(r.notices).toEqual([
      `${yaml}:${lineOf(dir, 'reference:')}: reference has no fr value, so the fr letters print the es one ("Fondo Fiduciario de la CMSI 2022"): add fr: … to reference for its own`,
      `${yaml}:${lineOf(dir, '  office:')}: sender.office has no fr and ru value, so the fr and ru letters print the es one ("El Secretario General"): add fr: … to sender.office for their own`,
      `${yaml}:${lineOf(dir, '  title:')}: sender.title has no es value, so the es letters have none there: add es: … to sender.title for its own`,
      `${yaml}:${lineOf(dir, '  - file:')}: attachments[0].file has no fr file, so the fr e-mails carry the es one (annex/es.md): add fr: … to attachments[0].file for its own`,
    ]);
    // Said at campaign.yaml's line, not at the list's.
    const said = await cli(['validate', csv, '--campaign', dir]);
    expect(said.stderr).toContain(`note: ${yaml}:${lineOf(dir, 'reference:')}: reference has no fr value`);
    // Only for the languages the run makes; none for the sample, whose sender's name is one for all.
    const en = await generate({ csv, campaign: dir, out: path.join(t.dir, 'out'), languages: ['en'], jobs: 1 });
    expect(en.notices.filter((n) => n.startsWith(yaml))).toEqual([]);
    expect((await validate({ csv, campaign: campaignCopy(path.join(t.dir, 'sample')) })).notices).toEqual([]);
  });
});

describe('campaign.yaml is checked against its schema', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it.each([
    ['a misspelt top-level key', [/^reference:/m, 'refrence:'], /unknown key "refrence"; did you mean "reference"\?/, 'refrence:'],
    ['a misspelt nested key', [/  signature: signature.svg/, '  signatur: signature.svg'], /unknown key "signatur" in sender; did you mean "signature"\?/, 'signatur:'],
    ['a misspelt language code in a map', [/  es: Fondo Fiduciario/, '  ess: Fondo Fiduciario'], /reference: "ess" is not a language code; did you mean "es"\?/, 'ess: Fondo'],
    ['a misspelt label name', [/^# labels:\n#   es: \{ telephone: "Tel.:" \}/m, 'labels:\n  es: { telephon: "Tel.:" }'], /unknown key "telephon" in labels\.es; did you mean "telephone"\?/, '{ telephon'],
    ['a list where text belongs', [/^place: Geneva.*$/m, 'place: [Geneva, Vienna]'], /^place must be text/, 'place:'],
    ['text where a list belongs', [/^languages: .*$/m, 'languages: es'], /^languages must be a list of language codes/, 'languages:'],
    ['a line break in a one-line value', [/^place: Geneva.*$/m, 'place: "Geneva\\nBcc: x@evil.example"'], /^place must be one line of text/, 'place:'],
    // An attachment's name was sent as the file name in the e-mail as it was, path and all.
    ['a path as an attachment\'s name', [/^      es: Lotes de Asociación.*$/m, '      es: ../../etc/passwd'], /^attachments\[0\]\.name: "\.\.\/\.\.\/etc\/passwd" holds a \/ or \\; it is the file name the recipient sees, not a path/, 'es: ../../etc/passwd'],
    // Names no recipient could save the file under: sent as "CON.pdf", "   .pdf", and 304 characters.
    ['a device name as an attachment\'s name', [/^      es: Lotes de Asociación.*$/m, '      es: Con'], /^attachments\[0\]\.name: "Con" is a name Windows keeps for a device/, 'es: Con'],
    ['a blank attachment name', [/^      es: Lotes de Asociación.*$/m, '      es: "  "'], /^attachments\[0\]\.name: "  " is blank/, 'es: "  "'],
    ['an attachment name too long', [/^      es: Lotes de Asociación.*$/m, `      es: ${'Lotes '.repeat(30)}x`], /^attachments\[0\]\.name: "Lotes Lotes .*…" is 181 characters long: a file name of more than 120 may not be saved whole/, 'es: Lotes Lotes'],
  ] as [string, [RegExp, string], RegExp, string][])('%s is an error at its line', (_name, edit, message, lineText) => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml(edit) });
    const err = loadError(dir);
    expect(err.code).toBe('CAMPAIGN');
    expect(err.message).toMatch(message);
    expect(err.location.file).toBe(path.join(dir, 'campaign.yaml'));
    expect(err.location.line).toBe(lineOf(dir, lineText));
  });

  it('names a missing required value', () => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^  email: wsis-fund@example.org\n/m, '']) });
    expect(loadError(dir).message).toBe('contact.email is required');
  });

  it.each([
    ['a header injected into email.from', 'from: "x@example.org\\r\\nBcc: victim@evil.com"', /email\.from must be one line of text/],
    ['email.from that is not an address', 'from: "just some text"', /email\.from: "just some text" holds no e-mail address/],
    ['two addresses in email.from', 'from: "a@example.org, victim@evil.com"', /email\.from: .* is not one mailbox/],
  ])('refuses %s', (_name, from, message) => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/from: "WSIS Trust Fund <wsis-fund@example.org>"/, from]) });
    const err = loadError(dir);
    expect(err.message).toMatch(message);
    expect(err.location.line).toBe(lineOf(dir, 'from:'));
  });

  it('refuses a line break in contact.email, and a contact.email that is not an address', () => {
    let dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^  email: wsis-fund@example.org$/m, '  email: "a@example.org\\r\\nBcc: v@evil.com"']) });
    expect(loadError(dir).message).toMatch(/^contact\.email must be one line of text/);
    dir = campaignCopy(path.join(t.dir, 'b'), { 'campaign.yaml': sampleYaml([/^  email: wsis-fund@example.org$/m, '  email: nobody']) });
    expect(loadError(dir).message).toMatch(/^contact\.email: "nobody" is not an e-mail address/);
  });

  it('reads templates only from inside the campaign folder: one named outside it, or reached by a link, is refused', () => {
    const secret = path.join(t.dir, 'secret.txt');
    writeFileSync(secret, 'a key\n');
    // Named outside, under templates:.
    let dir = campaignCopy(path.join(t.dir, 'a'), { 'campaign.yaml': `${sampleYaml()}\ntemplates:\n  fr: { email: ../secret.txt }\n` });
    let err = loadError(dir);
    expect(err.code).toBe('CAMPAIGN');
    expect(err.message).toBe('templates.fr.email: ../secret.txt is outside the campaign folder');
    expect(err.location.line).toBe(lineOf(dir, 'fr: { email'));
    // A link in the template's own place: its text would have been every Spanish e-mail.
    dir = campaignCopy(path.join(t.dir, 'b'));
    rmSync(path.join(dir, 'es', 'email.txt'));
    symlinkSync(secret, path.join(dir, 'es', 'email.txt'));
    err = loadError(dir);
    expect(err.code).toBe('TEMPLATE');
    expect(err.message).toBe(`the e-mail template es/email.txt is a link to ${realpathSync(secret)}, outside the campaign folder`);
    // A link to a template inside the folder is the campaign's own.
    dir = campaignCopy(path.join(t.dir, 'c'));
    rmSync(path.join(dir, 'fr', 'letter.md'));
    symlinkSync(path.join('..', 'en', 'letter.md'), path.join(dir, 'fr', 'letter.md'));
    expect(loadCampaign(dir).templates.fr.letter.front.subject).toBe(loadCampaign(dir).templates.en.letter.front.subject);
  });

  it.each([
    ['2021-02-30', 'date "2021-02-30" is not a calendar day'],
    ['2021-9-3', 'date "2021-9-3" is not YYYY-MM-DD'],
    // Before 100, Date reads the year as 19xx: 0001 printed "1 de enero de 1901".
    ['0001-01-01', 'date "0001-01-01": the year 0001 is not one a letter is dated (1900 to 2999)'],
    ['0021-09-03', 'date "0021-09-03": the year 0021 is not one a letter is dated (1900 to 2999)'],
  ])('refuses the letter date %s', (date, message) => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^date: .*$/m, `date: "${date}"`]) });
    const err = loadError(dir);
    expect(err.message).toBe(message);
    expect(err.location.line).toBe(lineOf(dir, 'date:'));
  });

  it('refuses HTML or Markdown in a line every letter prints (it was printed as typed)', () => {
    const cases: [RegExp, string, string, RegExp][] = [
      [/^ {4}en: The Secretary-General$/m, '    en: Office of the<br>Secretary-General', 'Office of the', /^sender\.office\.en holds HTML \(<br>\), which would be printed as typed in every letter/],
      [/^ {4}en: Ms Elena Varga$/m, '    en: "**Ms Elena Varga**"', '**Ms Elena Varga**', /^contact\.name\.en holds Markdown's bold \(\*\*…\*\*\)/],
    ];
    for (const [i, [re, line, find, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `m${i}`), { 'campaign.yaml': sampleYaml([re, line]) });
      const err = loadError(dir);
      expect(err.message).toMatch(message);
      expect(err.location.line).toBe(lineOf(dir, find));
    }
  });

  it('refuses a campaign id that cannot name a file', () => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^id: .*$/m, 'id: ../../evil']) });
    expect(loadError(dir).message).toMatch(/the campaign id "\.\.\/\.\.\/evil" cannot name a file/);
  });

  it("reads a letter's front matter strictly, at the line of what is wrong, and an e-mail's only when it is one", async () => {
    const cases: [string, RegExp, number][] = [
      // Taken as "no subject", at line 1, before.
      ['---\nsubject: S\nannex: A\n\nDear reader,\n', /the front matter opened by "---" on line 1 is never closed/, 1],
      ['---\nannex: A\nsubject:\n---\nText\n', /the letter template has an empty subject/, 3],
      // Taken as the subject "a,b", and a misspelt annex left the letter without its annex line.
      ['---\nsubject: [Invitation, 2022]\n---\nText\n', /"subject" in the front matter is a list, not text/, 2],
      ['---\nsubject: S\nanex: The packages\n---\nText\n', /sets "anex", which lettermerge does not use; did you mean annex\?/, 3],
      ['---\n- subject\n---\nText\n', /the front matter holds a list, not settings/, 2],
      // A line of plain text: the marks were printed as typed, in the letter, the e-mail's subject and the PDF's title.
      ['---\nsubject: Invitation to **contribute**\n---\nText\n', /the "subject" in the letter template's front matter holds Markdown's bold \(\*\*…\*\*\), which would be printed as typed/, 2],
      ['---\nsubject: S\nannex: The <i>Packages</i>\n---\nText\n', /the "annex" in the letter template's front matter holds HTML \(<i>\)/, 3],
      // The YAML parser's own place ("at line 1, column 10:") no longer ends the message, nor shifts its line.
      ['---\nsubject: Invitation: 2022\n---\nText\n', /^front matter is not valid YAML: Nested mappings are not allowed in compact mappings$/, 2],
    ];
    for (const [i, [text, message, line]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `f${i}`), { 'en/letter.md': text });
      const err = loadError(dir);
      expect(err.message).toMatch(message);
      expect(err.location).toMatchObject({ file: path.join(dir, 'en', 'letter.md'), line });
    }
    // A Markdown annex: its front matter, and a link that would not be live in it.
    const annex: [string, RegExp][] = [
      ['---\ntitle: Packages\n', /attachments\[0\]: annex\/en\.md, line 1: the front matter opened by "---" on line 1 is never closed/],
      ['---\ntitle: Packages\n---\nThe packages.\n\nSee [the table](table.xlsx).\n', /attachments\[0\]: annex\/en\.md, line 6: the link "the table" to "table\.xlsx" would not be a live link in the annex/],
      ['---\ntitle: Packages\n---\nThe packages.\n\nSee <b>the table</b>.\n', /attachments\[0\]: annex\/en\.md, line 6: <b> is HTML, which the annex would print as typed: its text is Markdown/],
      // Printed as typed in every annex, before.
      ['---\ntitle: Packages\n---\nThe packages: A | B, and C.\n\nPackage | Amount\n--- | ---\nGold | CHF 60 000\n', /attachments\[0\]: annex\/en\.md, line 6: a table, which the annex would print as typed/],
      ['---\ntitle: Packages\n---\nThe packages.\n\nSee [the form](https://example.org/pledge form.pdf).\n', /attachments\[0\]: annex\/en\.md, line 6: a link whose address has a space \(https:\/\/example\.org\/pledge form\.pdf\), which the annex would print as typed/],
      ['---\ntitle: Packages\n---\nThe packages.\n\nDear {{first_name}},\n', /attachments\[0\]: annex\/en\.md, line 6: \{\{first_name\}\} would be printed as it is: an annex is the same for every recipient/],
    ];
    for (const [i, [text, message]] of annex.entries()) {
      const dir = campaignCopy(path.join(t.dir, `a${i}`), { 'annex/en.md': text });
      expect(loadError(dir).message).toMatch(message);
    }
    // An e-mail needs no front matter: a first line of "---" is a rule in the message (it was
    // refused as a front matter never closed, or its lines taken for one).
    const mail = campaignCopy(path.join(t.dir, 'mail'), { 'en/email.txt': '---\nDear {{first_name}},\n---\nThe letter is attached.\n' });
    const [r] = (await readRecipients(writeCsv(t.dir, 'r.csv', [row()]))).recipients;
    expect(new Merger(loadCampaign(mail)).merge(r, 'en').email.text).toBe('---\nDear Ada,\n---\nThe letter is attached.\n');
    // Settings in an e-mail's front matter were read and dropped: the e-mail kept the letter's subject.
    const settings: [string, RegExp, number][] = [
      ['---\nsubject: Our own subject\n---\nDear {{first_name}},\n', /the e-mail template's front matter sets "subject", which an e-mail template cannot set: an e-mail's subject is the letter's/, 2],
      ['---\n# From the office\nfrom: office@example.org\n---\nDear {{first_name}},\n', /sets "from", which an e-mail template cannot set: the e-mail's from is set under email: in campaign\.yaml/, 3],
    ];
    for (const [i, [text, message, line]] of settings.entries()) {
      const dir = campaignCopy(path.join(t.dir, `e${i}`), { 'en/email.txt': text });
      const err = loadError(dir);
      expect(err.message).toMatch(message);
      expect(err.location).toMatchObject({ file: path.join(dir, 'en', 'email.txt'), line });
    }
    // A template error in a front matter value is at that value's line, not the file's first.
    const dir = campaignCopy(path.join(t.dir, 'v'), { 'en/letter.md': '---\n# The subject follows.\nannex: A\nsubject: About {{upper}}\n---\nText\n' });
    expect(() => new Merger(loadCampaign(dir))).toThrow(expect.objectContaining({ message: expect.stringMatching(/the "subject" in the front matter gives "upper" no value/), location: expect.objectContaining({ line: 4 }) }));
  });

  it("refuses HTML and Markdown links in an e-mail's cover note, which is sent as plain text (they reached every recipient as typed); leaves asterisks and <https://…>", async () => {
    const head = 'Dear {{first_name}},\n\nThe letter is attached.\n';
    const cases: [string, RegExp, number, RegExp][] = [
      [`${head}See [our site](https://example.org) for details.\n`, /^the e-mail template holds a Markdown link \(\[our site\]\(https:\/\/example\.org\)\), which the e-mail would show as typed, brackets and all: it is sent as plain text$/, 4, /^Write the address itself, which mail programs make a link: our site: https:\/\/example\.org$/],
      [`${head}\nWrite to us\nat [the fund](mailto:fund@example.org).\n`, /holds a Markdown link \(\[the fund\]\(mailto:fund@example\.org\)\)/, 6, /: the fund: fund@example\.org$/],
      [`${head}<p>Regards</p>\n`, /^the e-mail template holds HTML \(<p>Regards<\/p>\), which the e-mail would show as typed: it is sent as plain text$/, 4, /^Write the text alone/],
      [`<!-- check the date -->\n${head}`, /holds HTML \(<!-- check the date -->\)/, 1, /Handlebars comment: \{\{!-- … --\}\}/],
    ];
    for (const [i, [text, message, line, hint]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `m${i}`), { 'en/email.txt': text });
      let err: LetterMergeError | undefined;
      try {
        new Merger(loadCampaign(dir));
      } catch (e) {
        err = e as LetterMergeError;
      }
      expect(err).toBeInstanceOf(LetterMergeError);
      if (!err) continue;
      expect(err.message).toMatch(message);
      expect(err.hint).toMatch(hint);
      expect(err.location).toMatchObject({ file: path.join(dir, 'en', 'email.txt'), line });
    }
    // Plain text's own marks stay: emphasis in asterisks, an address in angle brackets, a word in them.
    const plain = `${head}This is *important*: see <https://example.org> or https://example.org/fund, and reply with your <name>.\n`;
    const [r] = (await readRecipients(writeCsv(t.dir, 'r.csv', [row()]))).recipients;
    expect(new Merger(loadCampaign(campaignCopy(path.join(t.dir, 'plain'), { 'en/email.txt': plain }))).merge(r, 'en').email.text).toBe(plain.replace('{{first_name}}', 'Ada'));
  });

  it('reads its own files as text in UTF-8 or UTF-16 only: a template saved as Windows-1252 is refused at its line (its letters printed "Invitaci\uFFFDn", and validate found no problems)', async () => {
    const iconv = (await import('iconv-lite')).default;
    const sample = readFileSync(path.join(campaignCopy(path.join(t.dir, 'sample')), 'es', 'letter.md'), 'utf8');
    const subjectLine = sample.split('\n').findIndex((l) => l.startsWith('subject:')) + 1;
    const es = campaignCopy(path.join(t.dir, 'es'));
    writeFileSync(path.join(es, 'es', 'letter.md'), iconv.encode(sample, 'windows-1252'));
    const err = loadError(es);
    expect(err.code).toBe('NOT_TEXT');
    expect(err.message).toMatch(/^the template is not saved as UTF-8, which lettermerge reads: this line reads "subject: Invitación a contribuir .*…" in Windows-1252 \(Western European\), the encoding it seems to be saved in, but "subject: Invitaci\uFFFDn a contribuir .*…" in UTF-8$/);
    expect(err.location).toEqual({ file: path.join(es, 'es', 'letter.md'), line: subjectLine });
    expect(err.hint).toMatch(/^Save it as plain text in UTF-8/);
    const csv = writeCsv(t.dir, 'r.csv', [row({ language: 'es' })]);
    const checked = await cli(['validate', csv, '--campaign', es]);
    expect(checked.code).toBe(EXIT.input);
    expect(checked.stderr).toContain(`${path.join(es, 'es', 'letter.md')}:${subjectLine}: the template is not saved as UTF-8`);
    // Saved as Notepad's "Unicode" (UTF-16 with its byte order mark): read, the same letter.
    const utf16 = campaignCopy(path.join(t.dir, 'utf16'));
    writeFileSync(path.join(utf16, 'es', 'letter.md'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(sample, 'utf16le')]));
    const [r] = (await readRecipients(csv)).recipients;
    const plain = new Merger(loadCampaign(campaignCopy(path.join(t.dir, 'utf8')))).merge(r, 'es');
    expect(new Merger(loadCampaign(utf16)).merge(r, 'es').body).toBe(plain.body);
    // Files that are no text at all, each named for what it is.
    let seed = Buffer.from('seed');
    const noise = Buffer.concat(Array.from({ length: 100 }, () => (seed = createHash('sha256').update(seed).digest())));
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise]);
    const cases: [string, Buffer, RegExp][] = [
      ['campaign.yaml', noise, /^campaign\.yaml is not a text file: it holds control bytes that text does not/],
      ['en/letter.md', zip, /^the template is a zip file \(a Word or OpenDocument document, or an Excel workbook\), not plain text$/],
      ['en/email.txt', Buffer.from('{\\rtf1\\ansi\\deff0 Dear {{first_name}},\\par}'), /^the template is rich text \(RTF, as WordPad and TextEdit save it\), not plain text$/],
      ['annex/en.md', iconv.encode('---\ntitle: Packages\n---\nThe packages of the Forum café.\n', 'windows-1252'), /^attachments\[0\]: annex\/en\.md, line 4: the annex is not saved as UTF-8, which lettermerge reads: this line reads "The packages of the Forum café\." in Windows-1252/],
    ];
    for (const [i, [file, bytes, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `n${i}`));
      writeFileSync(path.join(dir, file), bytes);
      expect(loadError(dir).message).toMatch(message);
    }
  });

  it('applies label overrides per language', async () => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^# labels:\n#   es: \{ telephone: "Tel.:" \}/m, 'labels:\n  en: { telephone: "Phone:", annex: "Enclosure:" }']) });
    const merger = new Merger(loadCampaign(dir));
    const [r] = (await readRecipients(writeCsv(t.dir, 'r.csv', [row()]))).recipients;
    expect(merger.merge(r, 'en').labels).toMatchObject({ telephone: 'Phone:', annex: 'Enclosure:', fax: 'Fax:' });
    expect(merger.merge(r, 'es').labels.telephone).toBe('Teléfono:');
  });

  it('refuses a label override without its place for a value, or with one lettermerge does not fill', () => {
    const cases: [string, string][] = [
      // Every page numbered "Page", and "{page}" printed as typed, before.
      ['pageNumber: "Page"', 'labels.en.pageNumber has no {n}: the page number would not show, and every page would read "Page"'],
      ['pageNumber: "Page {page}"', 'labels.en.pageNumber holds {page}, which lettermerge does not fill: its place for the page number is {n}'],
      ['closing: "Yours, {name}"', 'labels.en.closing holds {name}, which lettermerge does not fill: a label is printed as it is written'],
    ];
    for (const [i, [label, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `l${i}`), { 'campaign.yaml': sampleYaml([/^# labels:\n#   es: \{ telephone: "Tel.:" \}/m, `labels:\n  en:\n    ${label}`]) });
      const err = loadError(dir);
      expect(err.message).toBe(message);
      expect(err.location.line).toBe(lineOf(dir, label.split(':')[0] + ':'));
    }
    const ok = campaignCopy(path.join(t.dir, 'ok'), { 'campaign.yaml': sampleYaml([/^# labels:\n#   es: \{ telephone: "Tel.:" \}/m, 'labels:\n  en: { pageNumber: "Page {n}", signatureAlt: "Signed by {name}" }']) });
    expect(() => loadCampaign(ok)).not.toThrow();
  });

  it('takes the letter date from SOURCE_DATE_EPOCH when the campaign has none, and from the campaign when it has one', () => {
    const saved = process.env.SOURCE_DATE_EPOCH;
    try {
      process.env.SOURCE_DATE_EPOCH = String(Date.UTC(2024, 1, 29, 12) / 1000);
      const undated = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^date: .*$/m, '']) });
      expect(loadCampaign(undated).date).toEqual(new Date(2024, 1, 29));
      expect(loadCampaign(campaignCopy(path.join(t.dir, 'dated'))).date).toEqual(new Date(2021, 8, 3));
      // A value that is no time is said to be so (it was passed over for "date is required", and a
      // huge one stopped the run with an internal error); the campaign's own date needs none.
      for (const bad of ['abc', '-5', '1e9', '99999999999999']) {
        process.env.SOURCE_DATE_EPOCH = bad;
        const err = loadError(undated);
        expect(err.code).toBe('USAGE');
        expect(exitCodeFor(err)).toBe(EXIT.usage);
        expect(err.message).toBe(`SOURCE_DATE_EPOCH is "${bad}", which is not a time: it takes a whole number of seconds since 1970-01-01 UTC (at most 32503679999)`);
        expect(loadCampaign(campaignCopy(path.join(t.dir, 'dated'))).date).toEqual(new Date(2021, 8, 3));
      }
      delete process.env.SOURCE_DATE_EPOCH;
      expect(loadError(undated).message).toBe('date is required');
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  });
});

describe('signature files', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  const withSignature = (name: string, bytes: Buffer | undefined) => {
    const dir = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/signature: signature\.svg/, `signature: ${name}`]) });
    if (bytes) writeFileSync(path.join(dir, name), bytes);
    return dir;
  };
  const csv = () => writeCsv(t.dir, 'r.csv', [row({ id: 'a' }), row({ id: 'b', language: 'es' })]);

  const broken: [string, string, () => Buffer, RegExp][] = [
    ['a PNG cut short', 'sig.png', () => signaturePng().subarray(0, 60), /sig\.png is an incomplete PNG file/],
    ['a PNG with a damaged chunk', 'sig.png', () => Buffer.from(signaturePng().map((b, i) => (i === 60 ? b ^ 0xff : b))), /sig\.png is a damaged PNG file/],
    ['a JPEG cut short', 'sig.jpg', () => jpeg.encode({ width: 64, height: 32, data: Buffer.alloc(64 * 32 * 4, 90) }, 80).data.subarray(0, 200), /sig\.jpg is a damaged or incomplete JPEG file|sig\.jpg is an incomplete JPEG file/],
    ['a file that is no image', 'sig.png', () => Buffer.from('hello'), /sig\.png is not a PNG, JPEG or SVG file/],
    ['an SVG without paths', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><title>x</title></svg>'), /needs at least one <path/],
    ['an SVG with a shape that is not a path', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><path d="M1 1 L 5 5"/><circle r="3"/></svg>'), /sig\.svg has a <circle>, which lettermerge does not draw: turn it into a path/],
    ['an SVG styled by CSS classes', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><style>.a{fill:#000}</style><path class="a" d="M1 1 L 5 5"/></svg>'), /sig\.svg is styled by CSS classes/],
    ['an SVG whose entities would be expanded', 'sig.svg', () => Buffer.from('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><svg viewBox="0 0 10 10"><title>&b;</title><path d="M1 1 L 5 5"/></svg>'), /sig\.svg is not well-formed XML/],
    ['an SVG with bad path data', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><path d="M 1 1 L x y"/></svg>'), /is not path data/],
    // Each of these made a letter with no signature, or stopped it with "this is a bug", and validate saw nothing wrong.
    ['an SVG of 1e308 units a side', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 1e308 1e308"><path d="M1 1 L 5 5"/></svg>'), /sig\.svg is 1e\+308 × 1e\+308 units \(its viewBox, or width and height\), which would be drawn too small or too large to see/],
    ['an SVG scaled by 1e300', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><path transform="scale(1e300)" d="M1 1 L 5 5"/></svg>'), /sig\.svg has a transform with a number beyond 10000000/],
    ['an SVG with a point at 1e308', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><path d="M1e308 1 L 5 5"/></svg>'), /sig\.svg has a path with a coordinate beyond 10000000/],
    ['an SVG with a stroke 1e300 wide', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><path stroke="#000" stroke-width="1e300" d="M1 1 L 5 5"/></svg>'), /sig\.svg has a stroke 1e\+300 units wide, wider than the whole drawing/],
    ['an SVG scaled to a speck', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 300 100"><path transform="scale(0.00001)" d="M12 72 L 54 56"/></svg>'), /sig\.svg draws a speck: what its view box shows of it is less than 1% of the box's width and height/],
    ['an SVG moved out of its view box', 'sig.svg', () => Buffer.from('<svg viewBox="0 0 10 10"><g transform="translate(100000 0)"><path d="M1 1 L 5 5"/></g></svg>'), /sig\.svg draws nothing inside its view box \(0 0 10 10\)/],
  ];

  it.each(broken)('%s: validate and generate stop before writing anything (exit 3), naming the file', async (_name, file, bytes, message) => {
    const dir = withSignature(file, bytes());
    const v = await cli(['validate', csv(), '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(message);
    expect(v.stderr).toMatch(/campaign\.yaml:\d+: sender\.signature/);
    const out = path.join(t.dir, 'out');
    for (const jobs of ['1', '2']) {
      const g = await cli(['generate', csv(), '--campaign', dir, '--out', out, '--jobs', jobs]);
      expect(g.code).toBe(3);
      expect(g.stderr).toMatch(message);
      expect(g.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('takes a stroke width in the units of its path: a wide stroke in a group scaled down is no wider than the drawing', async () => {
    const dir = withSignature('sig.svg', Buffer.from('<svg viewBox="0 0 300 100"><g transform="scale(0.01)"><path stroke="#000" stroke-width="500" d="M1000 5000 L 29000 5000"/></g></svg>'));
    const v = await cli(['validate', csv(), '--campaign', dir]);
    expect(v.stderr).toMatch(/no problems/);
    expect(v.code).toBe(0);
  });

  it('refuses an absurdly large image before decoding it', async () => {
    const png = signaturePng(8, 8);
    png.writeUInt32BE(5000, 16); // IHDR width
    png.writeUInt32BE(5000, 20); // IHDR height
    const dir = withSignature('sig.png', png);
    const v = await cli(['validate', csv(), '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/sig\.png is 5000 × 5000 pixels, far more than a printed signature needs/);
  });

  it('reads only regular files: a named pipe as the signature is refused at once, not waited on', async () => {
    const dir = withSignature('sig.png', undefined);
    execFileSync('mkfifo', [path.join(dir, 'sig.png')]);
    const v = await cli(['validate', csv(), '--campaign', dir]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/sender\.signature: the signature image sig\.png is a named pipe, not a file/);
  });

  (hasCommand('pdftoppm') ? it : it.skip)('draws a traced SVG signature (filled paths, flipped and scaled by its group) inside its box, and nothing outside its view box', async () => {
    const traced = `<?xml version="1.0" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 20010904//EN" "http://www.w3.org/TR/2001/REC-SVG-20010904/DTD/svg10.dtd">
<svg version="1.0" xmlns="http://www.w3.org/2000/svg" width="300pt" height="100pt" viewBox="0 0 300 100">
<g transform="translate(0,100) scale(0.1,-0.1)" fill="#000000" stroke="none">
<path d="M200 700 C 400 900, 700 300, 1000 600 C 1300 900, 1600 200, 2000 500 L 2000 460 C 1600 160, 1300 860, 1000 560 C 700 260, 400 860, 200 660 Z"/>
<path d="M300 250 L 2600 330 L 2600 300 L 300 220 Z"/>
</g>
</svg>`;
    const one = writeCsv(t.dir, 'one.csv', [row({ id: 'a', language: 'en' })]);
    const page = async (campaign: string, name: string) => {
      const out = path.join(t.dir, `out-${name}`);
      const r = await cli(['generate', one, '--campaign', campaign, '--out', out]);
      expect(r.code === 0 ? '' : r.stderr).toBe('');
      const pdf = path.join(out, 'en', 'a.pdf');
      const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf]).toString())![1]);
      const pgm = execFileSync('pdftoppm', ['-gray', '-r', '72', '-f', String(pages), '-l', String(pages), pdf]);
      // A binary PGM: "P5\n<width> <height>\n255\n", then a byte a pixel.
      const [, w, h, head] = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.toString('latin1', 0, 40))!.map((v, i) => (i === 0 ? v.length : Number(v))) as number[];
      return { w, h, pixels: pgm.subarray(head) };
    };
    // And one whose strokes reach far out of its view box, which a browser would cut at its edges.
    const reaching = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 100"><path stroke="#000" stroke-width="4" d="M-2000 50 L 2300 50 M 150 -900 L 150 1000"/></svg>';
    const plain = await page(campaignCopy(path.join(t.dir, 'plain'), { 'campaign.yaml': sampleYaml([/\n  signature: signature\.svg.*/, '']) }), 'plain');
    for (const [name, svg] of [
      ['traced', traced],
      ['reaching', reaching],
    ]) {
      const signed = await page(withSignature(`${name}.svg`, Buffer.from(svg)), name);
      // The pixels the signature changes, and the box around them: 150 × 46 pt is the signature's.
      let [left, top, right, bottom] = [Infinity, Infinity, -1, -1];
      for (let y = 0; y < signed.h; y++) {
        for (let x = 0; x < signed.w; x++) {
          if (Math.abs(signed.pixels[y * signed.w + x] - plain.pixels[y * plain.w + x]) < 64) continue;
          [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
        }
      }
      expect([name, right > left]).toEqual([name, true]);
      expect([name, right - left + 1 <= 152, bottom - top + 1 <= 48]).toEqual([name, true, true]);
    }
  });

  it('draws a PNG with transparency (as an image with a soft mask) and a JPEG, decoding each once per process', async () => {
    const reads = jest.spyOn(PNG.sync, 'read');
    try {
      const dir = withSignature('sig.png', signaturePng());
      const rows = Array.from({ length: 4 }, (_, i) => row({ id: `p${i}` }));
      const g = await cli(['generate', writeCsv(t.dir, 'four.csv', rows), '--campaign', dir, '--out', path.join(t.dir, 'png'), '--jobs', '1']);
      expect(g.code).toBe(0);
      expect(reads).toHaveBeenCalledTimes(1);
      for (const f of readdirSync(path.join(t.dir, 'png', 'en'))) {
        if (!f.endsWith('.pdf')) continue;
        const raw = readFileSync(path.join(t.dir, 'png', 'en', f)).toString('latin1');
        expect(raw).toMatch(/\/Subtype \/Image[\s\S]*\/SMask/);
      }
    } finally {
      reads.mockRestore();
    }
    const pixels = Buffer.alloc(120 * 40 * 4);
    for (let i = 0; i < pixels.length; i += 4) pixels.set(i % 480 < 240 ? [20, 30, 90, 255] : [250, 250, 250, 255], i);
    const jdir = withSignature('sig.jpg', jpeg.encode({ width: 120, height: 40, data: pixels }, 90).data);
    const j = await cli(['generate', csv(), '--campaign', jdir, '--out', path.join(t.dir, 'jpg'), '--jobs', '1']);
    expect(j.code).toBe(0);
    const raw = readFileSync(path.join(t.dir, 'jpg', 'en', 'a.pdf')).toString('latin1');
    expect(raw).toMatch(/\/Subtype \/Image/);
    expect(raw).not.toMatch(/\/SMask/); // opaque
    if (hasCommand('pdfimages')) {
      const list = execFileSync('pdfimages', ['-list', path.join(t.dir, 'png', 'en', 'p0.pdf')]).toString();
      expect(list).toMatch(/image\s+300\s+90\s+rgb/);
      expect(list).toMatch(/smask\s+300\s+90\s+gray/);
    }
  });
});
