import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { SaxesParser } from 'saxes';
import type { SaxesTagPlain } from 'saxes';
import numfmt from 'numfmt';
import yauzl from 'yauzl';
import { LetterMergeError } from '../errors';

/**
 * Reads the recipients list from an Excel workbook (.xlsx), streaming its rows: the ZIP is read
 * with yauzl (by its directory, so the workbook, its styles and its shared strings are read first,
 * whatever order they were written in), the XML with saxes. Each cell becomes the text a person
 * sees in Excel:
 * - numbers as Excel's General format shows them (1001, not 1001.0 or 1.001E3; a telephone number
 *   stored as a number keeps all its digits), or as their cell's number format shows them
 *   ("00000" pads a postcode, "0%" makes 0.3 read 30%, "#,##0.00" 1,234.50), by numfmt, an
 *   implementation of Excel's format codes, in English (US) conventions unless the code names a
 *   locale;
 * - dates (a number with a date format) as yyyy-mm-dd, with the time when it has one;
 * - formulas as their saved results;
 * - rich text flattened to its text, line breaks (Alt+Enter) kept;
 * - TRUE and FALSE as Excel writes them.
 * Merged cells in the data are refused, naming them: which row would their value belong to?
 */

export interface XlsxRow {
  /** The row's number in the sheet (1-based), as Excel shows it. */
  row: number;
  /** Cell texts by column, from column A; missing cells are empty. */
  cells: string[];
  /** Hidden in Excel: filtered out, or hidden by hand. */
  hidden?: boolean;
  /**
   * Cells that hold an error rather than a value (#N/A, #REF!, #DIV/0!…: a formula that failed,
   * a lookup that found nothing): their column (from 1), address and error. Their text in `cells`
   * is the error's.
   */
  errors?: { col: number; ref: string; value: string }[];
}

export interface XlsxSheet {
  /** The sheet read. */
  name: string;
  /** All the sheets' names, in the workbook's order. */
  names: string[];
  /** With no sheet asked for: the other sheets a user sees as tabs, which are not read. */
  unread: string[];
  rows: AsyncIterable<XlsxRow>;
  /**
   * The sheet's columns hidden in Excel (by number, from 1), as its rows are read: the sheet names
   * them before its first row.
   */
  hiddenColumns: Set<number>;
}

/** The largest workbook part (other than a sheet) read into memory, uncompressed. */
const PART_MAX_BYTES = 256 * 1024 * 1024;

function spreadsheetError(file: string, message: string, hint?: string, location: { sheet?: string; line?: number; field?: string } = {}): LetterMergeError {
  return new LetterMergeError('SPREADSHEET', message, { location: { file, ...location }, hint });
}

/** The local name of an element: "c" for c and for x:c (some writers prefix every element). */
function local(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: false }, (err, zip) => (err ? reject(err) : resolve(zip))));
}

