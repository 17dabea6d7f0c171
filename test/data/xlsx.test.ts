import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readRecipients } from '../../src/data/recipients';
import { HEADER, SAMPLE_CSV, campaignCopy, cli, row, tempDir, writeCsv } from '../helpers';
import { makeXlsx, zip } from '../helpers/xlsx';
import type { XCell, XSheet } from '../helpers/xlsx';

const COLUMNS = HEADER.split(',');

describe('Excel workbooks as recipients lists', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  let n = 0;
  const book = (sheets: XSheet[], options?: { date1904?: boolean }) => {
    const file = path.join(t.dir, `book-${n++}.xlsx`);
    writeFileSync(file, makeXlsx(sheets, options));
    return file;
  };

  it('gives byte-identical letters and e-mails from the same table saved as .xlsx and as CSV', async () => {
    const rows = parse(readFileSync(SAMPLE_CSV), { columns: false }) as string[][];
    const xlsx = book([{ name: 'Recipients', rows }]);
    const fromCsv = path.join(t.dir, 'from-csv');
    const fromXlsx = path.join(t.dir, 'from-xlsx');
    expect((await cli(['generate', SAMPLE_CSV, '--out', fromCsv])).code).toBe(0);
    expect((await cli(['generate', xlsx, '--out', fromXlsx])).code).toBe(0);
    const files = readdirSync(fromCsv, { recursive: true }).map(String).filter((f) => /\.(pdf|eml)$/.test(f));
    expect(files.length).toBe(46);
    for (const f of files) expect(readFileSync(path.join(fromXlsx, f)).equals(readFileSync(path.join(fromCsv, f)))).toBe(true);
  });

  // A second writer, when the machine has it (Debian: python3-openpyxl; .ci/run installs it).
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import openpyxl']).status === 0);
  (python ? it : it.skip)('reads a workbook written by openpyxl the same way: the sample gives the same bytes, and numbers, dates and line breaks read as Excel shows them', async () => {
    const file = path.join(t.dir, 'openpyxl.xlsx');
    const script = `
import csv, datetime, sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = 'Recipients'
for r in csv.reader(open(sys.argv[1], newline='', encoding='utf-8')):
    ws.append(r)
odd = wb.create_sheet('Odd')
odd.append(${JSON.stringify([...COLUMNS, 'phone', 'count', 'since', 'note', 'share'])})
odd.append(${JSON.stringify(row({ id: 'o1' }).map(String))} + [41227306240, 1001, datetime.date(2022, 5, 30), ${JSON.stringify('Line one\nLine two')}, 0.1 + 0.2])
odd['Q2'].number_format = '0%'
wb.save(sys.argv[2])`;
    execFileSync(python!, ['-c', script, SAMPLE_CSV, file]);
    const fromCsv = path.join(t.dir, 'from-csv');
    const fromPy = path.join(t.dir, 'from-openpyxl');
    expect((await cli(['generate', file, '--out', fromPy])).code).toBe(0);
    const files = readdirSync(fromCsv, { recursive: true }).map(String).filter((f) => /\.(pdf|eml)$/.test(f));
    expect(files.length).toBe(46);
    for (const f of files) expect(readFileSync(path.join(fromPy, f)).equals(readFileSync(path.join(fromCsv, f)))).toBe(true);
    const odd = (await readRecipients(file, { sheet: 'Odd' })).recipients[0].fields;
    expect([odd.phone, odd.count, odd.since, odd.note, odd.share]).toEqual(['41227306240', '1001', '2022-05-30', 'Line one\nLine two', '30%']);
  });

  it('reads each cell as the text Excel shows', async () => {
    const extra = ['phone', 'budget', 'share', 'since', 'postcode', 'formula', 'total', 'active', 'note', 'motto', 'rate', 'amount', 'fee'];
    const cells: XCell[] = [
      41227306240, // a telephone number stored as a number
      1001,
      { n: 0.1 + 0.2, format: '0.00' },
      { n: 44442, format: 'yyyy-mm-dd' },
      { n: 1234, format: '00000' },
      { formula: 'A2&"-"&B2', result: 'r1-en' },
      { formula: 'SUM(1,2)', result: 3 },
      { formula: 'TRUE()', result: true },
      { rich: ['Dear ', 'friends'] },
      { inline: ['Per aspera ', 'ad astra'] },
      { n: 0.125, format: '0.0%' },
      { n: 1234567.891, format: '#,##0.00' },
      { n: 12, format: '"CHF "#,##0.00' },
    ];
    // (The postcode is in the address too: a part of it in a column of its own that the address lacks is refused.)
    const file = book([{ name: 'Sheet1', rows: [[...COLUMNS, ...extra], [...row({ address: 'Line one\nLine two 01234' }), ...cells]] }]);
    const { recipients } = await readRecipients(file);
    expect(recipients).toHaveLength(1);
    const f = recipients[0].fields;
    expect([f.phone, f.budget, f.share, f.since, f.postcode, f.formula, f.total, f.active, f.note, f.motto, f.rate, f.amount, f.fee]).toEqual([
      '41227306240',
      '1001',
      '0.30',
      '2021-09-03',
      '01234',
      'r1-en',
      '3',
      'TRUE',
      'Dear friends',
      'Per aspera ad astra',
      '12.5%',
      '1,234,567.89',
      'CHF 12.00',
    ]);
    expect(recipients[0].address).toEqual(['Line one', 'Line two 01234']);
  });

  it('counts dates from 1904 when the workbook says so', async () => {
    const file = book([{ name: 'S', rows: [[...COLUMNS, 'since'], [...row(), { n: 42980, format: 'd mmm yyyy' }]] }], { date1904: true });
    expect((await readRecipients(file)).recipients[0].fields.since).toBe('2021-09-03');
  });

  it('skips empty rows and ignores empty columns after the header, and reads the first sheet unless told', async () => {
    const file = book([
      { name: 'Recipients', rows: [[...COLUMNS, null, null], null, [...row({ id: 'a' }), null, ''], null, [...row({ id: 'b' })], null, null] },
      { name: 'Other', rows: [[...COLUMNS], [...row({ id: 'x' })]] },
    ]);
    expect((await readRecipients(file)).recipients.map((r) => [r.id, r.line])).toEqual([
      ['a', 3],
      ['b', 5],
    ]);
    expect((await readRecipients(file, { sheet: 'Other' })).recipients.map((r) => r.id)).toEqual(['x']);
    expect((await readRecipients(file, { sheet: 'other' })).recipients.map((r) => r.id)).toEqual(['x']);
    const v = await cli(['validate', file, '--sheet', 'Archive']);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/the workbook has no sheet named "Archive"\n {2}Its sheets are: "Recipients", "Other"\./);
    // A list on two sheets had the letters of the first made, and the others left out without a word.
    const note = 'note: the sheet "Recipients", the workbook\'s first tab, was read; its other tab ("Other") was not: name the sheet to read with --sheet NAME';
    const w = await cli(['validate', file]);
    expect(w.code).toBe(0);
    expect(w.stderr).toContain(note.replace('note: ', `note: ${file}: `));
    expect((await cli(['validate', file, '--sheet', 'Recipients'])).stderr).not.toContain('was read;');
    // A first sheet left empty names the others.
    const empty = book([{ name: 'Sheet1', rows: [] }, { name: 'Data', rows: [[...COLUMNS], [...row({ id: 'a' })]] }]);
    expect((await cli(['validate', empty])).stderr).toMatch(/sheet Sheet1: the sheet is empty\n {2}The workbook's other sheets are "Data": pick the list with --sheet NAME\./);
  });

  it('reads the first sheet that is not hidden, and says that rows hidden by a filter are read too', async () => {
    const file = book([
      { name: 'Lookup', state: 'hidden', rows: [[...COLUMNS], [...row({ id: 'lookup' })]] },
      { name: 'Recipients', rows: [[...COLUMNS], row({ id: 'a', language: 'es' }), row({ id: 'b', language: 'en', email: 'b@example.org' }), row({ id: 'c', language: 'en', email: 'c@example.org' })], hiddenRows: [3, 4] },
    ]);
    expect((await readRecipients(file)).recipients.map((r) => [r.id, r.hidden ?? false])).toEqual([
      ['a', false],
      ['b', true],
      ['c', true],
    ]);
    const note = /note: .*2 rows \(the first, row 3\) of the sheet "Recipients" are hidden in the workbook \(filtered out, or hidden by hand\), and are read like the others/;
    const v = await cli(['validate', file]);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(note);
    const g = await cli(['generate', file, '--out', path.join(t.dir, 'hidden-out'), '--json']);
    expect(g.stderr).toMatch(note);
    expect(JSON.parse(g.stdout)).toMatchObject({ produced: 3 });
    // Asked for by name, a hidden sheet is read.
    expect((await readRecipients(file, { sheet: 'Lookup' })).recipients.map((r) => r.id)).toEqual(['lookup']);
  });

  it('says that a hidden column is read, and refuses one read as a field beside a shown column that names it too (the letters went to the hidden, old addresses)', async () => {
    const email = COLUMNS.indexOf('email');
    const withNew = (r: string[], address: string) => [...r, address];
    const rows = [withNew([...COLUMNS], 'E-mail (2022)'), withNew(row({ id: 'a', email: 'old@example.org' }), 'new@example.org')];
    // The old column hidden, the new one shown beside it: which one is read is not left to chance.
    const both = book([{ name: 'Lista', rows, hiddenColumns: [[email + 1, email + 1]] }]);
    const v = await cli(['validate', both]);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain(`${both}: sheet Lista, row 1: email would be read from column ${String.fromCharCode(65 + email)} "email", which is hidden in the workbook, and not from column ${String.fromCharCode(66 + email)} "E-mail (2022)", which is shown`);
    expect(v.stderr).toMatch(/delete the hidden one \(or rename it, "email \(old\)"\) and say --map email="E-mail \(2022\)"/);
    // Renamed, and the shown one mapped: the new addresses.
    const renamed = book([{ name: 'Lista', rows: [withNew([...COLUMNS.slice(0, email), 'email (old)', ...COLUMNS.slice(email + 1)], 'E-mail (2022)'), rows[1]], hiddenColumns: [[email + 1, email + 1]] }]);
    expect((await readRecipients(renamed, { mapping: { columns: { email: 'E-mail (2022)' } } })).recipients[0].email).toBe('new@example.org');
    // The hidden one named by the mapping: read as asked.
    expect((await readRecipients(renamed, { mapping: { columns: { email: 'email (old)' } } })).recipients[0].email).toBe('old@example.org');
    // A hidden column alone, and the hidden columns past the list's last (as "hide the unused columns" leaves them): read, and said so.
    const alone = book([{ name: 'Lista', rows: [[...COLUMNS], row({ id: 'a', email: 'old@example.org' })], hiddenColumns: [[email + 1, email + 1], [COLUMNS.length + 1, 16384]] }]);
    expect((await readRecipients(alone)).recipients[0].email).toBe('old@example.org');
    const a = await cli(['validate', alone]);
    expect(a.code).toBe(0);
    expect(a.stderr).toContain(`note: ${alone}: column ${String.fromCharCode(65 + email)} "email" of the sheet "Lista" is hidden in the workbook, and read like the others: unhide it to see what the letters and e-mails use`);
    // An extra column hidden: said when a template uses it, not when none does.
    const extra = String.fromCharCode(65 + COLUMNS.length);
    const withCode = book([{ name: 'Lista', rows: [[...COLUMNS, 'fund_code'], [...row({ id: 'a' }), 'TF-2022-17']], hiddenColumns: [[COLUMNS.length + 1, COLUMNS.length + 1]] }]);
    const letter = path.join(t.dir, 'campaign', 'en', 'letter.md');
    const campaign = campaignCopy(t.dir);
    const uses = await cli(['validate', withCode, '--campaign', campaign]);
    expect(uses.stderr).not.toMatch(/hidden in the workbook/);
    writeFileSync(letter, readFileSync(letter, 'utf8').replace('{{salutation}}', '{{salutation}}\n\nReference of the fund: {{fund_code}}.'));
    const used = await cli(['validate', withCode, '--campaign', campaign]);
    expect(used.code).toBe(0);
    expect(used.stderr).toContain(`note: ${withCode}: column ${extra} "fund_code" of the sheet "Lista" is hidden in the workbook, and read like the others: unhide it to see what the letters and e-mails use`);
  });

  it('says where the column names are when a title and a blank row come first', async () => {
    const titled = book([{ name: 'Lista', rows: [['Invitaciones al Fondo Fiduciario de la CMSI, campaña 2022'], null, COLUMNS, row({ id: 'a' })] }]);
    const v = await cli(['validate', titled]);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain(`${titled}: sheet Lista, row 1: the columns are named in row 3, not in the first row (which holds "Invitaciones al Fondo Fiduciario de la CMSI, campaña 2022")`);
    expect(v.stderr).toMatch(/Delete the rows above the column names/);
    // With no column names in the rows below, the missing columns are named as before.
    const none = book([{ name: 'Lista', rows: [['a title'], ['x', 'y']] }]);
    expect((await cli(['validate', none])).stderr).toMatch(/row 1: missing columns: id, language/);
  });

  it('places each problem by sheet, row and column', async () => {
    const file = book([{ name: 'Recipients', rows: [COLUMNS, row({ id: 'ok' }), row({ id: 'bad', email: 'jane.doe@' })] }]);
    const v = await cli(['validate', file]);
    expect(v.code).toBe(4);
    expect(v.stderr).toContain(`${file}: sheet Recipients, row 3, column email: id bad: `);
  });

  it('refuses merged cells, a value under no header, and a formula never calculated, naming the cell', async () => {
    const merged = book([{ name: 'R', rows: [COLUMNS, row({ id: 'a' }), row({ id: 'b' })], merges: ['K2:K3'] }]);
    const m = await cli(['validate', merged]);
    expect(m.code).toBe(3);
    expect(m.stderr).toMatch(/sheet R: cells K2:K3 are merged\n {2}Unmerge the cells/);
    const stray = book([{ name: 'R', rows: [COLUMNS, row({ id: 'a' }), [...row({ id: 'b' }), null, 'stray']] }]);
    const s = await cli(['validate', stray]);
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/sheet R, row 3: this row has a value in column N, which has no header/);
    const formula = book([{ name: 'R', rows: [[...COLUMNS, 'total'], [...row(), { formula: 'SUM(A1:A2)' }]] }]);
    const f = await cli(['validate', formula]);
    expect(f.code).toBe(3);
    expect(f.stderr).toMatch(/sheet R, row 2, cell M2: cell M2 holds a formula with no saved result/);
    // As openpyxl writes one: an empty value, which only a text result could have.
    const empty = book([{ name: 'R', rows: [[...COLUMNS, 'total', 'blank'], [...row(), { formula: 'SUM(A1:A2)', result: null }, { formula: 'A1&""', result: '' }]] }]);
    const e = await cli(['validate', empty]);
    expect(e.code).toBe(3);
    expect(e.stderr).toMatch(/cell M2 holds a formula with no saved result/);
    expect(e.stderr).not.toMatch(/N2/);
  });

  it('fails a row whose cell shows a formula\'s error (#N/A) rather than print it in the letter, and so does a CSV saved with one', async () => {
    const title = COLUMNS.indexOf('title');
    const withError = (id: string, error: string) => {
      const r: XCell[] = row({ id });
      r[title] = { formula: 'VLOOKUP(A2,Titles!A:B,2,FALSE)', error };
      return r;
    };
    const file = book([{ name: 'R', rows: [COLUMNS, withError('a', '#N/A'), row({ id: 'b' }), withError('c', '#REF!')] }]);
    const v = await cli(['validate', file]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/row 2, column title: id a: cell E2 shows the error #N\/A, not a value: a formula there failed/);
    expect(v.stderr).toMatch(/row 4, column title: id c: cell E4 shows the error #REF!/);
    expect(v.stderr).toMatch(/2 problems in 3 rows/);
    const out = path.join(t.dir, 'out-errors');
    const g = await cli(['generate', file, '--out', out, '--json']);
    expect(g.code).toBe(4);
    expect(JSON.parse(g.stdout)).toMatchObject({ produced: 1, failed: 2 });
    // The same list saved as CSV: the cells hold the errors' text.
    // (A Spanish, Russian, German or Dutch Excel writes its errors in its language: #N/D, #ЗНАЧ!, #NV, #WAARDE!.)
    const csv = writeCsv(t.dir, 'errors.csv', [
      row({ id: 'a', title: '#N/A' }),
      row({ id: 'b', organization: 'Ministry #N/A' }),
      row({ id: 'c', position: '#N/D' }),
      row({ id: 'd', title: '#ЗНАЧ!' }),
      row({ id: 'e', position: '#NV' }),
      row({ id: 'f', position: '#WAARDE!' }),
      row({ id: 'g', position: '#NVIDIA' }),
    ]);
    const c = await cli(['validate', csv]);
    expect(c.code).toBe(4);
    expect(c.stderr).toMatch(/errors\.csv:2: id a, title: the cell holds #N\/A, a spreadsheet's error, not a value/);
    expect(c.stderr).toMatch(/id c, position: the cell holds #N\/D, a spreadsheet's error/);
    expect(c.stderr).toMatch(/id d, title: the cell holds #ЗНАЧ!, a spreadsheet's error/);
    expect(c.stderr).toMatch(/id e, position: the cell holds #NV, a spreadsheet's error/);
    expect(c.stderr).toMatch(/id f, position: the cell holds #WAARDE!, a spreadsheet's error/);
    expect(c.stderr).toMatch(/5 problems in 7 rows/);
  });

  it('refuses an .xls or .ods file with "save it as .xlsx or CSV"', async () => {
    const xls = path.join(t.dir, 'old.xls');
    writeFileSync(xls, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]));
    const a = await cli(['validate', xls]);
    expect(a.code).toBe(3);
    expect(a.stderr).toMatch(/an older Office file \(\.xls or \.doc\).*\n {2}Save it as \.xlsx or CSV UTF-8/);
    const ods = path.join(t.dir, 'list.ods');
    writeFileSync(ods, zip([['mimetype', 'application/vnd.oasis.opendocument.spreadsheet'], ['content.xml', '<office:document-content/>']]));
    const b = await cli(['validate', ods]);
    expect(b.code).toBe(3);
    expect(b.stderr).toMatch(/an OpenDocument spreadsheet \(\.ods\), not an \.xlsx workbook\n {2}Save it as \.xlsx or CSV UTF-8/);
  });

  it('stops at once on a part with more text between two tags than any cell holds (a small file that unpacks to gigabytes)', async () => {
    // Excel's longest cell, 32,767 characters, is read whole (and then too long for a letter: a
    // problem of its row, not of the file)…
    const fine = book([{ name: 'Hoja1', rows: [COLUMNS, row({ organization: 'ñ'.repeat(32_767) })] }]);
    const { problems } = await readRecipients(fine);
    expect(problems.map((p) => [p.code, p.message])).toEqual([['FIELD_TOO_LONG', expect.stringMatching(/^organization is 32767 characters long/)]]);
    // …and 3 million spaces between two tags of the sheet (a few kilobytes packed) are refused.
    const parts: [string, string][] = [
      ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'],
      ['_rels/.rels', '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'],
      ['xl/workbook.xml', '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>'],
      ['xl/_rels/workbook.xml.rels', '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'],
      ['xl/worksheets/sheet1.xml', `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${' '.repeat(3_000_000)}</sheetData></worksheet>`],
    ];
    const bomb = path.join(t.dir, 'bomb.xlsx');
    writeFileSync(bomb, zip(parts));
    const r = await cli(['validate', bomb]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/sheet Hoja1: the sheet "Hoja1" cannot be read: xl\/worksheets\/sheet1\.xml holds more than a million characters between two tags, where a cell holds at most 32,767/);
  });

  it('says --sheet is for workbooks when the file is a CSV', async () => {
    const r = await cli(['validate', SAMPLE_CSV, '--sheet', 'Recipients']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sheet names a sheet of a workbook/);
  });
});
