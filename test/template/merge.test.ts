import path from 'node:path';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { LetterMergeError } from '../../src/errors';
import { parseMarkdown } from '../../src/markup/markdown';
import { Merger, escapeMarkdown } from '../../src/template/merge';
import { generate } from '../../src/batch/generate';
import { HEADER, campaignCopy, flatText, inspectPdfs, row, tempDir, writeCsv } from '../helpers';

/** The letter body as a reader sees it: the Markdown parsed back to text. */
function bodyText(body: string): string {
  return parseMarkdown(body)
    .map((b) => ('runs' in b ? b.runs.map((r) => r.text).join('') : ''))
    .join('\n');
}

/** The error a campaign's templates give when they are loaded (the Merger compiles and checks them). */
function loadingError(dir: string): LetterMergeError {
  try {
    new Merger(loadCampaign(dir));
  } catch (err) {
    if (err instanceof LetterMergeError) return err;
    throw err;
  }
  throw new Error('the templates loaded');
}

describe('Merger', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  async function mergeOne(letter: string, overrides: Record<string, string> = {}, header = HEADER, extra: string[] = []) {
    const dir = campaignCopy(t.dir, { 'en/letter.md': letter });
    const merger = new Merger(loadCampaign(dir));
    const csv = writeCsv(t.dir, 'r.csv', [[...row(overrides), ...extra]], header);
    const { recipients } = await readRecipients(csv);
    return merger.merge(recipients[0], 'en');
  }

  it('merges a template as it is now: one edited in memory, or two campaigns with the same text in different files', async () => {
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\nFirst {{last_name}}\n' });
    const campaign = loadCampaign(dir);
    const csv = writeCsv(t.dir, 'r.csv', [row()]);
    const r = (await readRecipients(csv)).recipients[0];
    expect(new Merger(campaign).merge(r, 'en').body).toMatch(/^First Quinlan/);
    // Templates are parsed and compiled once per process; an edit is a new text, compiled anew.
    campaign.templates.en.letter.body = 'Second {{last_name}}\n';
    expect(new Merger(campaign).merge(r, 'en').body).toMatch(/^Second Quinlan/);
    // The same text in another campaign reports its own file and line.
    const other = campaignCopy(path.join(t.dir, 'b'), { 'en/letter.md': '---\nsubject: S\n# a note\n---\nFirst {{last_name}} {{nickname}}\n' });
    const first = campaignCopy(path.join(t.dir, 'c'), { 'en/letter.md': '---\nsubject: S\n---\nFirst {{last_name}} {{nickname}}\n' });
    const lineOf = (d: string) => {
      try {
        new Merger(loadCampaign(d)).merge(r, 'en');
      } catch (err) {
        return (err as LetterMergeError).location;
      }
      return undefined;
    };
    expect(lineOf(first)).toMatchObject({ file: path.join(first, 'en', 'letter.md'), line: 4 });
    expect(lineOf(other)).toMatchObject({ file: path.join(other, 'en', 'letter.md'), line: 5 });
  });

  it('fills the sample letter: salutation, date, addressee, group wording', async () => {
    const dir = campaignCopy(t.dir);
    const merger = new Merger(loadCampaign(dir));
    const csv = writeCsv(t.dir, 'r.csv', [row({ group: 'government', gender: 'male', title: 'Mr' })]);
    const m = merger.merge((await readRecipients(csv)).recipients[0], 'en');
    expect(m.dateLine).toBe('Geneva, 3 September 2021');
    expect(m.subject).toBe('Invitation to contribute to the WSIS Trust Fund – 2022');
    expect(bodyText(m.body).startsWith('Dear Sir,\n')).toBe(true);
    expect(m.body).toMatch(/encourage your Government/);
    expect(m.addressee).toEqual(['Mr Ada Quinlan', 'Professor', 'Example University', '1 College Road', 'Exampletown', 'Utopia']);
    expect(m.closing).toBe('Yours faithfully,');
    expect(m.annex).toBe('Partnership Packages for the WSIS Forum 2022');
    expect(m.email.to).toEqual({ name: 'Ada Quinlan', address: 'ada@example.edu' });
    // The row is a man: the cover note's salutation is the male one, never the other or the neutral one.
    expect(m.email.text.split('\n')[0]).toBe('Dear Sir,');
    expect(m.email.text).toContain('addressed to your organization, Example University, as one of the WSIS stakeholders (Governments)');
  });

  it("marks the telephone number of a right-to-left e-mail to show as written in a mail reader, and only there", async () => {
    const dir = campaignCopy(t.dir);
    const merger = new Merger(loadCampaign(dir));
    const csv = writeCsv(t.dir, 'r.csv', [row({ language: 'ar;en', title: '', first_name: 'ليلى', last_name: 'حداد' })]);
    const recipient = (await readRecipients(csv)).recipients[0];
    const ar = merger.merge(recipient, 'ar');
    expect(ar.email.text).toContain('الهاتف: \u200e+41 22 730 6240\u200e).');
    expect(ar.email.text.replace(/\u200e/g, '')).not.toMatch(/[\u200e\u200f\u2066-\u2069]/);
    // The letter's own text is isolated when it is laid out, not here; a left-to-right e-mail has no marks.
    expect(ar.body).not.toContain('\u200e');
    expect(merger.merge(recipient, 'en').email.text).not.toContain('\u200e');
  });

  it('varies wording by group through helpers', async () => {
    const letter = '---\nsubject: S\n---\n{{#if (eq group "academia")}}A{{else}}B{{/if}} {{groupName group}}\n';
    expect((await mergeOne(letter)).body.trim()).toBe('A Academia');
    expect((await mergeOne(letter, { group: 'private-sector' })).body.trim()).toBe('B Private sector');
  });

  it('prints values exactly as typed: Markdown, HTML and Handlebars in data are not markup', async () => {
    const hostile = '**bold** [x](https://evil.example) <b>hi</b> {{id}} _u_ # 1. - `c`';
    const m = await mergeOne('---\nsubject: S\n---\nName: {{last_name}}\n', { last_name: hostile });
    const blocks = parseMarkdown(m.body);
    expect(blocks).toHaveLength(1);
    const para = blocks[0] as { kind: 'paragraph'; runs: { text: string; bold: boolean; link?: string }[] };
    expect(para.runs.map((r) => r.text).join('')).toBe(`Name: ${hostile}`);
    expect(para.runs.every((r) => !r.bold && !r.link)).toBe(true);
  });

  it('escapes every Markdown-active character', () => {
    const s = '*_[]()<>#+-.!|`\\&';
    const blocks = parseMarkdown(escapeMarkdown(s));
    expect((blocks[0] as { runs: { text: string }[] }).runs.map((r) => r.text).join('')).toBe(s);
  });

  it('passes extra columns to the templates', async () => {
    const m = await mergeOne('---\nsubject: For {{org_short}}\n---\nHello {{org_short}}\n', {}, `${HEADER},org_short`, ['EU']);
    expect(m.subject).toBe('For EU');
    expect(m.body.trim()).toBe('Hello EU');
  });

  it('names the template file and line when a field is missing', async () => {
    const letter = '---\nsubject: S\n---\nline one\n\nHello {{nickname}}\n';
    const err = await mergeOne(letter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LetterMergeError);
    const e = err as LetterMergeError;
    expect(e.code).toBe('TEMPLATE');
    expect(e.message).toMatch(/"nickname"/);
    expect(e.location.file).toMatch(/en[\\/]letter\.md$/);
    expect(e.location.line).toBe(6);
  });

  it('refuses a template with a syntax error when the campaign is loaded', () => {
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\n{{#if x}}never closed\n' });
    expect(() => new Merger(loadCampaign(dir))).toThrow(LetterMergeError);
  });

  it('says what is wrong with a template\'s syntax in words, not in the parser\'s token names', () => {
    // Before: "Lexical error on line 6. Unrecognized text.", "if doesn't match each", "unexpected "inverse"
    // where the end of the template was expected", "… or close unescaped was expected".
    const cases: [string, string][] = [
      ['{{!-- a note', 'the text at the mark cannot be read: a "{{!--" comment without its "--}}", or a "{{{{" without its closing "}}}}"?'],
      ['{{#if position}}P{{/each}}', 'the block opened by {{#if}} is closed by {{/each}}: blocks close in the order they open, each with its own name'],
      ['Thanks.{{else}}', 'an {{else}} with no block open: its {{#if …}} (or {{#each …}}) is missing, or was closed before'],
      ['{{#if position}}a{{else}}b{{else}}c{{/if}}', 'a second {{else}} in one block: a block has one (for more choices, {{else if …}})'],
      ['Dear {{first_name}', 'found a character Handlebars does not take there (a quote, a brace) where "}}}}" or "}}" or "}}}" was expected'],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const e = loadingError(campaignCopy(path.join(t.dir, `s${i}`), { 'en/letter.md': `---\nsubject: S\n---\nDear reader,\n\n${text}\n` }));
      expect(e.message).toBe(`the letter template cannot be used: ${message}`);
      expect(e.location.line).toBe(6);
    }
  });

  it('refuses, when the campaign is loaded and at the template line, a partial, a helper lettermerge does not have, an image and a link that would not be live', () => {
    const cases: [string, string, RegExp][] = [
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n{{> footer}}\n', /the letter template includes the partial \{\{> footer\}\}/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n{{#each (range 5)}}x{{/each}}\n', /the letter template calls "range", which is not a helper lettermerge has/],
      ['en/email.txt', 'Hello\n{{shout last_name}}\n', /the e-mail template calls "shout"/],
      // An image would come out as its alternate text alone, in every letter.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nOur logo: ![The logo of {{campaign.organization}}](logo.png)\n', /the letter template holds an image \(!\[The logo of \{\{campaign\.organization\}\}\]\(logo\.png\)\).*would show only "The logo of/],
      // A link to a file showed its words with no link; one to "javascript:" showed "[…](…)" as typed.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nSee [the packages](annex/packages.pdf).\n', /the letter template links "the packages" to "annex\/packages\.pdf", which would not be a live link in the letter/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n[Reply](javascript:reply())\n', /links "Reply" to "javascript:reply\(\)"/],
      // HTML was printed as typed, in every letter.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nTo <Partners>, line one<br>line two, 5 < 6 and <https://example.org>\n', /the letter template holds HTML \(<br>\), which a letter prints as typed: its text is Markdown/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n<!-- a note to myself -->\n', /holds HTML \(<!-- a note to myself -->\)/],
      // A table was printed as typed, its bars and dashes run into one paragraph.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n| Package | Amount |\n|---|---:|\n| Gold | CHF 60 000 |\n', /the letter template holds a table, which a letter prints as typed, its \| and --- run into one paragraph/],
      // And GitHub's other Markdown: struck text, a task box, a footnote.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nThe price was ~~CHF 80 000~~ CHF 60 000.\n', /the letter template holds struck text \(~~…~~\), which a letter prints as typed/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n- [x] Gold\n- [ ] Silver\n', /holds a task box \(\[x\]\)/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nAs agreed[^1], we write.\n\n[^1]: In 2021.\n', /holds a footnote \(\[\^1\]\)/],
      // Full-width brackets, as a Chinese keyboard types them: the link was printed as typed.
      ['zh/letter.md', '---\nsubject: S\n---\n{{salutation}}\n\n根据[第140号决议]（https://www.itu.int/en/plenipotentiary/）设立。\n', /the letter template holds a link written with full-width brackets \(\[第140号决议\]（https:\/\/www\.itu\.int\/en\/plenipotentiary\/）\), which a letter prints as typed: Markdown reads a link only between \[ \] and \( \)/],
      // A space in a link's address: Markdown reads no link, and every letter printed "[…](…)" as typed (at the link's own line of its paragraph).
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\nwe write about\n[the report](https://example.org/annual report.pdf "The report").\n', /the letter template holds a link whose address has a space \(https:\/\/example\.org\/annual report\.pdf\), which a letter prints as typed, brackets and address/],
      // A link in a paragraph indented as code was not checked (nor drawn as a link).
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n    See [the packages](annex/packages.pdf).\n', /the letter template links "the packages" to "annex\/packages\.pdf", which would not be a live link/],
      // A value written as another mail merge writes it was printed as typed in every letter.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nTo «First_Name» {{last_name}}, of %organisation%\n', /the letter template writes «First_Name», which every letter would print as typed: a value is written \{\{first_name\}\}/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nTo {{title}} [[Nombre]] {{last_name}}\n', /writes \[\[Nombre\]\], which every letter would print as typed: a value is written \{\{first_name\}\}/],
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\nwe write to\n{{title}} <<Last Name>>.\n', /writes <<Last Name>>, which every letter would print as typed: a value is written \{\{last_name\}\}/],
      ['zh/letter.md', '---\nsubject: S\n---\n{{salutation}}\n\n{{＃if organization}}致{{／if}}\n', /the letter template writes \{\{＃if…\}\} in full-width characters, as a Chinese keyboard types them: Handlebars reads "＃if" as a name, not as #if/],
      ['zh/letter.md', '---\nsubject: S\n---\n{{salutation}}\n\n致 ｛｛last_name｝｝：\n', /the letter template writes ｛｛last_name｝｝, which every letter would print as typed: a value is written \{\{last_name\}\}/],
      ['en/email.txt', 'Hello\n${salutation}\n', /the e-mail template writes \$\{salutation\}, which every letter would print as typed: a value is written \{\{salutation\}\}/],
      // A name with a dot is a file, not a host: only an address from "www." is taken for the web.
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nSee [the packages](packages.pdf).\n', /links "the packages" to "packages\.pdf"/],
      // A space after the braces of a block's tag: Handlebars said it found "a character it does not take there".
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\n{{ #if organization }}x{{ /if }}\n', /the letter template writes "\{\{ #if" with a space after "\{\{", which Handlebars does not read: a block's tag starts "\{\{#if"/],
      // A value's name with its space, read as a helper "first" called with "name".
      ['en/letter.md', '---\nsubject: S\n---\nDear reader,\n\nDear {{first name}},\n', /calls "first", which is not a helper lettermerge has/],
    ];
    for (const [file, text, message] of cases) {
      const dir = campaignCopy(path.join(t.dir, `c${cases.findIndex((c) => c[1] === text)}`), { [file]: text });
      const e = loadingError(dir);
      expect(e.message).toMatch(message);
      expect(e.location?.file).toBe(path.join(dir, file));
      expect(e.location?.line).toBe(file === 'en/email.txt' ? 2 : 6);
      if (text.includes('{{first name}}')) expect(e.hint).toBe('Did you mean {{first_name}}? A value\'s name has "_" where "{{first name}}" has a space.');
    }
    // Helpers it has, with arguments and hash pairs, and block helpers, still load.
    const ok = campaignCopy(path.join(t.dir, 'ok'), { 'en/letter.md': '---\nsubject: S\n---\n{{#if (eq group "government")}}G{{else}}{{groupName group}}{{/if}} {{formatDate date}} {{upper last_name}} {{#each (lookup . "address")}}{{this}}{{/each}}\n\n[a link](https://example.org "Our site"), [the report](<https://example.org/annual report.pdf>), <mailto:fund@example.org>, [their site]({{website}}) and `![code](x.png)`, to <Partners> & co., 50% to 60%, {a note}, [[x]] and «Forum».\n' });
    // French and Russian quotes around words that name a column, or around a field's name set apart as French sets them, are words of the letter.
    const quotes = campaignCopy(path.join(t.dir, 'quotes'), { 'fr/letter.md': '---\nsubject: S\n---\n{{salutation}}\n\nRemplissez la rubrique «Adresse», le « titre » et la « date » limite, puis «Pays» et <<Nom>>.\n', 'ru/letter.md': '---\nsubject: S\n---\n{{salutation}}\n\nУкажите «Имя» и «Должность».\n' });
    expect(() => new Merger(loadCampaign(quotes))).not.toThrow();
    expect(() => new Merger(loadCampaign(ok))).not.toThrow();
  });

  it('refuses a helper called with the wrong number of values, or as a block when it is not one, when the campaign is loaded and at its line', () => {
    // Handlebars itself would print "[OBJECT OBJECT]" for {{upper}}, "false" for {{eq}}, nothing
    // for {{if x}} or the block of {{#upper x}}, and stop every letter without a line for {{lookup}}.
    const cases: [string, RegExp][] = [
      ['{{upper}}', /the letter template gives "upper" no value, and it takes one/],
      ['{{upper first_name last_name}}', /gives "upper" two values, and it takes one/],
      ['{{#if (eq group)}}x{{/if}}', /gives "eq" one value, and it takes two/],
      ['{{lookup}}', /gives "lookup" no value, and it takes two/],
      ['{{#each}}x{{/each}}', /gives "each" no value, and it takes one/],
      ['{{log}}', /gives "log" no value, and it takes at least one/],
      ['{{if organization}}', /writes \{\{if …\}\} without "#"/],
      ['{{#upper last_name}}x{{/upper}}', /opens a block with "upper" .*not a block helper/],
      // A row's value set as Markdown: "[text](https://…)" in a cell became a live link in the letter.
      ['{{{organization}}}', /writes \{\{\{organization\}\}\} \(or \{\{&organization\}\}\), which would let the row's value act as Markdown/],
      ['{{&organization}}', /which would let the row's value act as Markdown/],
      // A word processor's quotes: Handlebars looked for a column named “government”.
      ['{{#if (eq group “government”)}}x{{/if}}', /writes “government” with a typographic quote, which Handlebars does not read as one: it would look for a value named “government”/],
      ['{{#if (eq group ‘civil society’)}}x{{/if}}', /writes ‘civil with a typographic quote/],
      ['{{#*inline "x"}}hi{{/inline}}', /uses the decorator \{\{#\*inline\}\}, and lettermerge templates have none/],
      // A name holding several values, written as one: "[object Object]" in every letter.
      ['{{this}}', /writes \{\{this\}\}, which is not one value but several \(the row's columns and the merge's names\): every letter would show "\[object Object\]"/],
      ['{{@root}}', /writes \{\{@root\}\}, which is not one value but several/],
      ['{{#if organization}}{{sender}}{{/if}}', /writes \{\{sender\}\}, which is not one value but several \(name, title, office\)/],
      ['{{#with sender}}{{#if name}}{{this}}{{/if}}{{/with}}', /writes \{\{this\}\} inside \{\{#with sender\}\}, which is not one value but several \(name, title, office\)/],
      // A column is one text: a block going through it wrote nothing.
      ['{{#each address}}{{this}}{{/each}}', /goes through "address" with \{\{#each\}\}, but "address" is one text, not a list/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `h${i}`), { 'en/letter.md': `---\nsubject: S\n---\nDear reader,\n\n${text}\n` });
      const e = loadingError(dir);
      expect(e.message).toMatch(message);
      expect(e.hint).toMatch(/^For example: \{\{|^Write /);
      expect(e.location).toEqual({ file: path.join(dir, 'en/letter.md'), line: 6 });
    }
    // A column that shares a helper's name only in part, and a helper inside a block's else, still load.
    const ok = '---\nsubject: S\n---\n{{#if organization}}{{upper organization}}{{else if (or position title)}}{{upper position}}{{/if}} {{#each (lookup . "address")}}{{this}}{{/each}} {{#with sender}}{{name}}{{/with}}\n{{#each contact}}{{@key}} {{this}}{{/each}} {{#with sender}}{{this.name}}{{/with}} {{@root.last_name}} {{sender.name}}\n';
    expect(() => new Merger(loadCampaign(campaignCopy(path.join(t.dir, 'ok'), { 'en/letter.md': ok })))).not.toThrow();
  });

  it("refuses a comparison of the row's group, gender or language with a value it never has, when the campaign is loaded and at its line", () => {
    // The block was left out of every letter, without a word.
    const cases: [string, RegExp][] = [
      ['{{#if (eq group "goverment")}}x{{/if}}', /compares group with "goverment", which no row's group is: the groups are government, private-sector, civil-society, academia or international-organization; did you mean "government"\?/],
      ['{{#if (ne group "Gobierno")}}x{{/if}}', /compares group with "Gobierno".*did you mean "government"\?/],
      ['{{#if (eq "F" gender)}}x{{/if}}', /compares gender with "F", which no row's gender is: it is female, male or empty; did you mean "female"\?/],
      ['{{#if (or (eq language "Español") (eq group "academia"))}}x{{/if}}', /compares language with "Español".*did you mean "es"\?/],
      ['{{#if (eq group "press")}}x{{/if}}', /compares group with "press", which no row's group is: the groups are [^;]*$/],
      // A value without its quotes: Handlebars looked for a column named "government".
      ['{{#if (eq group government)}}x{{/if}}', /compares group with government without quotes: Handlebars takes government for the name of a column, not for the group "government"/],
      ['{{#unless (ne language en)}}x{{/unless}}', /compares language with en without quotes/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `q${i}`), { 'en/letter.md': `---\nsubject: S\n---\nDear reader,\n\n${text}\n` });
      const e = loadingError(dir);
      expect(e.message).toMatch(message);
      expect(e.location).toEqual({ file: path.join(dir, 'en/letter.md'), line: 6 });
    }
    const ok = '---\nsubject: S\n---\n{{#if (eq group "government")}}G{{/if}}{{#if (ne gender "")}}{{#if (eq gender "male")}}M{{/if}}{{/if}}{{#if (eq language "en")}}E{{/if}}{{#if (eq last_name "Gobierno")}}L{{/if}}\n';
    expect(() => new Merger(loadCampaign(campaignCopy(path.join(t.dir, 'ok'), { 'en/letter.md': ok })))).not.toThrow();
  });

  it('says where a template fails while a letter is merged, and why, in words', async () => {
    const failing = async (line: string) => {
      const err = await mergeOne(`---\nsubject: S\n---\nDear reader,\n\n${line}\n`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LetterMergeError);
      const e = err as LetterMergeError;
      expect(e.location.file).toMatch(/en[\\/]letter\.md$/);
      expect(e.location.line).toBe(6);
      return e;
    };
    // A part read from a column's text: Handlebars failed inside JavaScript, with no line.
    let e = await failing('{{first_name.initial}}');
    expect(e.message).toBe('the letter template uses "first_name.initial", but "first_name" is text ("Ada"), which has no "initial"');
    expect(e.hint).toBe('Write {{first_name}} for the text itself.');
    // A block's own value used outside it is not a column to add either.
    e = await failing('{{@index}}');
    expect(e.message).toMatch(/uses "@index", which has a value only inside a block that gives it/);
    // A name the merge's own values lack is not a column to add.
    e = await failing('{{sender.nmae}}');
    expect(e.message).toBe('the letter template uses "sender.nmae", and sender has no "nmae"');
    expect(e.hint).toBe('Did you mean {{sender.name}}? sender has: name, office, title.');
    // A helper's own error, at the line of its call (the template's first line said nothing of it).
    e = await failing('{{formatDate "30 May 2022"}}');
    expect(e.message).toMatch(/formatDate: "30 May 2022" is not YYYY-MM-DD/);
    // A week-numbering year, which date-fns refuses after a warning of its own on the console.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      e = await failing('{{formatDate "2022-05-30" "d MMMM YYYY"}}');
      expect(e.message).toMatch(/the pattern "d MMMM YYYY" has "Y", the year of the week numbering, where "y" \(the year\) is meant/);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
    const m = await mergeOne('---\nsubject: S\n---\n{{formatDate "2022-05-30" "d \'de\' MMMM \'Y\' yyyy"}}\n');
    expect(bodyText(m.body)).toBe('30 de May Y 2022');
    // A subject made of a value the row leaves empty: "Subject:" and nothing, and an e-mail without one.
    const empty = await mergeOne('---\nannex: A\nsubject: "{{position}}"\n---\nText\n', { position: '' }).catch((x: unknown) => x);
    expect(empty).toMatchObject({ code: 'TEMPLATE_SUBJECT', kind: 'row', message: 'the letter\'s subject comes out empty for this row: the front matter\'s subject is "{{position}}"', location: { line: 3 } });
    // In the e-mail, plain text, a value prints as typed either way.
    const dir = campaignCopy(path.join(t.dir, 'mail'), { 'en/email.txt': 'Hello {{{organization}}}\n' });
    const csv = writeCsv(t.dir, 'm.csv', [row({ organization: '[Evil](https://evil.example)' })]);
    const mail = new Merger(loadCampaign(dir)).merge((await readRecipients(csv)).recipients[0], 'en');
    expect(mail.email.text).toBe('Hello [Evil](https://evil.example)\n');
  });

  it('lets a salutation column override the computed one', async () => {
    const m = await mergeOne('---\nsubject: S\n---\n{{salutation}}\n', {}, `${HEADER},salutation`, ['Dear Ada,']);
    expect(bodyText(m.body)).toBe('Dear Ada,');
  });

  it('does not reach prototype properties', async () => {
    const m = await mergeOne('---\nsubject: S\n---\n[{{constructor}}][{{__proto__}}]\n');
    expect(bodyText(m.body)).toBe('[][]');
  });
});

describe('links whose address a row fills', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('are live for a web or e-mail address typed without its scheme, and fail the row, naming the column and line, for any other value', async () => {
    const dir = campaignCopy(t.dir, {
      'en/letter.md': '---\nsubject: S\n---\nDear reader,\n\nVisit [our site]({{website}}), or {{#if office}}[our office]({{office}}){{else}}us{{/if}}.\n',
    });
    const values: [string, string][] = [
      ['www.example.org', ''],
      ['www.example.org/about?x=1', ''],
      ['example.org', ''],
      ['fund@example.org', ''],
      ['https://example.org/a_(b)', ''],
      ['', ''],
      ['see our site', ''],
      ['javascript:alert(1)', ''],
      ['www.example.org', 'Room 4'],
      ['{{website}}', ''],
    ];
    const rows = values.map(([website, office], i) => [...row({ id: `w${i}`, email: `w${i}@example.org` }), website, office]);
    const csv = writeCsv(t.dir, 'web.csv', rows, `${HEADER},website,office`);
    const r = await generate({ csv, campaign: dir, out: path.join(t.dir, 'out'), jobs: 1 });
    // The letters of the addresses, each with its link live.
    expect(r.produced).toBe(4);
    const links = inspectPdfs([0, 1, 3, 4].map((i) => path.join(t.dir, 'out', 'en', `w${i}.pdf`))).map((p) =>
      p.pages.flatMap((page) => page.annotations.map((a) => a.url)).filter((u) => u && !/wsis|itu\.int/.test(u)),
    );
    expect(links).toEqual([['https://www.example.org/'], ['https://www.example.org/about?x=1'], ['mailto:fund@example.org'], ['https://example.org/a_(b)']]);
    // An empty cell, words and a script: each row fails, at the template's line, naming the column.
    expect(r.failures.map((f) => [f.id, f.field, f.message, f.source])).toEqual([
      ['w2', 'website', expect.stringMatching(/which is "example\.org" for this row: not a web address \(https:\/\/…, www\.…\)/), expect.anything()],
      ['w5', 'website', 'the letter template links "our site" to {{website}}, which is empty for this row, so the link would not be live in the letter', { file: path.join(dir, 'en', 'letter.md'), line: 6 }],
      ['w6', 'website', expect.stringMatching(/links "our site" to \{\{website\}\}, which is "see our site" for this row: not a web address \(https:\/\/…, www\.…\) nor an e-mail address/), expect.anything()],
      ['w7', 'website', expect.stringMatching(/which is "javascript:alert\(1\)" for this row/), expect.anything()],
      ['w8', 'office', expect.stringMatching(/links "our office" to \{\{office\}\}, which is "Room 4" for this row/), expect.anything()],
      ['w9', 'website', expect.stringMatching(/which is "\{\{website\}\}" for this row/), expect.anything()],
    ]);
    expect(r.failures[1].hint).toBe('Correct the cell, or write the link inside {{#if website}}…{{/if}} for the rows that have none.');
  });

  it('are links when a value within the address holds spaces, and fail the row when that value is empty', async () => {
    const dir = campaignCopy(t.dir, {
      'en/letter.md': '---\nsubject: S\n---\nDear reader,\n\nRead [the report](https://example.org/files/{{path}}) or [{{ path }}](https://example.org/v/{{ path }}?l=en "The report").\n\nSee https://example.org/files/ too.\n',
    });
    const values = ['annual report.pdf', 'a>b) [x](javascript:alert(1))', '/lead', ''];
    const rows = values.map((p, i) => [...row({ id: `p${i}`, email: `p${i}@example.org` }), p]);
    const csv = writeCsv(t.dir, 'paths.csv', rows, `${HEADER},path`);
    const r = await generate({ csv, campaign: dir, out: path.join(t.dir, 'out'), jobs: 1 });
    expect(r.produced).toBe(3);
    const pdfs = inspectPdfs([0, 1, 2].map((i) => path.join(t.dir, 'out', 'en', `p${i}.pdf`)));
    expect(pdfs.map((p) => p.pages.flatMap((page) => page.annotations.map((a) => a.url)).filter((u) => u && u.includes('example.org/')))).toEqual([
      ['https://example.org/files/annual%20report.pdf', 'https://example.org/v/annual%20report.pdf?l=en'],
      ['https://example.org/files/a%3Eb)%20%5Bx%5D(javascript:alert(1))', 'https://example.org/v/a%3Eb)%20%5Bx%5D(javascript:alert(1))?l=en'],
      ['https://example.org/files//lead', 'https://example.org/v//lead?l=en'],
    ]);
    // No "[…](…)" printed as typed.
    for (const p of pdfs) expect(flatText(p)).toMatch(/Read the report or .+ too\./);
    expect(r.failures.map((f) => [f.id, f.field, f.message, f.source, f.hint])).toEqual([
      [
        'p3',
        'path',
        'the letter template links "the report" to https://example.org/files/{{path}}, and this row\'s path is empty: the link would go to "https://example.org/files/"',
        { file: path.join(dir, 'en', 'letter.md'), line: 6 },
        'Fill the path cell, or write the link inside {{#if path}}…{{/if}} for the rows that have none.',
      ],
    ]);
  });
});