/** Every entry of the ZIP's directory, by name. */
function entriesOf(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on('entry', (e: yauzl.Entry) => {
      entries.set(e.fileName, e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

function streamOf(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
}

/**
 * The most characters the XML of a workbook holds between two tags. A cell holds at most 32,767
 * characters (Excel's limit), so a real workbook never comes near; a part that does (1.5 MB of
 * .xlsx can hold 1.5 GB of spaces between two tags) would have the parser gather it all into one
 * string, for seconds and hundreds of megabytes, before failing on JavaScript's longest string.
 */
const TEXT_BETWEEN_TAGS_MAX = 1024 * 1024;

/** Feeds an entry's XML to a SAX parser; `onChunk` runs after each piece (to hand out what it made). */
async function* parseEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, parser: SaxesParser, maxBytes = Infinity): AsyncGenerator<void> {
  const stream = await streamOf(zip, entry);
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  // Characters since the last '<': the text (or tag) the parser is gathering.
  let sinceTag = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      stream.destroy();
      throw new Error(`${entry.fileName} is larger than ${maxBytes} bytes uncompressed`);
    }
    const text = decoder.write(chunk);
    const lastTag = text.lastIndexOf('<');
    sinceTag = lastTag < 0 ? sinceTag + text.length : text.length - lastTag - 1;
    if (sinceTag > TEXT_BETWEEN_TAGS_MAX) {
      stream.destroy();
      throw new Error(`${entry.fileName} holds more than a million characters between two tags, where a cell holds at most 32,767: it is not a workbook Excel wrote`);
    }
    parser.write(text);
    yield;
  }
  parser.write(decoder.end());
  parser.close();
  yield;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry | undefined, handlers: (p: SaxesParser) => void): Promise<void> {
  if (!entry) return;
  const parser = new SaxesParser();
  handlers(parser);
  for await (const _ of parseEntry(zip, entry, parser, PART_MAX_BYTES)) {
    // the handlers collect what they need
  }
}

/** Where each sheet's XML is: the workbook's relationships, rId → part name. */
async function relationships(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>): Promise<Map<string, string>> {
  const rels = new Map<string, string>();
  await readEntry(zip, entries.get('xl/_rels/workbook.xml.rels'), (p) =>
    p.on('opentag', (n: SaxesTagPlain) => {
      if (local(n.name) !== 'Relationship') return;
      const target = String(n.attributes.Target ?? '');
      // Targets are relative to xl/, or absolute from the package root.
      rels.set(String(n.attributes.Id ?? ''), target.startsWith('/') ? target.slice(1) : `xl/${target.replace(/^\.\//, '')}`);
    }),
  );
  return rels;
}

/** The sheets in the workbook's order (hidden: not shown as a tab in Excel), and whether dates count from 1904. */
async function workbook(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>): Promise<{ sheets: { name: string; rId: string; hidden: boolean }[]; date1904: boolean }> {
  const sheets: { name: string; rId: string; hidden: boolean }[] = [];
  let date1904 = false;
  await readEntry(zip, entries.get('xl/workbook.xml'), (p) =>
    p.on('opentag', (n: SaxesTagPlain) => {
      const name = local(n.name);
      if (name === 'sheet') {
        const rId = Object.entries(n.attributes).find(([k]) => local(k) === 'id')?.[1];
        const state = String(n.attributes.state ?? 'visible');
        sheets.push({ name: String(n.attributes.name ?? ''), rId: String(rId ?? ''), hidden: state === 'hidden' || state === 'veryHidden' });
      } else if (name === 'workbookPr') {
        const v = String(n.attributes.date1904 ?? '');
        date1904 = v === '1' || v === 'true';
      }
    }),
  );
  return { sheets, date1904 };
}

/** Built-in number formats that show dates or times (ECMA-376, 18.8.30, and the East Asian ones). */
const DATE_FORMAT_IDS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** Whether a format code shows a date or time: d, m, y, h or s outside quotes, brackets and escapes. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\\./g, '')
    .replace(/_./g, '')
    .replace(/\*./g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

interface CellFormat {
  date: boolean;
  /** The number format code, when it is not General (nor text, "@"). */
  code?: string;
}

/** Built-in number formats other than General, dates and times (ECMA-376, 18.8.30). */
const BUILT_IN_FORMATS: Record<number, string> = {
  1: '0',
  2: '0.00',
  3: '#,##0',
  4: '#,##0.00',
  9: '0%',
  10: '0.00%',
  11: '0.00E+00',
  12: '# ?/?',
  13: '# ??/??',
  37: '#,##0 ;(#,##0)',
  38: '#,##0 ;[Red](#,##0)',
  39: '#,##0.00;(#,##0.00)',
  40: '#,##0.00;[Red](#,##0.00)',
  48: '##0.0E+0',
};

/** A number as its format code shows it; General's rules when the code cannot be used. */
function formatted(n: number, code: string | undefined): string {
  if (code === undefined) return generalNumber(n);
  try {
    const text = numfmt.format(code, n, { throws: true, nbsp: false });
    return typeof text === 'string' && text !== '' ? text : generalNumber(n);
  } catch {
    return generalNumber(n);
  }
}

/** The number format of each cell style (the s attribute of a cell): a date, zero padding, or neither. */
async function styles(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>): Promise<CellFormat[]> {
  const codes = new Map<number, string>();
  const formats: CellFormat[] = [];
  let inCellXfs = false;
  await readEntry(zip, entries.get('xl/styles.xml'), (p) => {
    p.on('opentag', (n: SaxesTagPlain) => {
      const name = local(n.name);
      if (name === 'numFmt') codes.set(Number(n.attributes.numFmtId), String(n.attributes.formatCode ?? ''));
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) {
        const id = Number(n.attributes.numFmtId ?? 0);
        const code = codes.get(id);
        const date = code !== undefined ? isDateFormat(code) : DATE_FORMAT_IDS.has(id);
        const shown = code ?? BUILT_IN_FORMATS[id];
        const plain = shown === undefined || /^(general|@)$/i.test(shown.trim());
        formats.push({ date, ...(date || plain ? {} : { code: shown }) });
      }
    });
    p.on('closetag', (n: SaxesTagPlain) => {
      if (local(n.name) === 'cellXfs') inCellXfs = false;
    });
  });
  return formats;
}

