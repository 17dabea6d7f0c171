import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { preview } from '../../src/batch/preview';
import { validate } from '../../src/batch/validate';
import { generate } from '../../src/batch/generate';
import { readRecipients } from '../../src/data/recipients';
import { LetterMergeError } from '../../src/errors';
import { HEADER, SAMPLE_CSV, row, tempDir, writeCsv } from '../helpers';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { variedCsv } = require('../../bench/varied') as { variedCsv(n: number, lang: string, seed: number): string };

describe('readRecipients', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('reads the bundled sample: every group, all six languages, multi-line addresses', async () => {
    const file = await readRecipients(SAMPLE_CSV);
    expect(file.problems).toEqual([]);
    expect(file.recipients.length).toBeGreaterThanOrEqual(12);
    const groups = new Set(file.recipients.map((r) => r.group));
    expect([...groups].sort()).toEqual(['academia', 'civil-society', 'government', 'international-organization', 'private-sector']);
    expect(new Set(file.recipients.flatMap((r) => r.languages))).toEqual(new Set(['es', 'en', 'fr', 'ru', 'zh', 'ar']));
    const first = file.recipients[0];
    expect(first.address).toEqual(['Avenida del Libertador 1450', 'Piso 7', 'C1425 Ciudad Autónoma']);
    expect(first.gender).toBe('female');
  });

  it('gives each record the line it starts on, counting quoted line breaks', async () => {
    const file = writeCsv(t.dir, 'a.csv', [
      row({ id: 'a', address: 'one\ntwo\nthree' }),
      row({ id: 'b', address: 'x' }),
      row({ id: 'c', address: 'y\nz' }),
    ]);
    const { recipients } = await readRecipients(file);
    expect(recipients.map((r) => [r.id, r.line])).toEqual([
      ['a', 2],
      ['b', 5],
      ['c', 6],
    ]);
  });

  it('reads a semicolon file with a byte order mark and CRLF line ends', async () => {
    const text = '\uFEFF' + [HEADER.replace(/,/g, ';'), row({ id: 'x1' }).map((c) => (c.includes('\n') ? `"${c.replace(/\n/g, '\r\n')}"` : c)).join(';')].join('\r\n') + '\r\n';
    const file = path.join(t.dir, 'semi.csv');
    writeFileSync(file, text);
    const result = await readRecipients(file);
    expect(result.delimiter).toBe(';');
    expect(result.recipients[0].id).toBe('x1');
    expect(result.recipients[0].address).toEqual(['1 College Road', 'Exampletown']);
  });

  it('reads the "sep=;" line Excel writes before the columns as the delimiter, not as the list', async () => {
    // Refused before: "the columns are named in line 2, not in the first line (which holds "sep=")".
    const cell = (c: string) => (c.includes('\n') || c.includes(';') ? `"${c}"` : c);
    const file = path.join(t.dir, 'sep.csv');
    writeFileSync(file, ['sep=;', HEADER.replace(/,/g, ';'), row({ id: 's1', organization: 'Smith, Jones & Co' }).map(cell).join(';'), row({ id: 's2', email: 'not-an-address' }).map(cell).join(';')].join('\r\n') + '\r\n');
    const result = await readRecipients(file);
    expect(result.delimiter).toBe(';');
    expect(result.recipients.map((r) => [r.id, r.line, r.organization])).toEqual([['s1', 3, 'Smith, Jones & Co']]);
    expect(result.problems.map((p) => [p.id, p.line])).toEqual([['s2', 5]]);
    // A header that lacks columns is placed at its own line, under the "sep=" line.
    writeFileSync(file, 'sep=;\nid;language\nx;es\n');
    await expect(readRecipients(file)).rejects.toMatchObject({ code: 'MISSING_COLUMN', location: { line: 2 } });
    // A header and no rows: the place of the first row missing is under the header.
    writeFileSync(file, `sep=;\n${HEADER.replace(/,/g, ';')}\n`);
    await expect(readRecipients(file)).rejects.toMatchObject({ code: 'NO_RECIPIENTS', location: { line: 3 } });
  });

  it('reads a file separated by vertical bars, as some systems export them', async () => {
    const file = path.join(t.dir, 'bars.csv');
    writeFileSync(file, [HEADER.replace(/,/g, '|'), row({ id: 'p1', organization: 'Smith, Jones & Co' }).map((c) => (c.includes('\n') ? `"${c}"` : c)).join('|')].join('\n') + '\n');
    const result = await readRecipients(file);
    expect(result.delimiter).toBe('|');
    expect(result.problems).toEqual([]);
    expect(result.recipients[0]).toMatchObject({ id: 'p1', organization: 'Smith, Jones & Co', address: ['1 College Road', 'Exampletown'] });
  });

  it('reads the languages of a cell however a list separates them', async () => {
    const cells = ['es;en', 'es, en', 'es/en', 'Español / English', 'es | en', 'es+en', 'es en'];
    const file = writeCsv(t.dir, 'langs.csv', cells.map((language, i) => row({ id: `l${i}`, language, email: `l${i}@example.org` })));
    const { recipients, problems } = await readRecipients(file);
    expect(problems).toEqual([]);
    expect(recipients.map((r) => r.languages)).toEqual(cells.map(() => ['es', 'en']));
  });

  it('reads a language named with a qualifier, as exports write them, and not a traditional script', async () => {
    const cells: [string, string[]][] = [
      ['Chinese (Simplified)', ['zh']],
      ['Simplified Chinese', ['zh']],
      ['中文（简体）', ['zh']],
      ['English (UK)', ['en']],
      ['Русский язык', ['ru']],
      ['Français (Canada); English (UK)', ['fr', 'en']],
      ['es en', ['es', 'en']],
    ];
    const file = writeCsv(t.dir, 'q.csv', [
      ...cells.map(([language], i) => row({ id: `q${i}`, language, email: `q${i}@example.org` })),
      row({ id: 'trad', language: 'Chinese (Traditional)', email: 'trad@example.org' }),
      row({ id: 'odd', language: 'es xx', email: 'odd@example.org' }),
    ]);
    const { recipients, problems } = await readRecipients(file);
    expect(recipients.map((r) => r.languages)).toEqual(cells.map(([, codes]) => codes));
    expect(recipients[0].languageWords).toEqual(['Chinese (Simplified)']);
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^unknown language "Chinese \(Traditional\)"/), expect.stringMatching(/^unknown language "xx"/)]);
    // A campaign may still say what such a cell means: the whole cell is looked up first.
    const mapped = await readRecipients(file, { mapping: { values: { language: { 'Chinese (Traditional)': 'zh', 'es xx': 'es' } } } });
    expect(mapped.problems).toEqual([]);
    expect(mapped.recipients.slice(-2).map((r) => r.languages)).toEqual([['zh'], ['es']]);
  });

  it('reads a group with a qualifier in brackets, or named twice, and not two groups in one cell', async () => {
    const cells: [string, string][] = [
      ['Government (national)', 'government'],
      ['International organization (UN)', 'international-organization'],
      ['Civil society / NGO', 'civil-society'],
    ];
    const file = writeCsv(t.dir, 'g.csv', [
      ...cells.map(([group], i) => row({ id: `g${i}`, group, email: `g${i}@example.org` })),
      row({ id: 'two', group: 'Government / Academia', email: 'two@example.org' }),
    ]);
    const { recipients, problems } = await readRecipients(file);
    expect(recipients.map((r) => r.group)).toEqual(cells.map(([, g]) => g));
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^unknown group "Government \/ Academia"/)]);
  });

  it('reads a language, group or gender with an invisible character pasted in it', async () => {
    const file = writeCsv(t.dir, 'zw.csv', [row({ id: 'z1', language: '\u200Ben', group: 'academia\u200B', gender: '\u200Efemale\uFEFF' })]);
    const { recipients, problems } = await readRecipients(file);
    expect(problems).toEqual([]);
    expect(recipients[0]).toMatchObject({ languages: ['en'], group: 'academia', gender: 'female' });
    // And in a column's name.
    const header = writeCsv(t.dir, 'zwh.csv', [row({ id: 'z2' })], HEADER.replace('email', 'e\u200Bmail'));
    const read = await readRecipients(header);
    expect(read.problems).toEqual([]);
    expect(read.recipients[0].email).toBe(row({ id: 'z2' })[HEADER.split(',').indexOf('email')]);
  });

  it('keeps extra columns for the templates', async () => {
    const file = writeCsv(t.dir, 'x.csv', [[...row({ id: 'e1' }), 'Blue']], `${HEADER},favourite_colour`);
    const { recipients } = await readRecipients(file);
    expect(recipients[0].fields.favourite_colour).toBe('Blue');
  });

  it('refuses a list whose address or last name is split over columns no letter prints (a contacts export: the letters had a street and no city), once its rows are read, in every row it misses', async () => {
    const header = `${HEADER},Address line 2,City,Postal code`;
    const rows = [
      [...row({ id: 'a1', address: '1 College Road' }), 'Building B', 'Exampletown', 'EX1 2AB'],
      [...row({ id: 'a2', address: '2 Harbour Street\nPort Town PT4 5CD' }), '', 'Port Town', 'PT4 5CD'],
    ];
    const split = writeCsv(t.dir, 'split.csv', rows, header);
    const err = await readRecipients(split).then(
      () => undefined,
      (e: unknown) => e as LetterMergeError,
    );
    expect(err?.code).toBe('SPLIT_COLUMNS');
    expect(err?.message).toBe('columns "Address line 2", "City" and "Postal code" hold parts of the postal address that no letter prints: the address column does not hold them in 1 row (row 2, Address line 2 "Building B")');
    expect(err?.location).toEqual({ file: split, line: 1 });
    expect(err?.hint).toMatch(/^A letter prints the address column alone, line by line, as its addressee block\. Put the parts into it/);
    // validate lists it with the rows' own problems, and counts the rows as rows.
    const v = await validate({ csv: split });
    expect(v.rows).toBe(2);
    expect(v.problems.map((p) => p.message)).toEqual([err?.message]);
    // preview --row stops at its row, before the list's end: the row's own letter, which would
    // lack its city, is refused there (it showed a letter with no city); a row whose address
    // holds its parts is shown.
    const one = await preview({ csv: split, row: 1, textOnly: true }).then(
      () => undefined,
      (e: unknown) => e as LetterMergeError,
    );
    expect(one?.code).toBe('SPLIT_COLUMNS');
    expect(one?.message).toBe('column "Address line 2" holds a part of the postal address that the letter would not print: the address column does not hold "Building B"');
    expect(one?.location).toEqual({ file: split, line: 2, field: 'Address line 2' });
    expect(one?.hint).toBe(err?.hint);
    expect((await preview({ csv: split, id: 'a2', textOnly: true })).text).toContain('Port Town PT4 5CD');
    // Parts the address holds already (a city kept apart to sort by, a country's name) are no problem.
    const whole = writeCsv(t.dir, 'whole.csv', [[...row({ id: 'b1', address: '1 College Road\nBuilding B\nExampletown EX1 2AB' }), 'Building B', 'Exampletown', 'ex1 2ab'], [...row({ id: 'b2', address: '5 Marina Bay', country: 'Singapore' }), '', 'Singapore', '']], header);
    expect((await readRecipients(whole)).recipients.map((r) => r.id)).toEqual(['b1', 'b2']);
    // A second surname in a column of its own ("Segundo apellido"): letters went to "María José Echeverría".
    const surnames = writeCsv(t.dir, 'surnames.csv', [[...row({ id: 's1', first_name: 'María José', last_name: 'Echeverría' }), 'Salinas'], [...row({ id: 's2', last_name: 'García López' }), 'López']], `${HEADER},Segundo apellido`);
    const v2 = await validate({ csv: surnames });
    expect(v2.problems.map((p) => p.message)).toEqual(['column "Segundo apellido" holds a part of the last name that no letter prints: the last_name column does not hold it in 1 row (row 2, Segundo apellido "Salinas")']);
    expect(v2.problems[0].hint).toMatch(/both surnames \("Echeverría Salinas"\)/);
    // Nor are columns a list of contacts uses for other things: a region of the world, a record's state.
    const other = writeCsv(t.dir, 'other.csv', [[...row({ id: 'c1' }), 'Africa', 'active', 'Legal Affairs']], `${HEADER},Region,State,Departamento`);
    expect((await readRecipients(other)).recipients.map((r) => r.id)).toEqual(['c1']);
  });

  it('notes a column named as a field that another column is read as ("E-mail (2022)" beside "email": its addresses went nowhere)', async () => {
    const file = writeCsv(t.dir, 'two.csv', [[...row({ id: 'n1', email: 'old@example.org' }), 'new@example.org']], `${HEADER},E-mail (2022)`);
    const v = await validate({ csv: file });
    expect(v.problems).toEqual([]);
    expect(v.notices).toContain('column "E-mail (2022)" is not read as email, which is read from column "email": if it holds the values to use, say --map email="E-mail (2022)" (or columns: in campaign.yaml), and rename or delete the other');
    // Not a column that says something else of the field: a code, a second one.
    const others = writeCsv(t.dir, 'others.csv', [[...row({ id: 'n2' }), 'UY', 'Second']], `${HEADER},Country code,Email 2`);
    expect((await validate({ csv: others })).notices.filter((n) => /is not read as/.test(n))).toEqual([]);
  });

  it.each([
    ['language', { language: 'xx' }, /unknown language "xx"/],
    ['group', { group: 'press' }, /unknown group "press"/],
    ['email', { email: 'not-an-address' }, /not an e-mail address/],
    ['email', { email: '' }, /e-mail address is empty/],
    ['id', { id: '' }, /id is empty/],
    // Cells that look empty (a zero-width space, a zero-width non-joiner) are: no addressee is left.
    ['last_name', { last_name: '\u200b', organization: '\u200b\u200c ' }, /neither a last name nor an organization/],
    ['first_name', { first_name: '\u0301Ada' }, /first_name holds an accent or other combining mark \(U\+0301\) with no letter before it/],
    ['position', { position: 'Head of \u0308Unit' }, /position holds an accent .*\(U\+0308\)/],
    // A stack of marks on one letter ("Zalgo" text) was drawn through the lines above and below.
    ['first_name', { first_name: `Z${'\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308'.repeat(20)}` }, /first_name stacks 159 accents or other combining marks on one letter \("Ź"; at most 4\)/],
    // An override turned the letters after it backwards, in the cell and in the words after it in the letter.
    ['title', { title: 'Dr.\u202e evil' }, /title holds a right-to-left override \(U\+202E\), an invisible character that draws the letters after it backwards \("evil" as "live"\)/],
    ['organization', { organization: '\u202dUnion' }, /organization holds a left-to-right override \(U\+202D\)/],
  ])('reports a bad %s as a problem of that row only', async (field, overrides, message) => {
    const file = writeCsv(t.dir, 'bad.csv', [row({ id: 'good' }), row({ id: 'bad', ...overrides })]);
    const result = await readRecipients(file);
    expect(result.recipients.map((r) => r.id)).toEqual(['good']);
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ line: 4, field });
    expect(result.problems[0].message).toMatch(message);
  });

  it('reads a cell of invisible characters alone as empty, and drops such lines from an address; a mark on a letter is kept', async () => {
    const file = writeCsv(t.dir, 'z.csv', [
      row({ id: 'z', organization: '\u200b\ufeff', position: '\u00ad', address: 'Line 1\n\u200b\u200e\nLine 2' }),
      // Decomposed accents and marks on their letters: Spanish, Hindi, vocalised Arabic.
      row({ id: 'm', first_name: 'Jose\u0301', last_name: '\u0905\u0928\u093f\u0932', organization: '\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f' }),
      // Four marks on a letter are let through (Arabic: shadda, a vowel and a small alef, and one more).
      row({ id: 'four', first_name: 'x\u0308\u0304\u0301\u030c', organization: '\u0645\u0651\u064e\u0670\u0653' }),
    ]);
    const { recipients, problems } = await readRecipients(file);
    expect(problems).toEqual([]);
    const [z, m] = recipients;
    expect([z.organization, z.position]).toEqual(['', '']);
    expect(z.address).toEqual(['Line 1', 'Line 2']);
    expect(m.first_name).toBe('Jos\u00e9');
    expect(m.last_name).toBe('\u0905\u0928\u093f\u0932');
  });

  it('closes the bidi embeddings and isolates a cell leaves open, and drops the closings it has no opening for', async () => {
    const ar = '\u0627\u0644\u062d\u062f\u0627\u062f';
    const file = writeCsv(t.dir, 'bidi.csv', [
      row({ id: 'open', title: 'Dr.\u202b', first_name: `Ana\u2067 ${ar}`, last_name: `\u2068${ar}\u202a x` }),
      row({ id: 'stray', first_name: 'Ana\u202c\u2069', last_name: `\u2067${ar}\u202c\u2069 Smith` }),
      row({ id: 'whole', first_name: '\u200fAna', last_name: `\u2067${ar}\u2069 Smith\u200e`, position: '\u202bHead\u202c of Unit' }),
    ]);
    const { recipients, problems } = await readRecipients(file);
    expect(problems).toEqual([]);
    expect(recipients.map((r) => [r.title, r.first_name, r.last_name, r.position])).toEqual([
      ['Dr.\u202b\u202c', `Ana\u2067 ${ar}\u2069`, `\u2068${ar}\u202a x\u202c\u2069`, 'Professor'],
      ['Dr', 'Ana', `\u2067${ar}\u2069 Smith`, 'Professor'],
      // Closed already, and marks (LRM, RLM) with no scope: as they were.
      ['Dr', '\u200fAna', `\u2067${ar}\u2069 Smith\u200e`, '\u202bHead\u202c of Unit'],
    ]);
  });

  it('says on which line the column names are, when a title comes first', async () => {
    const err = await fileError(`Lista de invitados 2022\n\n${HEADER}\n${row({ id: 'a' }).join(',').replace(/\n/g, ' ')}\n`);
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toBe('the columns are named in line 3, not in the first line (which holds "Lista de invitados 2022")');
    expect(err.location.line).toBe(1);
  });

  it('names a row that repeats the header (two lists joined) rather than calling "language" an unknown language', async () => {
    const file = writeCsv(t.dir, 'j.csv', [row({ id: 'a' }), HEADER.toUpperCase().split(','), row({ id: 'b' })]);
    const { recipients, problems } = await readRecipients(file);
    expect(recipients.map((r) => r.id)).toEqual(['a', 'b']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 4, code: 'ROW' });
    expect(problems[0].message).toMatch(/this row repeats the header row \(were two lists put one after the other\?\)/);
  });

  it('refuses a second list whose columns are in another order: its rows would be read under the wrong columns', async () => {
    const names = HEADER.split(',');
    // The second list has its names the other way round (last_name before first_name).
    const swapped = names.map((n) => (n === 'first_name' ? 'last_name' : n === 'last_name' ? 'first_name' : n));
    const moved = (r: string[]) => swapped.map((n) => r[names.indexOf(n)]);
    const file = writeCsv(t.dir, 'o.csv', [row({ id: 'a' }), swapped.map((n) => ` ${n.toUpperCase()}`), moved(row({ id: 'b', first_name: 'Ana', last_name: 'Ruiz' }))]);
    const err = await readRecipients(file).then(
      () => undefined,
      (e: unknown) => e as LetterMergeError,
    );
    expect(err).toBeInstanceOf(LetterMergeError);
    expect(err!.code).toBe('HEADER_REORDERED');
    expect(err!.location).toMatchObject({ file, line: 4 }); // the first row's address takes two lines
    expect(err!.message).toBe('this row names the columns again, in another order: the rows after it would be read under the wrong columns');
    // The same names in the same order are a repeated header (above); a row that only holds some of the names is a row.
    const some = writeCsv(t.dir, 's.csv', [row({ id: 'a' }), row({ id: 'language', language: 'id' })]);
    await expect(readRecipients(some)).resolves.toMatchObject({ problems: [expect.objectContaining({ code: 'BAD_VALUE' })] });
  });

  async function fileError(text: string): Promise<LetterMergeError> {
    const file = path.join(t.dir, 'f.csv');
    writeFileSync(file, text);
    try {
      await readRecipients(file);
    } catch (err) {
      expect(err).toBeInstanceOf(LetterMergeError);
      return err as LetterMergeError;
    }
    throw new Error('expected an error');
  }

  it('refuses a file without a required column, naming it', async () => {
    const err = await fileError('id,language,email\n1,en,a@b.org\n');
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.kind).toBe('input');
    expect(err.message).toMatch(/group/);
    expect(err.location.line).toBe(1);
  });

  it('refuses duplicate ids, naming both lines', async () => {
    const rows = [row({ id: 'same' }), row({ id: 'other' }), row({ id: 'same' })];
    const cell = (v: string) => (/[",\n]/.test(v) ? `"${v}"` : v);
    const err = await fileError([HEADER, ...rows.map((r) => r.map(cell).join(','))].join('\n'));
    expect(err.code).toBe('DUPLICATE_ID');
    expect(err.message).toMatch(/first on line 2/);
  });

  it('refuses an empty file and a header-only file', async () => {
    expect((await fileError('')).code).toBe('EMPTY_FILE');
    expect((await fileError(`${HEADER}\n`)).code).toBe('NO_RECIPIENTS');
  });

  it('refuses an unterminated quote at the line of the row that opens it, not at the end of the file', async () => {
    const good = (id: string) => row({ id }).map((c) => (c.includes('\n') ? `"${c}"` : c)).join(',');
    const open = '3,en,academia,,,A,B,,,"open,x,a@b.org';
    const rows = [good('a'), good('b'), open, ...Array.from({ length: 50 }, (_, i) => `c${i},en,academia,,,A,B,,,,x,a@b.org`)];
    const err = await fileError(`${HEADER}\n${rows.join('\n')}\n`);
    expect(err.code).toBe('CSV_SYNTAX');
    expect(err.message).toMatch(/a quote opened in the row that begins here is never closed/);
    // The header, then two rows of two lines each (their addresses hold a line break).
    expect(err.location.line).toBe(6);
    // Rows below with quoted cells: the open quote pairs with the next one, where csv-parse stops.
    const paired = await fileError(`${HEADER}\n${[good('a'), good('b'), open, ...Array.from({ length: 50 }, (_, i) => good(`c${i}`))].join('\n')}\n`);
    expect(paired.message).toMatch(/the CSV cannot be read from the row that begins here: Invalid Closing Quote/);
    expect(paired.location.line).toBe(6);
  });

  it('refuses a row of a million characters as it reads it, where it begins', async () => {
    const err = await fileError(`${HEADER}\n${row({ id: 'a' }).join(',').replace(/\n/g, ' ')}\n1,en,academia,,,${'A'.repeat(1_200_000)},B,,,,x,a@b.org\n`);
    expect(err.code).toBe('CSV_SYNTAX');
    expect(err.message).toMatch(/the row that begins here reaches 1,000,000 characters by line 3/);
    expect(err.location.line).toBe(3);
  });

  it('skips rows of empty cells, as Excel writes them below a list, keeping the lines of the rows after', async () => {
    const csv = path.join(t.dir, 'blank-rows.csv');
    const cells = HEADER.split(',').length;
    const line = (cs: string[]) => cs.map((c) => (/[,\n"]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
    writeFileSync(
      csv,
      [HEADER, line(row({ id: 'a', address: 'Street 1' })), ','.repeat(cells - 1), Array(cells).fill('  ').join(','), line(row({ id: 'b', address: 'Street 2', email: 'not-an-address' })), ',,,', ','.repeat(cells - 1), ''].join('\n'),
    );
    const { recipients, problems } = await readRecipients(csv);
    expect(recipients.map((r) => r.id)).toEqual(['a']);
    expect(problems.map((p) => [p.line, p.field])).toEqual([[5, 'email']]);
  });

  it('names a total or a note under the list (one cell filled) as such, not as a bad id or an empty one', async () => {
    const cells = HEADER.split(',').length;
    const names = HEADER.split(',');
    const only = (i: number, text: string) => names.map((_, k) => (k === i ? text : ''));
    // (Row a's address takes two lines.)
    const csv = writeCsv(t.dir, 'totals.csv', [row({ id: 'a' }), only(0, 'Total: 1'), only(names.indexOf('organization'), 'Prepared by the Secretariat, 2021')]);
    expect(cells).toBeGreaterThan(3);
    const { recipients, problems } = await readRecipients(csv);
    expect(recipients.map((r) => r.id)).toEqual(['a']);
    expect(problems.map((p) => [p.line, p.field, p.message])).toEqual([
      [4, 'id', 'the row holds "Total: 1" (id) and nothing else: no name, language or e-mail address; a total or a note is not a recipient: delete the row, or fill it in'],
      [5, 'organization', 'the row holds "Prepared by the Secretariat, 2021" (organization) and nothing else: no name, language or e-mail address; a total or a note is not a recipient: delete the row, or fill it in'],
    ]);
  });

  it('tells every problem of a row in one run of validate: each value, and the characters no font draws; generate fails the row once, on its first, and says the others', async () => {
    const csv = writeCsv(
      t.dir,
      'many.csv',
      [
        [...row({ id: 'm1', language: 'klingon', gender: 'mujerx', email: 'not-an-email', first_name: '김', last_name: '', organization: '' }), ''],
        [...row({ id: 'm2', email: 'ok@example.org', first_name: 'Ana' }), 'a@'],
        [...row({ id: 'm3' }), ''],
      ],
      `${HEADER},cc`,
    );
    const v = await validate({ csv });
    expect(v.problems.map((p) => [p.line, p.id, p.field, p.code])).toEqual([
      [2, 'm1', 'language', 'BAD_VALUE'],
      [2, 'm1', 'gender', 'BAD_VALUE'],
      [2, 'm1', 'email', 'BAD_EMAIL'],
      [2, 'm1', 'last_name', 'NO_ADDRESSEE'],
      [2, 'm1', 'first_name', 'MISSING_GLYPH'],
      [4, 'm2', 'cc', 'BAD_EMAIL'], // (m1's address takes two lines)
    ]);
    // validate --suggest reads every unknown word of the row, not only the first.
    const suggested = (await validate({ csv, suggest: true })).suggestion ?? '';
    expect(suggested).toMatch(/"klingon": \?/);
    expect(suggested).toMatch(/"mujerx": female/);
    // The list as read: the row's first problem, the others with it.
    const { problems } = await readRecipients(csv);
    expect(problems.map((p) => [p.id, p.field])).toEqual([['m1', 'language'], ['m2', 'cc']]);
    // generate fails the row once, on its first problem, and failed.csv's error names them all.
    const r = await generate({ csv, out: path.join(t.dir, 'out') });
    expect(r.produced).toBe(1);
    expect(r.failures.map((f) => [f.id, f.field])).toEqual([['m1', 'language'], ['m2', 'cc']]);
    // (its summary, --json, carries the others with the first)
    expect(r.failures.map((f) => f.also?.map((a) => a.field))).toEqual([['gender', 'email', 'last_name'], undefined]);
    const failed = readFileSync(path.join(t.dir, 'out', 'failed.csv'), 'utf8');
    // (in CSV, a quote is written twice)
    expect(failed).toMatch(/line 2, language: unknown language ""klingon"" [^\n]*; gender: unknown gender ""mujerx"" [^\n]*; email: ""not-an-email"" is not an e-mail address; last_name: neither a last name nor an organization is given/);
  });

  it('refuses a row with the wrong number of cells', async () => {
    const err = await fileError(`${HEADER}\n1,en,academia\n`);
    expect(err.code).toBe('RAGGED_ROW');
    expect(err.location.line).toBe(2);
  });

  it('decodes the bytes Windows-1252 has beyond Latin-1 (curly quotes, dashes, €, œ), as Excel writes them', async () => {
    // "Asociación “Futuro” – Œuvre €" and "Sœur": 0x93 0x94 0x96 0x8C 0x80 0x9C, which Latin-1 reads as control characters.
    const cp = path.join(t.dir, 'quotes1252.csv');
    const bytes = (s: string) => Buffer.from(s, 'latin1');
    writeFileSync(cp, Buffer.concat([bytes(`${HEADER}\nr1,fr,academia,f,,S`), Buffer.from([0x9c]), bytes('ur Marie,Lef\xe8vre,,Asociaci\xf3n '), Buffer.from([0x93]), bytes('Futuro'), Buffer.from([0x94, 0x20, 0x96, 0x20, 0x8c]), bytes('uvre '), Buffer.from([0x80]), bytes(',1 rue,France,marie@example.fr\n')]));
    const { recipients, problems } = await readRecipients(cp);
    expect(problems).toEqual([]);
    expect(recipients[0]).toMatchObject({ first_name: 'Sœur Marie', last_name: 'Lefèvre', organization: 'Asociación “Futuro” – Œuvre €' });
  });

  it.each([
    ['Windows-1251', 'windows-1251', 'ru', { first_name: 'Иван', last_name: 'Петров', organization: 'Московский государственный университет' }],
    ['KOI8-R', 'koi8-r', 'ru', { first_name: 'Наталья', last_name: 'Смирнова', organization: 'Институт связи' }],
    ['GB18030', 'gb18030', 'zh', { first_name: '丽华', last_name: '王', organization: '北京大学信息学院' }],
    ['Windows-1256', 'windows-1256', 'ar', { first_name: 'محمد', last_name: 'العلي', organization: 'جامعة القاهرة' }],
  ])('reads a list in %s (Excel\'s "CSV" on a Windows set up for its script) as such, and says so', async (label, encoding, language, cells) => {
    // Each was read as Windows-1252: "Èâàí Ïåòðîâ" passed validate and went into the letters.
    const file = path.join(t.dir, `${encoding}.csv`);
    writeFileSync(file, iconv.encode(`${HEADER}\n${row({ id: 'x', language, title: '', ...cells }).map((c) => (/[,\n]/.test(c) ? `"${c}"` : c)).join(',')}\n`, encoding));
    const { recipients, problems } = await readRecipients(file);
    expect(problems).toEqual([]);
    expect(recipients[0]).toMatchObject(cells);
    const v = await validate({ csv: file });
    expect(v.encoding).toBe(encoding);
    expect(v.notices.join('\n')).toContain(`it was read as ${label}`);
  });

  it.each([
    ['a Spanish list', (): string => variedCsv(10, 'es', 7)],
    ['a French list the detector took for Chinese (Big5)', (): string => variedCsv(3, 'fr', 7)],
    ['a French list the detector took for Russian (IBM866)', (): string => variedCsv(30, 'fr', 7)],
    ['a list in capitals', (): string => `${HEADER}\nc1,fr,academia,male,M.,Jean,DUPRÉ,Directeur,ÉCOLE SUPÉRIEURE D'ÉLECTRICITÉ,"1 rue X\nParis",France,j@example.org\n`],
  ])('reads %s in Mac Roman (an older Excel for Mac\'s "CSV") as such, and says so', async (_, text) => {
    const mac = path.join(t.dir, 'mac.csv');
    writeFileSync(mac, iconv.encode(text(), 'macintosh'));
    const utf8 = path.join(t.dir, 'utf8.csv');
    writeFileSync(utf8, text());
    const read = await readRecipients(mac);
    expect(read.recipients.map((r) => r.fields)).toEqual((await readRecipients(utf8)).recipients.map((r) => r.fields));
    const v = await validate({ csv: mac });
    expect(v.encoding).toBe('macintosh');
    expect(v.notices.join('\n')).toContain('it was read as Mac Roman');
  });

  it('reads a UTF-8 list with a cell in Latin-1 as UTF-8: that row fails, saying so, and the others keep their names', async () => {
    // The sample list with one last name typed in a Latin-1 program: it was read whole as KOI8-R,
    // every name in Cyrillic letters, and only three rows failed (characters no font draws).
    const file = path.join(t.dir, 'mixed.csv');
    const sample = readFileSync(SAMPLE_CSV);
    const at = sample.indexOf(Buffer.from('Echeverría'));
    writeFileSync(file, Buffer.concat([sample.subarray(0, at), Buffer.from('Echeverr\xeda', 'latin1'), sample.subarray(at + Buffer.byteLength('Echeverría'))]));
    const v = await validate({ csv: file });
    expect(v.encoding).toBe('utf-8');
    expect(v.problems.map((p) => [p.line, p.field, p.message])).toEqual([[2, 'last_name', expect.stringMatching(/holds bytes that are not valid UTF-8/)]]);
    const { recipients } = await readRecipients(file);
    expect(recipients.map((r) => r.fields.last_name)).toEqual((await readRecipients(SAMPLE_CSV)).recipients.slice(1).map((r) => r.fields.last_name));
  });

  it('keeps reading Western lists in Windows-1252 as such, with curly quotes, dashes and capitals', async () => {
    for (const text of [
      variedCsv(10, 'es', 7),
      variedCsv(30, 'fr', 7),
      `${HEADER}\nq1,en,academia,male,Mr.,Sean,O’Brien,Director,“Acme” Ltd – Dublin…,"1 Street\nDublin",Ireland,s@example.ie\n`,
      `${HEADER}\nc1,fr,academia,male,M.,Jean,DUPRÉ,Directeur,ÉCOLE SUPÉRIEURE D'ÉLECTRICITÉ™,"1 rue X\nParis",France,j@example.org\n`,
      // Bytes that are UTF-8 too, of a character no name is written in ("CAFɖBAR"): read as written.
      `${HEADER}\nc2,fr,academia,male,M.,Jean,Dupré,Gérant,CAFÉ–BAR DU PORT,"1 rue X\nParis",France,j@example.org\n`,
    ]) {
      const file = path.join(t.dir, 'w.csv');
      writeFileSync(file, iconv.encode(text, 'windows-1252'));
      const v = await validate({ csv: file });
      expect(v.encoding).toBe('windows-1252');
      expect(v.problems).toEqual([]);
    }
  });

  it('fails a row of a list in a legacy code page whose cell was saved as UTF-8, saying what it reads', async () => {
    // A Western list with a name pasted from a UTF-8 source: "FranÃ§oise" went into the letter.
    const western = path.join(t.dir, 'mixed-1252.csv');
    writeFileSync(
      western,
      Buffer.concat([
        iconv.encode(`${HEADER}\na1,fr,academia,female,Dr,Hélène,Dubois,Professeure,Université,"1 rue\nParis",France,a1@example.org\n`, 'windows-1252'),
        Buffer.from('a2,fr,academia,female,Dr,Françoise,Martin,Professeure,École – Nord,"2 rue\nParis",France,a2@example.org\n', 'utf8'),
      ]),
    );
    const v = await validate({ csv: western });
    expect(v.encoding).toBe('windows-1252');
    expect(v.problems.map((p) => [p.line, p.id, p.field, p.message])).toEqual([
      [4, 'a2', 'first_name', 'first_name holds "FranÃ§oise", which is "Françoise" saved as UTF-8, in a file read as Windows-1252 (Western European): the list mixes two encodings; re-export it whole as "CSV UTF-8", or type the cell again'],
    ]);
    // A Russian list in Windows-1251 with a name pasted from a UTF-8 source.
    const russian = path.join(t.dir, 'mixed-1251.csv');
    const lines = variedCsv(40, 'ru', 3).trimEnd().split('\n');
    writeFileSync(
      russian,
      Buffer.concat([iconv.encode(`${lines.join('\n')}\nz1,ru,academia,male,,`, 'windows-1251'), Buffer.from('Олег', 'utf8'), iconv.encode(',Петров,Директор,Институт,Москва,Россия,z1@example.org\n', 'windows-1251')]),
    );
    const ru = await validate({ csv: russian });
    expect(ru.encoding).toBe('windows-1251');
    expect(ru.problems.map((p) => [p.id, p.field, p.message])).toEqual([['z1', 'first_name', expect.stringMatching(/^first_name holds ".+", which is "Олег" saved as UTF-8, in a file read as Windows-1251 \(Cyrillic\)/)]]);
    // That one cell made the whole list read as IBM866 before: every name in box-drawing characters.
    expect((await readRecipients(russian)).recipients[0].fields.last_name).toBe(lines[1].split(',')[6]);
    // A cell whose UTF-8 bytes the code page has no character for ("Иван": 0x98) is said so, not "not UTF-8".
    writeFileSync(russian, Buffer.concat([iconv.encode(`${lines.join('\n')}\nz1,ru,academia,male,,`, 'windows-1251'), Buffer.from('Иван', 'utf8'), iconv.encode(',Петров,Директор,Институт,Москва,Россия,z1@example.org\n', 'windows-1251')]));
    const lost = await validate({ csv: russian });
    expect(lost.encoding).toBe('windows-1251');
    expect(lost.problems.map((p) => [p.id, p.field, p.message])).toEqual([
      ['z1', 'first_name', 'first_name holds bytes that Windows-1251 (Cyrillic), in which the file was read, has no character for (shown as "\uFFFD"): the cell was saved in another encoding; re-export the list whole as "CSV UTF-8"'],
    ]);
  });

  it('decodes UTF-16 and Windows-1252 files', async () => {
    const text = `${HEADER}\nr1,fr,academia,f,Mme,Zoé,Lefèvre,Directrice,Université,"1 rue\nVille",France,zoe@example.fr\n`;
    const u16 = path.join(t.dir, 'u16.csv');
    writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const cp = path.join(t.dir, 'cp1252.csv');
    writeFileSync(cp, Buffer.from(text, 'latin1'));
    for (const file of [u16, cp]) {
      const { recipients } = await readRecipients(file);
      expect(recipients[0]).toMatchObject({ first_name: 'Zoé', last_name: 'Lefèvre', address: ['1 rue', 'Ville'] });
    }
  });
});