/** The shared strings, each flattened to its text (phonetic guides left out). */
async function sharedStrings(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>): Promise<string[]> {
  const strings: string[] = [];
  let current: string | undefined;
  let inT = false;
  let inPhonetic = 0;
  await readEntry(zip, entries.get('xl/sharedStrings.xml'), (p) => {
    p.on('opentag', (n: SaxesTagPlain) => {
      const name = local(n.name);
      if (name === 'si') current = '';
      else if (name === 'rPh') inPhonetic++;
      else if (name === 't' && inPhonetic === 0) inT = true;
    });
    p.on('text', (t: string) => {
      if (inT && current !== undefined) current += t;
    });
    p.on('closetag', (n: SaxesTagPlain) => {
      const name = local(n.name);
      if (name === 't') inT = false;
      else if (name === 'rPh') inPhonetic--;
      else if (name === 'si') {
        strings.push(current ?? '');
        current = undefined;
      }
    });
  });
  return strings;
}

/** "B3" → { col: 2, row: 3 }. */
export function cellAddress(ref: string): { col: number; row: number } | undefined {
  const m = /^\$?([A-Z]{1,3})\$?(\d+)$/.exec(ref.toUpperCase());
  if (!m) return undefined;
  let col = 0;
  for (const ch of m[1]) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { col, row: Number(m[2]) };
}

export function columnName(col: number): string {
  let s = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/**
 * A number as Excel's General format shows it in a wide cell: whole numbers with every digit,
 * others to 15 significant digits, never in exponent notation for the sizes a list holds.
 */
export function generalNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // Excel keeps 15 significant digits: more are shown as zeros.
  const kept = Number(n.toPrecision(15));
  if (Number.isInteger(kept) && Math.abs(kept) < 1e15) return String(kept);
  if (Number.isInteger(kept) && Math.abs(kept) < 1e21) {
    const [mantissa, exponent] = kept.toExponential(14).split('e');
    return `${kept < 0 ? '-' : ''}${mantissa.replace(/[-.]/g, '').padEnd(Number(exponent) + 1, '0')}`;
  }
  return String(kept);
}

/** A serial day number of Excel as a date: yyyy-mm-dd, with hh:mm (and :ss) when it has a time. */
export function excelDate(serial: number, date1904: boolean): string {
  // Day 0 is 1904-01-01 in the 1904 system. In the 1900 system, day 1 is 1900-01-01, and Excel
  // counts a 1900-02-29 that did not exist (day 60): from day 61 on, day 0 is 1899-12-30.
  const base = date1904 ? Date.UTC(1904, 0, 1) : serial < 60 ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  const d = new Date(base + Math.round(serial * 86400) * 1000);
  const pad = (v: number) => String(v).padStart(2, '0');
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const seconds = d.getUTCHours() * 3600 + d.getUTCMinutes() * 60 + d.getUTCSeconds();
  if (seconds === 0) return day;
  return `${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${d.getUTCSeconds() ? `:${pad(d.getUTCSeconds())}` : ''}`;
}

interface CellState {
  ref: string;
  type: string;
  style: number;
  value: string;
  hasValue: boolean;
  formula: boolean;
}

/** Streams one sheet's rows, cell texts by column. Merged ranges in it are refused at the end. */
async function* sheetRows(file: string, sheet: string, zip: yauzl.ZipFile, entry: yauzl.Entry, shared: string[], formats: CellFormat[], date1904: boolean, hiddenColumns: Set<number>): AsyncGenerator<XlsxRow> {
  const parser = new SaxesParser();
  const ready: XlsxRow[] = [];
  const merges: string[] = [];
  let row: XlsxRow | undefined;
  let nextRow = 1;
  let cell: CellState | undefined;
  let text: 'v' | 't' | undefined;
  let inInline = false;
  let inPhonetic = 0;
  let problem: LetterMergeError | undefined;

  const finishCell = (c: CellState) => {
    if (!row) return;
    const at = cellAddress(c.ref);
    const col = at ? at.col : row.cells.length + 1;
    let value = '';
    // Only a text result can be empty: an empty number is a formula never calculated (as
    // openpyxl and other writers that do not calculate leave it).
    if (c.formula && (!c.hasValue || (c.value === '' && c.type !== 'str' && c.type !== 's'))) {
      problem ??= spreadsheetError(file, `cell ${c.ref} holds a formula with no saved result`, 'Open the file in Excel (or LibreOffice), let it calculate, and save it again.', { sheet, line: row.row, field: c.ref });
    } else if (c.type === 's') value = shared[Number(c.value)] ?? '';
    else if (c.type === 'inlineStr' || c.type === 'str') value = c.value;
    else if (c.type === 'b') value = c.value.trim() === '1' ? 'TRUE' : 'FALSE';
    else if (c.type === 'e') {
      value = c.value.trim();
      (row.errors ??= []).push({ col, ref: c.ref || `${columnName(col)}${row.row}`, value });
    } else if (c.type === 'd') value = c.value.slice(0, 10);
    else if (c.hasValue && c.value.trim() !== '') {
      const n = Number(c.value);
      const format = formats[c.style];
      if (format?.date) value = excelDate(n, date1904);
      else value = formatted(n, format?.code);
    }
    while (row.cells.length < col - 1) row.cells.push('');
    row.cells[col - 1] = value;
  };

  parser.on('opentag', (n: SaxesTagPlain) => {
    const name = local(n.name);
    if (name === 'row') {
      const r = Number(n.attributes.r ?? nextRow);
      row = { row: Number.isFinite(r) && r > 0 ? r : nextRow, cells: [] };
      const hidden = String(n.attributes.hidden ?? '');
      if (hidden === '1' || hidden === 'true') row.hidden = true;
    } else if (name === 'c' && row) {
      cell = { ref: String(n.attributes.r ?? ''), type: String(n.attributes.t ?? 'n'), style: Number(n.attributes.s ?? 0), value: '', hasValue: false, formula: false };
    } else if (cell && name === 'f') cell.formula = true;
    else if (cell && name === 'v') {
      text = 'v';
      cell.hasValue = true;
    } else if (cell && name === 'is') {
      inInline = true;
      cell.hasValue = true;
    } else if (cell && name === 'rPh') inPhonetic++;
    else if (cell && inInline && name === 't' && inPhonetic === 0) text = 't';
    else if (name === 'mergeCell') merges.push(String(n.attributes.ref ?? ''));
    else if (name === 'col') {
      // <col min="12" max="12" hidden="1"/>: a range of columns, hidden.
      const hidden = String(n.attributes.hidden ?? '');
      const min = Number(n.attributes.min);
      const max = Number(n.attributes.max);
      // (A sheet hides the columns past its last as one range, to 16384: only those a list can have are kept.)
      if ((hidden === '1' || hidden === 'true') && Number.isInteger(min) && Number.isInteger(max) && min >= 1) for (let c = min; c <= Math.min(max, min + 1024); c++) hiddenColumns.add(c);
    }
  });
  parser.on('text', (t: string) => {
    if (cell && text) cell.value += t;
  });
  parser.on('closetag', (n: SaxesTagPlain) => {
    const name = local(n.name);
    if (name === 'v' || name === 't') text = undefined;
    else if (name === 'is') inInline = false;
    else if (name === 'rPh') inPhonetic--;
    else if (name === 'c' && cell) {
      finishCell(cell);
      cell = undefined;
    } else if (name === 'row' && row) {
      ready.push(row);
      nextRow = row.row + 1;
      row = undefined;
    }
  });

  for await (const _ of parseEntry(zip, entry, parser)) {
    if (problem) throw problem;
    while (ready.length) yield ready.shift() as XlsxRow;
  }
  if (problem) throw problem;
  if (merges.length) {
    throw spreadsheetError(file, `cells ${merges[0]} are merged${merges.length > 1 ? ` (and ${merges.length - 1} other range${merges.length > 2 ? 's' : ''})` : ''}`, 'Unmerge the cells (each recipient needs a value in each of its own cells) and save the file again.', { sheet });
  }
}

/**
 * Opens a workbook and the sheet to read: `sheet` by name, or the first. Throws a SPREADSHEET
 * error saying what is wrong: not a workbook, no such sheet, a damaged file.
 */
export async function openWorkbook(file: string, sheet?: string): Promise<XlsxSheet> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(file);
  } catch (err) {
    throw spreadsheetError(file, `the workbook cannot be read: ${err instanceof Error ? err.message : String(err)}`, 'Open it in Excel and save it again as .xlsx, or save the list as CSV UTF-8.');
  }
  try {
    const entries = await entriesOf(zip);
    if (!entries.has('xl/workbook.xml')) {
      zip.close();
      if (entries.has('mimetype') || entries.has('content.xml')) {
        throw spreadsheetError(file, 'the recipients file is an OpenDocument spreadsheet (.ods), not an .xlsx workbook', 'Save it as .xlsx or CSV UTF-8 and give that file.');
      }
      if (entries.has('word/document.xml')) throw spreadsheetError(file, 'the recipients file is a Word document, not a workbook', 'Give the list of recipients as .xlsx or CSV.');
      throw spreadsheetError(file, 'the recipients file is a ZIP archive, not an .xlsx workbook', 'Give the list of recipients as .xlsx or CSV.');
    }
    const rels = await relationships(zip, entries);
    const book = await workbook(zip, entries);
    const names = book.sheets.map((s) => s.name);
    // The first sheet the user sees: a hidden one (a lookup table kept out of sight) is not the list.
    const chosen =
      sheet === undefined
        ? (book.sheets.find((s) => !s.hidden) ?? book.sheets[0])
        : (book.sheets.find((s) => s.name === sheet) ?? book.sheets.find((s) => s.name.toLowerCase() === sheet.toLowerCase()));
    if (!chosen) {
      zip.close();
      if (sheet === undefined) throw spreadsheetError(file, 'the workbook has no sheet');
      throw spreadsheetError(file, `the workbook has no sheet named "${sheet}"`, `Its sheets are: ${names.map((n) => `"${n}"`).join(', ')}.`);
    }
    const part = rels.get(chosen.rId);
    const entry = part ? entries.get(part) : undefined;
    if (!entry) {
      zip.close();
      throw spreadsheetError(file, `the sheet "${chosen.name}" is missing from the workbook`, 'Open it in Excel and save it again.');
    }
    const formats = await styles(zip, entries);
    const shared = await sharedStrings(zip, entries);
    const hiddenColumns = new Set<number>();
    async function* rows(): AsyncGenerator<XlsxRow> {
      try {
        yield* sheetRows(file, chosen!.name, zip, entry!, shared, formats, book.date1904, hiddenColumns);
      } catch (err) {
        if (err instanceof LetterMergeError) throw err;
        throw spreadsheetError(file, `the sheet "${chosen!.name}" cannot be read: ${err instanceof Error ? err.message : String(err)}`, 'Open it in Excel and save it again, or save the list as CSV UTF-8.', { sheet: chosen!.name });
      } finally {
        zip.close();
      }
    }
    const unread = sheet === undefined ? book.sheets.filter((s) => s !== chosen && !s.hidden).map((s) => s.name) : [];
    return { name: chosen.name, names, unread, rows: rows(), hiddenColumns };
  } catch (err) {
    zip.close();
    if (err instanceof LetterMergeError) throw err;
    throw spreadsheetError(file, `the workbook cannot be read: ${err instanceof Error ? err.message : String(err)}`, 'Open it in Excel and save it again as .xlsx, or save the list as CSV UTF-8.');
  }
}
