import { createReadStream, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { open, readFile } from 'node:fs/promises';
import { FORMAT_NAMES, checkRegularFile } from '../files';
import { addressProblem, parseMailboxList } from './address';
import type * as Xlsx from './xlsx';
import type { Mailbox } from './address';
import { unguardFormula } from './formula';
import { idProblem } from './ids';
import { MAX_STACKED_MARKS, bidiOverride, closedBidiScopes, codePointName, showsNothing, stackedMarks, strayMark } from '../text/unicode';
import { Readable } from 'node:stream';
import type * as Iconv from 'iconv-lite';
import { LEGACY_LABELS, decodeText, detectEncoding } from '../text/encoding';
import type { Encoding, LegacyEncoding } from '../text/encoding';
import { parse, CsvError } from 'csv-parse';
import { LetterMergeError } from '../errors';
import type { ErrorCode } from '../errors';
import type { Problem } from '../problems';
import { GROUPS, supportedLanguages } from '../i18n/languages';
import type { Gender, Group } from '../i18n/languages';
import { firstFew, shortened, wordList } from '../text/suggest';
import { CORE_COLUMNS, ValueReader, looselyNamed, readColumns } from './mapping';
import { fieldPartOf, fold } from './words';
import type { ColumnRead, ListMapping, ValueRead } from './mapping';

export { CORE_COLUMNS } from './mapping';
export type { Encoding, LegacyEncoding } from '../text/encoding';

export interface Recipient {
  id: string;
  /** One or more ISO 639-1 codes; the recipient gets one letter per language. */
  languages: string[];
  /**
   * The code each word of the language cell was read as, in the cell's order, repeats kept
   * ("es, Español, en" → es, es, en; `languages` is es, en): what `validate` reports a word as.
   * Set on every recipient read from a file; optional for recipients a program makes itself.
   */
  languageReads?: string[];
  /** The words of the language cell that `languageReads` were read from ("Chinese (Simplified)", "en"). */
  languageWords?: string[];
  /** Its row is hidden in the workbook (filtered out in Excel, or hidden by hand): read all the same. */
  hidden?: boolean;
  group: Group;
  gender: Gender;
  title: string;
  first_name: string;
  last_name: string;
  position: string;
  organization: string;
  /** Lines of the postal address, without the country. */
  address: string[];
  country: string;
  email: string;
  /** The optional cc and bcc columns: more addresses to copy the e-mail to, shown (cc) or not (bcc). */
  cc: Mailbox[];
  bcc: Mailbox[];
  /** Every cell of the row, core and extra, as typed (trimmed). */
  fields: Record<string, string>;
  /** 1-based line in the file where the record starts. */
  line: number;
}

/** A row that cannot be made into letters: the problem, and its cells as read (for failed.csv). */
export interface RowProblem {
  problem: Problem;
  fields: Record<string, string>;
  /** A group, language or gender word lettermerge does not know, and the nearest codes (for validate --suggest). */
  unknown?: { field: 'group' | 'language' | 'gender'; word: string; nearest: string[] };
  /** The row's other problems, each of another value, found with the first (validate tells them all). */
  also?: { problem: Problem; unknown?: RowProblem['unknown'] }[];
}

/** Every problem of a row that cannot be made: its first, then the others found with it. */
export function problemsOf(row: RowProblem): Problem[] {
  return row.also?.length ? [row.problem, ...row.also.map((a) => a.problem)] : [row.problem];
}

export interface RecipientsFile {
  file: string;
  columns: string[];
  delimiter: string;
  recipients: Recipient[];
  problems: Problem[];
}

export { isEmailAddress } from './address';

/** Picks the delimiter that the header line uses most, outside quotes. */
function detectDelimiter(head: string): string {
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  let best = ',';
  for (const d of [';', '\t', '|']) if (counts[d] > counts[best]) best = d;
  return best;
}

/**
 * A folder given as the recipients file (the campaign's folder, where recipients.csv is): the
 * lists it holds, named in the hint. Any other problem is `err` as it was.
 */
function listsInFolder(file: string, err: unknown): unknown {
  if (!(err instanceof LetterMergeError)) return err;
  let lists: string[];
  try {
    if (!statSync(file).isDirectory()) return err;
    lists = readdirSync(file).filter((n) => /\.(csv|tsv|txt|xlsx)$/i.test(n) && !n.startsWith('.')).sort();
  } catch {
    return err;
  }
  if (lists.length === 0) return err;
  const shown = firstFew(lists.map((n) => `"${n}"`), 3);
  return new LetterMergeError(err.code, err.message, { kind: err.kind, location: err.location, hint: `It holds ${shown}: give the list itself, e.g. ${path.join(file, lists[0])}.` });
}

async function readHead(file: string, bytes = 64 * 1024): Promise<Buffer> {
  // Only a regular file: the file is read twice (checked, then made into letters), which a pipe
  // cannot be, and a folder or a device is no list of recipients.
  try {
    checkRegularFile(file, {
      what: 'the recipients file',
      hint: 'Give the path of the list, a CSV file or an Excel workbook (.xlsx); it is relative to the current folder. A pipe cannot be used: the file is read twice.',
    });
  } catch (err) {
    throw listsInFolder(file, err);
  }
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    const denied = err.code === 'EACCES' || err.code === 'EPERM';
    throw new LetterMergeError(denied ? 'FILE' : 'FILE_NOT_FOUND', `the recipients file cannot be read (${denied ? 'permission denied' : (err.code ?? err.message)})`, {
      location: { file },
      hint: denied ? 'Ask for read permission on the file, or give a copy you may read.' : 'Check the path; it is relative to the current folder.',
    });
  });
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Characters a name, an organisation or an address is written in: Latin (but for phonetic letters), Greek, Cyrillic, Arabic, Chinese, and their punctuation. */
const WRITTEN = /[\u00a0-\u024f\u0370-\u03ff\u0400-\u04ff\u0600-\u06ff\u1e00-\u1eff\u2000-\u206f\u20ac\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/;

/**
 * The UTF-8 reading of a cell of a list read in a legacy code page, when the cell was saved as
 * UTF-8: a list put together from two sources ("FranÃ§oise" in a Windows-1252 file is "Françoise"
 * saved as UTF-8, "â€“" an en dash). Undefined when it is not: its bytes in the code page are not
 * UTF-8 of more than ASCII, or read so they are characters no name is written in ("CAFÉ–BAR" is
 * UTF-8 too, of "CAFɖBAR").
 */
function utf8Misread(value: string, encoding: LegacyEncoding): string | undefined {
  if (/^[\x00-\x7f]*$/.test(value)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const iconv = require('iconv-lite') as typeof Iconv;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(iconv.encode(value, encoding));
  } catch {
    return undefined;
  }
  if (text === value) return undefined;
  for (const ch of text) if ((ch.codePointAt(0) as number) > 0x7f && !WRITTEN.test(ch)) return undefined;
  return text;
}

/**
 * A row of a list read in a legacy code page whose cell was saved as UTF-8 (see utf8Misread): the
 * row fails, naming the cell and what it says. A cell with bytes the code page has no character
 * for fails already; it is said so, rather than that they are not UTF-8.
 */
function misreadRow(item: RowResult, encoding: Encoding, file: string, sheet?: string): RowProblem | undefined {
  if (encoding === 'utf-8' || encoding === 'utf-16le' || encoding === 'utf-16be') return undefined;
  if (!('recipient' in item)) {
    const field = item.problem.field;
    if (item.problem.code !== 'BAD_TEXT' || !field || !item.fields[field]?.includes('\uFFFD')) return undefined;
    const message = `${field} holds bytes that ${LEGACY_LABELS[encoding]}, in which the file was read, has no character for (shown as "\uFFFD"): the cell was saved in another encoding; re-export the list whole as "CSV UTF-8"`;
    return { ...item, problem: { ...item.problem, message } };
  }
  const r = item.recipient;
  for (const [field, value] of Object.entries(r.fields)) {
    const meant = utf8Misread(value, encoding);
    if (meant === undefined) continue;
    const message = `${field} holds "${value}", which is "${meant}" saved as UTF-8, in a file read as ${LEGACY_LABELS[encoding]}: the list mixes two encodings; re-export it whole as "CSV UTF-8", or type the cell again`;
    return { problem: { scope: 'row', code: 'BAD_TEXT', file, ...(sheet !== undefined ? { sheet } : {}), line: r.line, id: r.id, field, message }, fields: r.fields };
  }
  return undefined;
}

/** The note a run gives for a list that is not UTF-8. */
export function encodingNotice(encoding: Exclude<Encoding, 'utf-8'>): string {
  if (encoding === 'utf-16le') return 'the file is UTF-16 (little-endian); it was decoded as such';
  if (encoding === 'utf-16be') return 'the file is UTF-16 (big-endian); it was decoded as such';
  return `the file is not UTF-8; it was read as ${LEGACY_LABELS[encoding]}. Check the names' letters, or re-export it as "CSV UTF-8"`;
}

/** A field longer than this cannot be laid out in a letter's addressee block or subject. */
export const MAX_FIELD_LENGTH: Record<string, number> = {
  title: 100,
  first_name: 200,
  last_name: 200,
  position: 300,
  organization: 300,
  address: 1000,
  country: 100,
  email: 254,
  id: 128,
};
const MAX_EXTRA_FIELD_LENGTH = 5000;
/**
 * A CSV row longer than this is refused as it is read, before it is held whole: every field of a
 * letter together, with many extra columns, is far shorter. (A cell of half a gigabyte stopped
 * the CSV reader itself: a string that long cannot be made.)
 */
const MAX_ROW_CHARACTERS = 1_000_000;
/** An addressee block of more lines than this does not fit beside the reference block of a letter. */
export const MAX_ADDRESS_LINES = 15;

export type RowResult = { recipient: Recipient } | RowProblem;

/** One record of a recipients file as read: its cells, and the line (or row) where it starts. */
export interface RawRecord {
  cells: string[];
  line: number;
  /** A workbook's row hidden in Excel (filtered out, or hidden by hand). */
  hidden?: boolean;
  /** A workbook's row with a value right of the header's last column: that column's name (the row's cells run to it). */
  beyond?: string;
  /** A workbook's cells that hold an error (#N/A…) rather than a value: their index in `cells`, address and error. */
  errors?: { index: number; ref: string; value: string }[];
}

/** A recipients file opened for reading: what it is, and its records in order (the header first). */
export interface RecordSource {
  delimiter: string;
  encoding: Encoding;
  /** The sheet read, for a workbook, and all its sheets. */
  sheet?: string;
  sheets?: string[];
  /** The workbook's other sheets shown as tabs, not read (none when --sheet named the one to read). */
  unread?: string[];
  /** A workbook's columns, by index from 0: whether Excel hides one (known once the first record is read), and its letter ("L"). */
  columnsShown?: { hidden(index: number): boolean; letter(index: number): string };
  records: AsyncIterable<RawRecord>;
}

/**
 * Files people give by mistake for a list of recipients, known by how they begin: their first
 * bytes, or for text that is not CSV, its first characters. A web application's "Excel" export is
 * often an HTML page named .xls, and Excel 2003 saved XML spreadsheets; read as CSV, their first
 * line would be taken for the header, and every column reported missing.
 */
const SAVE_AS = 'Open it in Excel or LibreOffice and save it as .xlsx or CSV UTF-8, then give that file.';
const NOT_CSV: [sign: Buffer | RegExp, what: string, hint: string, why?: string][] = [
  [Buffer.from('%PDF-'), FORMAT_NAMES.pdf, 'Give the CSV of the recipients.'],
  [Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), FORMAT_NAMES.office, 'Save it as .xlsx or CSV UTF-8 and give that file.'],
  [Buffer.from([0x89, 0x50, 0x4e, 0x47]), FORMAT_NAMES.png, 'Give the CSV of the recipients.'],
  [Buffer.from([0xff, 0xd8, 0xff]), FORMAT_NAMES.jpeg, 'Give the CSV of the recipients.'],
  [/^\{\\rtf/, FORMAT_NAMES.rtf, 'Save it as CSV UTF-8 (or .xlsx) and give that file.'],
  [/^(<!doctype html|<html)/i, 'an HTML page', SAVE_AS, 'web applications often give their "Excel" exports as HTML pages named .xls'],
  [/^<\?xml/i, 'an XML document', SAVE_AS, 'an Excel 2003 XML spreadsheet, perhaps'],
  // An output folder's own files, given by mistake (they were read as CSV, and failed as a quote misplaced).
  [/^\{"id":.*"status":/, "lettermerge's manifest.jsonl", 'Give the CSV of the recipients: the manifest records the letters an output folder holds.', 'the record of an output folder'],
  [/^(?:[\w-]+:[^\n]*\n(?:[ \t][^\n]*\n)*){2,}/, 'an e-mail message', 'Give the CSV of the recipients.', 'its first lines are mail headers'],
  [/^\s*[[{]\s*["{[\]}]/, 'JSON', SAVE_AS],
];

/**
 * Refuses a file that is plainly not CSV text: a known format (see NOT_CSV), or NUL bytes in what
 * is not UTF-16. `text` is the head decoded.
 */
function checkText(file: string, head: Buffer, encoding: Encoding, text: string): void {
  const start = text.replace(/^\uFEFF/, '').trimStart();
  for (const [sign, what, hint, why] of NOT_CSV) {
    if (sign instanceof RegExp ? sign.test(start) : head.subarray(0, sign.length).equals(sign)) {
      throw new LetterMergeError('NOT_A_FILE', `the recipients file is ${what}, not a CSV file${why ? ` (${why})` : ''}`, { location: { file }, hint });
    }
  }
  // A stray NUL in a cell fails its row; many of them mean the file is not text at all.
  const nuls = head.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
  if (!encoding.startsWith('utf-16') && nuls > 8 && nuls > head.length / 100) {
    throw new LetterMergeError('NOT_A_FILE', 'the recipients file holds binary data (NUL bytes), not CSV text', {
      location: { file },
      hint: 'Save the list as CSV UTF-8 and give that file.',
    });
  }
}

/** A CSV file: encoding and delimiter detected, records streamed by csv-parse with their physical line. */
async function csvSource(file: string): Promise<RecordSource> {
  const head = await readHead(file);
  const encoding = detectEncoding(head);
  const headText = encoding === 'utf-8' ? head.toString('utf8') : decodeText(head, encoding);
  checkText(file, head, encoding, headText);
  // "sep=;" on a line of its own before the columns: Excel writes it, and reads the file with that
  // delimiter. The line is not the list's.
  const sep = /^\uFEFF?"?sep=([^\r\n"])"?[ \t]*\r?\n/i.exec(headText);
  const delimiter = sep ? sep[1] : detectDelimiter(headText.replace(/^\uFEFF/, ''));
  const source = encoding === 'utf-8' ? createReadStream(file) : Readable.from([decodeText(await readFile(file), encoding)]);
  // csv-parse counts a CR LF inside a quoted cell as two lines: take the extra ones back out, or
  // every line number after such a cell would drift.
  let quotedCrlf = 0;
  // The line the last row read ended on: a row that cannot be read begins after it. Kept as the
  // parser reads (rows it has read may not have reached the loop below when it fails).
  let ended = 0;
  const toRecord = (record: string[], context: { lines: number }): RawRecord => {
    quotedCrlf += countCrlf(record);
    ended = context.lines - quotedCrlf;
    // A cell failed.csv guarded from spreadsheets, as it was (see formula.ts).
    return { cells: record.map(unguardFormula), line: ended - countNewlines(record) };
  };
  const parser = source.pipe(
    // (csv-parse's types have on_record return a row of cells; it passes on whatever it returns.)
    parse({ bom: true, delimiter, ...(sep ? { from_line: 2 } : {}), relax_column_count: true, skip_empty_lines: true, max_record_size: MAX_ROW_CHARACTERS, on_record: toRecord as unknown as (r: string[]) => string[] }),
  );
  async function* records(): AsyncGenerator<RawRecord> {
    try {
      for await (const record of parser as AsyncIterable<RawRecord>) {
        // A row of empty cells (",,,,,,": Excel writes them for rows below the list that were
        // formatted or cleared) is skipped, as an empty line is, and as a workbook's empty row is.
        if (record.cells.every((c) => cellValue(c) === '')) continue;
        yield record;
      }
    } catch (err) {
      if (err instanceof CsvError) {
        const e = err as CsvError & { lines?: number };
        // csv-parse names the line it stopped on, which for a quote never closed is the file's last.
        const begins = { file, line: ended + 1 };
        if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
          throw new LetterMergeError('CSV_SYNTAX', 'a quote opened in the row that begins here is never closed: the rest of the file was read as one cell', {
            location: begins,
            hint: 'Close the quote, or double a quote that is part of a cell\'s text ("" for ").',
          });
        }
        if (e.code === 'CSV_MAX_RECORD_SIZE') {
          throw new LetterMergeError('CSV_SYNTAX', `the row that begins here reaches ${MAX_ROW_CHARACTERS.toLocaleString('en')} characters by line ${e.lines}, where a letter's row holds a few thousand`, {
            location: begins,
            hint: 'Look in it for a quote that is opened but not closed (it takes in the lines after it), or for a cell pasted with a whole document.',
          });
        }
        // csv-parse quotes the whole offending value; a line of it is enough to find the place.
        const message = e.message.replace(/value is (".*)$/s, (_m, v: string) => `value is ${v.length > 60 ? `${v.slice(0, 60)}…"` : v}`);
        // A quote left open pairs with the next one in the file, often rows below: csv-parse
        // stops there, and the place to look is where the row began.
        throw new LetterMergeError('CSV_SYNTAX', `the CSV cannot be read from the row that begins here: ${message}`, {
          location: begins,
          hint: 'Look in that row for a quote that is opened but not closed.',
        });
      }
      throw err;
    }
  }
  return { delimiter, encoding, records: records() };
}

/**
 * A workbook's sheet as records: the cells of each row that holds any, numbered by the sheet's
 * rows. Columns past the header's last are dropped when empty; a value there is a problem of the
 * file (it would have no name).
 */
async function workbookSource(file: string, sheet: string | undefined): Promise<RecordSource> {
  // Loaded here, when a workbook is read: its ZIP, XML and number-format code cost a CSV run 50 ms of start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { columnName, openWorkbook } = require('./xlsx') as typeof Xlsx;
  const book = await openWorkbook(file, sheet);
  async function* records(): AsyncGenerator<RawRecord> {
    let width: number | undefined;
    for await (const row of book.rows) {
      const last = row.cells.reduce((n, c, i) => (c.trim() !== '' ? i + 1 : n), 0);
      if (last === 0) continue; // an empty row: skipped, as empty lines of a CSV are
      if (width === undefined) width = last;
      // A problem of the file, told by the reader of its rows (when the first row is a title, not
      // the header, the rows below are looked at whole).
      if (last > width) {
        yield { cells: row.cells.slice(0, last), line: row.row, beyond: columnName(last) };
        continue;
      }
      const cells = row.cells.slice(0, width);
      while (cells.length < width) cells.push('');
      const errors = row.errors?.filter((e) => e.col <= width!).map((e) => ({ index: e.col - 1, ref: e.ref, value: e.value }));
      yield { cells, line: row.row, ...(row.hidden ? { hidden: true } : {}), ...(errors?.length ? { errors } : {}) };
    }
  }
  const columnsShown = { hidden: (index: number) => book.hiddenColumns.has(index + 1), letter: (index: number) => columnName(index + 1) };
  return { delimiter: ',', encoding: 'utf-8', sheet: book.name, sheets: book.names, unread: book.unread, columnsShown, records: records() };
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** The records of a recipients file: an .xlsx workbook (known by its bytes, not its name) or a CSV. */
async function recordSource(file: string, sheet: string | undefined): Promise<RecordSource> {
  const head = await readHead(file, 8);
  if (head.subarray(0, 4).equals(ZIP_MAGIC)) return workbookSource(file, sheet);
  if (sheet !== undefined) {
    throw new LetterMergeError('USAGE', `--sheet names a sheet of a workbook, and ${file} is not an .xlsx workbook`, { kind: 'usage' });
  }
  return csvSource(file);
}

/**
 * The header of a recipients file: `columns` are the names the templates see (a field's name for
 * a column read as one, the header for an extra column), in the file's order; `reads` says how
 * each header was read.
 */
export interface ListHeader {
  columns: string[];
  headers: string[];
  reads: ColumnRead[];
  delimiter: string;
  encoding: Encoding;
  sheet?: string;
  /** The workbook's other sheets shown as tabs, not read (see RecordSource.unread). */
  unread?: string[];
  /** The workbook's hidden columns read as a field: each one's letter, header and field. */
  hiddenFields?: { column: string; header: string; field: string }[];
  /** The workbook's hidden columns read as extra columns (a template may use them by their header): each one's letter and header. */
  hiddenExtras?: { column: string; header: string }[];
}

/** A file problem is a record's (one that cannot be read), or, `whole`, the list's as a whole, found once its rows are read. */
export type StreamItem = { header: ListHeader } | RowResult | { fileProblem: LetterMergeError; whole?: true };

/** Duplicate ids, compared ignoring case: two that differ only in case are one file on Windows and macOS. */
class IdRegister {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly file: string,
    private readonly sheet?: string,
  ) {}
  /** The problem of a second use of `id`, or undefined (and the id is remembered). */
  check(id: string, line: number): LetterMergeError | undefined {
    if (!id) return undefined;
    const key = id.toLowerCase();
    const first = this.seen.get(key);
    if (first === undefined) {
      this.seen.set(key, line);
      return undefined;
    }
    return new LetterMergeError('DUPLICATE_ID', `id "${id}" is used twice (first on ${this.sheet === undefined ? 'line' : 'row'} ${first}; ids are compared ignoring case, as file names are)`, {
      location: { file: this.file, line, field: 'id', ...(this.sheet !== undefined ? { sheet: this.sheet } : {}) },
      hint: 'Every recipient needs its own id: outputs are named after it.',
    });
  }
}

/**
 * What Excel, LibreOffice and Google Sheets show in a cell whose formula failed, and so what a CSV
 * saved from one holds there: in English, and as a Spanish, French, Russian, German, Italian,
 * Portuguese or Dutch Excel writes it (a workbook stores the English code whatever its language).
 */
const SPREADSHEET_ERROR = new RegExp(
  `^#(?:${[
    // English, and the codes every language writes as English does
    'N/A|REF!|DIV/0!|VALUE!|NAME\\?|NUM!|NULL!|SPILL!|CALC!|FIELD!|BLOCKED!|BUSY!|CONNECT!|UNKNOWN!|ERROR!',
    'N/D|¡REF!|¡DIV/0!|¡VALOR!|¿NOMBRE\\?|¡NUM!|¡NULO!', // Spanish (#N/D also Italian, Portuguese)
    'VALEUR!|NOM\\?|NOMBRE!|NUL!', // French
    'Н/Д|ССЫЛКА!|ДЕЛ/0!|ЗНАЧ!|ИМЯ\\?|ЧИСЛО!|ПУСТО!', // Russian
    'NV|WERT!|BEZUG!|ZAHL!', // German
    'VALORE!|RIF!|NOME\\?|NULLO!', // Italian (#NOME? also Portuguese)
    'VALOR!|NÚM!|NULO!', // Portuguese
    'N/B|WAARDE!|VERW!|NAAM\\?|GETAL!|LEEG!|DEEL/0!', // Dutch
  ].join('|')})$`,
);

/** A cell's value: without the spaces around it, and empty when it shows nothing (see showsNothing). */
function cellValue(cell: string): string {
  const value = cell.trim();
  return showsNothing(value) ? '' : value;
}

/** One record after the header: a recipient, a problem of its row, or a problem of the whole file. */
function readRecord(file: string, columns: string[], rec: RawRecord, ids: IdRegister, values: ValueReader, sheet?: string): RowResult | LetterMergeError {
  if (rec.cells.length !== columns.length) {
    return new LetterMergeError('RAGGED_ROW', `this row has ${rec.cells.length} cells but the header has ${columns.length}`, {
      location: { file, line: rec.line },
      hint: 'Check for a stray delimiter or a missing quote on that line.',
    });
  }
  const fields: Record<string, string> = Object.create(null);
  columns.forEach((c, i) => {
    // A column without a name (an empty header cell in a workbook) holds nothing: the reader checked.
    // A cell of spaces or invisible characters alone looks empty, and is: a zero-width space
    // pasted into an organisation's cell would otherwise make "addressed to  as part of".
    if (c) fields[c] = cellValue(rec.cells[i] ?? '');
  });
  // A cell showing #N/A or #REF! (a lookup that found nothing, a deleted column) would be printed
  // in the letter as it is: "Dear #N/A". A workbook marks such cells; a CSV saved from one has
  // the error's text.
  const error = rec.errors?.find((e) => columns[e.index]);
  const field = error ? columns[error.index] : columns.find((c, i) => c && SPREADSHEET_ERROR.test((rec.cells[i] ?? '').trim()));
  if (field) {
    const where = error ? `cell ${error.ref} shows the error ${error.value}` : `the cell holds ${fields[field]}, a spreadsheet's error`;
    return {
      problem: { scope: 'row', code: 'BAD_VALUE', file, ...(sheet !== undefined ? { sheet } : {}), line: rec.line, id: fields.id ?? '', field, message: `${where}, not a value: a formula there failed (a lookup that found nothing, a column deleted); correct it, or type the value, in the spreadsheet` },
      fields,
    };
  }
  const read = ids.check(fields.id, rec.line) ?? toRecipient(fields, rec.line, file, values, sheet);
  if (rec.hidden && 'recipient' in read) read.recipient.hidden = true;
  return read;
}

/**
 * Streams a recipients file, one checked row at a time, holding nothing but the ids seen (to
 * catch duplicates). Problems of the file as a whole throw a LetterMergeError (or, with
 * `collect`, are yielded so that every one can be listed); a problem of one row is yielded as that
 * row's result. The first value is the header.
 *
 * `eachRow`: a row whose address or last name lacks a part that another column holds (see
 * FieldParts) is a problem of that row, given with it, rather than of the list, given at its end:
 * for one row read alone (preview --row), whose reader stops at it.
 */
export async function* streamRecipients(file: string, options: { collect?: boolean; sheet?: string; mapping?: ListMapping; eachRow?: boolean } = {}): AsyncGenerator<StreamItem> {
  const source = await recordSource(file, options.sheet);
  const ids = new IdRegister(file, source.sheet);
  const values = new ValueReader(options.mapping);
  let columns: string[] | undefined;
  let header: HeaderNames | undefined;
  let parts: FieldParts | undefined;
  let headerLine = 1;
  let rows = 0;
  // One iterator, so that the rows after the first can be looked at when it is not the header.
  const records = source.records[Symbol.asyncIterator]();
  for await (const rec of { [Symbol.asyncIterator]: () => records }) {
    if (!columns) {
      const headers = rec.cells.map((c) => c.replace(/^\uFEFF/, '').trim());
      header = new HeaderNames(headers);
      let reads: ColumnRead[];
      try {
        reads = checkColumns(file, headers, options.mapping ?? {}, rec.line, source.sheet, source.sheets);
        headerLine = rec.line;
      } catch (err) {
        throw await headerBelow(err, rec, records, source.sheet, file, options.mapping ?? {});
      }
      columns = reads.map((r) => r.field ?? r.header);
      parts = new FieldParts(reads);
      const hiddenFields = source.columnsShown ? hiddenFieldColumns(file, source.sheet, reads, source.columnsShown, rec.line) : [];
      const shown = source.columnsShown;
      const hiddenExtras = shown ? reads.flatMap((r, i) => (r.field === undefined && r.header && shown.hidden(i) ? [{ column: shown.letter(i), header: r.header }] : [])) : [];
      yield { header: { columns, headers, reads, delimiter: source.delimiter, encoding: source.encoding, ...(source.sheet !== undefined ? { sheet: source.sheet } : {}), ...(source.unread?.length ? { unread: source.unread } : {}), ...(hiddenFields.length ? { hiddenFields } : {}), ...(hiddenExtras.length ? { hiddenExtras } : {}) } };
      continue;
    }
    rows++;
    if (rec.beyond !== undefined) {
      throw new LetterMergeError('RAGGED_ROW', `this row has a value in column ${rec.beyond}, which has no header`, {
        location: { file, sheet: source.sheet, line: rec.line },
        hint: 'Give the column a name in the header row, or clear the cell.',
      });
    }
    const again = header!.named(rec.cells);
    if (again === 'reordered') {
      // A second list whose columns are in another order: its rows would be read under the first
      // list's columns, a first name as a last name, a position as an organisation, with nothing
      // to show it.
      const err = new LetterMergeError('HEADER_REORDERED', 'this row names the columns again, in another order: the rows after it would be read under the wrong columns', {
        location: { file, sheet: source.sheet, line: rec.line },
        hint: 'Were two lists put one after the other? Put the second list\'s columns in the order of the first (or make it a file of its own), and delete this row.',
      });
      if (!options.collect) throw err;
      yield { fileProblem: err };
      continue;
    }
    if (again === 'repeated') {
      // Two exports put one after the other, each with its header: read as a recipient, the
      // second header would fail as one with an unknown language "language".
      const fields = Object.fromEntries(columns.map((c, i) => [c, rec.cells[i] ?? '']));
      const where = { file, ...(source.sheet !== undefined ? { sheet: source.sheet } : {}), line: rec.line };
      yield { problem: { scope: 'row', code: 'ROW', ...where, id: '', field: '', message: 'this row repeats the header row (were two lists put one after the other?): it is not a recipient; delete it' }, fields };
      continue;
    }
    const item = readRecord(file, columns, rec, ids, values, source.sheet);
    if (!(item instanceof LetterMergeError) && 'recipient' in item) {
      const missed = parts!.see(rec.cells, item.recipient, rec.line);
      if (missed && options.eachRow) {
        yield parts!.rowProblem(missed, item.recipient, { file, line: rec.line, ...(source.sheet !== undefined ? { sheet: source.sheet } : {}) });
        continue;
      }
    }
    if (!(item instanceof LetterMergeError)) yield misreadRow(item, source.encoding, file, source.sheet) ?? item;
    else if (options.collect) yield { fileProblem: item };
    else throw item;
  }
  const sheet = source.sheet !== undefined ? { sheet: source.sheet } : {};
  // A workbook's other sheets, where the list may be (a first sheet left empty, or of instructions).
  const others = (source.sheets ?? []).filter((n) => n !== source.sheet);
  const hint = others.length ? sheetsHint(others, 'other sheets') : undefined;
  if (!columns) throw new LetterMergeError('EMPTY_FILE', source.sheet !== undefined ? 'the sheet is empty' : 'the file is empty', { location: { file, ...sheet }, hint });
  if (rows === 0) throw new LetterMergeError('NO_RECIPIENTS', `the ${source.sheet !== undefined ? 'sheet' : 'file'} has a header but no recipients`, { location: { file, line: headerLine + 1, ...sheet }, hint });
  for (const split of parts?.problems(file, headerLine, source.sheet) ?? []) {
    if (!options.collect) throw split;
    yield { fileProblem: split, whole: true };
  }
}

/**
 * Columns of a list that hold parts of a field a letter prints from one column: the postal address
 * (a city, a postal code, a province, an address's further lines) and the last name (a second
 * surname): see fieldPartOf. A contacts export that gives the parts columns of their own made
 * letters with a street and no city, and to "María José Echeverría" without "Salinas", and
 * `validate` found no problems. Each row's parts are looked for in the field (an address's in its
 * country too); parts missing from any row are a problem of the list, one for each field, said
 * once it is read, before anything is written.
 */
class FieldParts {
  private readonly parts: { index: number; header: string; field: 'address' | 'last_name' }[];
  private readonly missed = new Map<'address' | 'last_name', { rows: number; first: { line: number; header: string; value: string }; headers: Set<string> }>();

  constructor(reads: ColumnRead[]) {
    this.parts = reads.flatMap((r, index) => {
      const field = !r.field && r.header ? fieldPartOf(r.header) : undefined;
      return field ? [{ index, header: r.header, field }] : [];
    });
  }

  /** Notes the parts this row's fields lack; returns the first, or undefined when they hold them all. */
  see(cells: string[], r: Recipient, line: number): MissedPart | undefined {
    if (this.parts.length === 0) return undefined;
    const held = { address: fold([...r.address, r.country].join(' ')), last_name: fold(r.last_name) };
    const counted = new Set<string>();
    let missed: MissedPart | undefined;
    for (const p of this.parts) {
      const value = (cells[p.index] ?? '').trim();
      if (held[p.field].includes(fold(value))) continue;
      missed ??= { field: p.field, header: p.header, value };
      let m = this.missed.get(p.field);
      if (!m) this.missed.set(p.field, (m = { rows: 0, first: { line, header: p.header, value }, headers: new Set() }));
      m.headers.add(p.header);
      if (!counted.has(p.field)) m.rows++;
      counted.add(p.field);
    }
    return missed;
  }

  /** A row's own problem: its letter would lack the part `missed` (see `eachRow` of streamRecipients). */
  rowProblem(missed: MissedPart, r: Recipient, where: { file: string; line: number; sheet?: string }): RowProblem {
    const what = missed.field === 'address' ? 'the postal address' : 'the last name';
    return {
      problem: {
        scope: 'row',
        code: 'SPLIT_COLUMNS',
        ...where,
        id: r.id,
        field: missed.header,
        message: `column "${missed.header}" holds a part of ${what} that the letter would not print: the ${missed.field} column does not hold "${shortened(missed.value, 40)}"`,
        hint: splitHint(missed.field),
      },
      fields: r.fields,
    };
  }

  problems(file: string, line: number, sheet?: string): LetterMergeError[] {
    return [...this.missed].map(([field, m]) => {
      const names = this.parts.filter((p) => m.headers.has(p.header)).map((p) => `"${p.header}"`);
      const one = names.length === 1;
      const rows = m.rows === 1 ? `1 row (row ${m.first.line}` : `${m.rows} rows (the first, row ${m.first.line}`;
      const what = field === 'address' ? 'the postal address' : 'the last name';
      return new LetterMergeError(
        'SPLIT_COLUMNS',
        `${one ? 'column' : 'columns'} ${wordList(names, 'and')} ${one ? 'holds a part' : 'hold parts'} of ${what} that no letter prints: the ${field} column does not hold ${one ? 'it' : 'them'} in ${rows}, ${m.first.header} "${shortened(m.first.value, 40)}")`,
        {
          location: { file, line, ...(sheet !== undefined ? { sheet } : {}) },
          hint: splitHint(field),
        },
      );
    });
  }
}

/** A part of a field, in a column of its own, that a row's field lacks (see FieldParts). */
interface MissedPart {
  field: 'address' | 'last_name';
  header: string;
  value: string;
}

/** How to put the parts of a field split over columns into the one column a letter prints. */
function splitHint(field: 'address' | 'last_name'): string {
  return field === 'address'
    ? 'A letter prints the address column alone, line by line, as its addressee block. Put the parts into it, in the order the post of each country expects (in Excel: a new column with a formula such as =J2 & CHAR(10) & M2 & " " & N2, shown with Wrap Text, copied as values over the address), or rename a column that is not part of the recipient\'s address.'
    : 'A letter prints last_name as the recipient\'s surname, whole: a Spanish one with both surnames ("Echeverría Salinas"). Put the second into it (in Excel: a new column with a formula such as =G2 & " " & H2, copied as values over the last name), or rename a column that is not part of the name.';
}

/**
 * A list whose column names are not in its first row (a title above them, and a blank row: as
 * lists made for people to read often are) is reported where its names are, when they are among
 * the next rows; otherwise `err`, the missing columns, as it is.
 */
async function headerBelow(err: unknown, first: RawRecord, rest: AsyncIterator<RawRecord>, sheet: string | undefined, file: string, mapping: ListMapping): Promise<unknown> {
  if (!(err instanceof LetterMergeError) || err.code !== 'MISSING_COLUMN') return err;
  for (let n = 0; n < 20; n++) {
    const next = await rest.next();
    if (next.done) break;
    try {
      readColumns(next.value.cells.map((c) => c.trim()), mapping, CORE_COLUMNS, { file });
    } catch {
      continue;
    }
    const held = first.cells.map((c) => c.trim()).filter(Boolean).join(' ');
    const shown = held.length > 60 ? `${held.slice(0, 60)}…` : held;
    const row = sheet !== undefined ? 'row' : 'line';
    return new LetterMergeError('MISSING_COLUMN', `the columns are named in ${row} ${next.value.line}, not in the first ${row} (which holds "${shown}")`, {
      location: { file, line: first.line, ...(sheet !== undefined ? { sheet } : {}) },
      hint: `Delete the ${row}s above the column names (a title, a blank row), so that the list starts with them.`,
    });
  }
  return err;
}

/**
 * A workbook's columns read as a field that are hidden in Excel, to be noted (see ListNotes). A
 * hidden column is often an old one kept aside: with "email" hidden and a new "E-mail (2022)"
 * shown beside it, every letter went to the old addresses, and `validate` found no problems. So a
 * hidden column read as a field while a shown one also names that field (see looselyNamed) is an
 * error, naming both, unless the mapping names the hidden one.
 */
function hiddenFieldColumns(file: string, sheet: string | undefined, reads: ColumnRead[], columns: NonNullable<RecordSource['columnsShown']>, line: number): { column: string; header: string; field: string }[] {
  const hidden: { column: string; header: string; field: string }[] = [];
  reads.forEach((r, i) => {
    if (!columns.hidden(i) || r.field === undefined) return;
    const column = columns.letter(i);
    // A column the mapping names is read as asked, hidden or not.
    const shown = r.by === 'mapping' ? -1 : reads.findIndex((o, j) => !o.field && o.header && !columns.hidden(j) && looselyNamed(o.header)?.field === r.field);
    if (shown !== -1) {
      const other = reads[shown].header;
      throw new LetterMergeError('DUPLICATE_COLUMN', `${r.field} would be read from column ${column} "${r.header}", which is hidden in the workbook, and not from column ${columns.letter(shown)} "${other}", which is shown`, {
        location: { file, line, ...(sheet !== undefined ? { sheet } : {}) },
        // A column named as the field is read as it, mapped or not: it must go, or take another name.
        hint:
          r.header === r.field
            ? `A hidden column is often an old one kept aside. To read the shown one, delete the hidden one (or rename it, "${r.header} (old)") and say --map ${r.field}="${other}" (or columns: in campaign.yaml or the config file); to read the hidden one, unhide it.`
            : `A hidden column is often an old one kept aside. Say which one to read: --map ${r.field}="${other}" (or columns: in campaign.yaml or the config file), or delete the column you hid.`,
      });
    }
    hidden.push({ column, header: r.header, field: r.field });
  });
  return hidden;
}

/** A header cell or a row's cell as the two are compared (case and spaces aside, as spreadsheets compare text). */
function headerName(cell: string): string {
  return cell.replace(/^\uFEFF/, '').trim().toLowerCase();
}

/** The header's names, to tell a row that names the columns again (two lists put one after the other). */
class HeaderNames {
  private readonly names: string[];
  private readonly known: Set<string>;
  private readonly count: number;
  constructor(headers: string[]) {
    this.names = headers.map(headerName);
    this.known = new Set(this.names.filter((n) => n !== ''));
    this.count = this.names.filter((n) => n !== '').length;
  }

  /**
   * 'repeated' when the row holds the header's names in their order, 'reordered' when it holds
   * every one in another order, else undefined. A row of values is told apart at its first cell
   * that is no column name, so a list's rows cost little however wide it is.
   */
  named(cells: string[]): 'repeated' | 'reordered' | undefined {
    let filled = 0;
    for (const cell of cells) {
      const name = headerName(cell);
      if (name === '') continue;
      if (!this.known.has(name)) return undefined;
      filled++;
    }
    if (filled !== this.count || filled === 0) return undefined;
    if (cells.length === this.names.length && cells.every((c, i) => headerName(c) === this.names[i])) return 'repeated';
    // Each name once (the header has no name twice): as many, all known, is every one.
    if (this.known.size < 2 || new Set(cells.map(headerName).filter((n) => n !== '')).size !== filled) return undefined;
    return 'reordered';
  }
}

/** The headers of a recipients file (its first row), as written: for suggesting how to read them. */
export async function readHeaders(file: string, sheet?: string): Promise<string[]> {
  const source = await recordSource(file, sheet);
  for await (const rec of source.records) return rec.cells.map((c) => c.replace(/^\uFEFF/, '').trim());
  return [];
}

/** Reads and checks a whole recipients file into memory. File-level problems throw; row-level ones are returned. */
export async function readRecipients(file: string, options: { sheet?: string; mapping?: ListMapping } = {}): Promise<RecipientsFile> {
  let columns: string[] = [];
  let delimiter = ',';
  const recipients: Recipient[] = [];
  const problems: Problem[] = [];
  for await (const item of streamRecipients(file, options)) {
    if ('header' in item) ({ columns, delimiter } = item.header);
    else if ('fileProblem' in item) throw item.fileProblem;
    else if ('problem' in item) problems.push(item.problem);
    else recipients.push(item.recipient);
  }
  return { file, columns, delimiter, recipients, problems };
}

function countNewlines(record: string[]): number {
  let n = 0;
  for (const cell of record) for (const ch of cell) if (ch === '\n') n++;
  return n;
}

function countCrlf(record: string[]): number {
  let n = 0;
  for (const cell of record) {
    for (let i = cell.indexOf('\r\n'); i !== -1; i = cell.indexOf('\r\n', i + 2)) n++;
  }
  return n;
}

/**
 * Fields printed on one line of the letter or in a header. A line break typed into one of them
 * (Alt+Enter in a spreadsheet) is folded to a space; the address keeps its lines.
 */
const ONE_LINE_FIELDS = ['title', 'first_name', 'last_name', 'position', 'organization', 'country', 'salutation'];

/** "The workbook's sheets are "A", "B": pick the list with --sheet NAME." */
function sheetsHint(names: string[], which: 'sheets' | 'other sheets'): string {
  return `The workbook's ${which} are ${names.map((n) => `"${n}"`).join(', ')}: pick the list with --sheet NAME.`;
}

function checkColumns(file: string, headers: string[], mapping: ListMapping, line: number, sheet?: string, sheets: string[] = []): ColumnRead[] {
  const at = sheet !== undefined ? { sheet } : {};
  const seen = new Set<string>();
  const dup = headers.find((c) => c && (seen.has(c) || !seen.add(c)));
  if (dup) {
    throw new LetterMergeError('DUPLICATE_COLUMN', `column "${dup}" appears twice in the header`, {
      location: { file, line, ...at },
    });
  }
  try {
    return readColumns(headers, mapping, CORE_COLUMNS, { file, line, ...at });
  } catch (err) {
    // In a workbook, the list may be on another sheet.
    if (err instanceof LetterMergeError && err.code === 'MISSING_COLUMN' && sheets.length > 1) {
      throw new LetterMergeError(err.code, err.message, { location: err.location, hint: `${err.hint ?? ''} ${sheetsHint(sheets, 'sheets')}` });
    }
    throw err;
  }
}

/**
 * The languages of a language cell, one letter each, with the words each was read from: the cell
 * as one language ("Chinese (Simplified)", "Русский язык"), else its parts between separators
 * ("fr;en", "Español, English", "es/en", "fr | en"), a part that is no language read word by
 * word ("es en"). The first word that is no language fails the row.
 */
export function readLanguageCell(cell: string, values: ValueReader): { words: string[]; codes: string[] } | { unknown: Extract<ValueRead<string>, { unknown: string }> } {
  const one = (word: string) => values.knownLanguage(word)?.value;
  const whole = cell.trim();
  const all = whole ? one(whole) : undefined;
  if (all !== undefined) return { words: [whole], codes: [all] };
  const words: string[] = [];
  const codes: string[] = [];
  for (const part of whole.split(/[;,/|+]+/).map((w) => w.trim()).filter(Boolean)) {
    const code = one(part);
    if (code !== undefined) {
      words.push(part);
      codes.push(code);
      continue;
    }
    const each = part.split(/\s+/).map((w) => ({ w, code: one(w) }));
    const unknown = each.find((e) => e.code === undefined);
    if (unknown === undefined) {
      for (const e of each) {
        words.push(e.w);
        codes.push(e.code!);
      }
      continue;
    }
    // A part of several words that are partly languages names the word that is not one; but a
    // language with its qualifier ("Chinese (Traditional)") is named whole.
    const named = each.length > 1 && !/[(（]/.test(part) && each.some((e) => e.code !== undefined) ? unknown.w : part;
    return { unknown: values.language(named) as Extract<ValueRead<string>, { unknown: string }> };
  }
  return { words, codes };
}

/** A value's reading, or the row's problem for a word lettermerge does not know. */
function known<T>(read: ValueRead<T>, field: 'group' | 'language' | 'gender', fail: (message: string) => RowProblem, list: string): T | RowProblem {
  if ('value' in read) return read.value;
  const near = read.nearest.length ? `did you mean ${read.nearest.map((n) => `"${n}"`).join(' or ')}? ` : '';
  return { ...fail(`unknown ${field} "${read.unknown}" (${near}known: ${list})`), unknown: { field, word: read.unknown, nearest: read.nearest } };
}

function toRecipient(
  fields: Record<string, string>,
  line: number,
  file: string,
  values: ValueReader,
  sheet?: string,
): RowResult {
  const fail = (code: ErrorCode, field: string, message: string): RowProblem => ({
    problem: { scope: 'row', code, file, ...(sheet !== undefined ? { sheet } : {}), line, id: fields.id ?? '', field, message },
    fields,
  });
  // A total or a note under the list ("Total: 22"): one cell filled, the rest empty. Its id, or
  // its empty id, was all it was told of.
  let filled: string | undefined;
  for (const field in fields) {
    if (fields[field].trim() === '') continue;
    if (filled !== undefined) {
      filled = undefined;
      break;
    }
    filled = field;
  }
  if (filled !== undefined) {
    return fail('BAD_VALUE', filled, `the row holds "${shortened(fields[filled].trim())}" (${filled}) and nothing else: no name, language or e-mail address; a total or a note is not a recipient: delete the row, or fill it in`);
  }
  if (!fields.id) return fail('BAD_ID', 'id', 'the id is empty');
  for (const f of ONE_LINE_FIELDS) {
    if (fields[f] !== undefined) fields[f] = fields[f].replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
  }
  // A letter typed as a letter and a combining mark (a and U+0308) becomes the one character (ä),
  // as most text is written: the font draws it with its own glyph, and the PDF's text reads it
  // back whole, where a mark placed on its own reads as a letter, a space and the mark.
  for (const f of [...ONE_LINE_FIELDS, 'address']) {
    if (fields[f] !== undefined) fields[f] = fields[f].normalize('NFC');
  }
  for (const [field, value] of Object.entries(fields)) {
    const max = MAX_FIELD_LENGTH[field] ?? MAX_EXTRA_FIELD_LENGTH;
    if (value.length > max) {
      return fail('FIELD_TOO_LONG', field, `${field} is ${value.length} characters long; a letter holds at most ${max}`);
    }
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
      return fail('BAD_TEXT', field, `${field} holds a control character`);
    }
    if (value.includes('\uFFFD')) {
      return fail('BAD_TEXT', field, `${field} holds bytes that are not valid UTF-8 (shown as "\uFFFD"); re-export the file as CSV UTF-8`);
    }
    const mark = strayMark(value);
    if (mark) {
      return fail('BAD_TEXT', field, `${field} holds an accent or other combining mark (${codePointName(mark)}) with no letter before it, which would be drawn over a space or over nothing`);
    }
    const stack = stackedMarks(value);
    if (stack) {
      return fail('BAD_TEXT', field, `${field} stacks ${stack.marks} accents or other combining marks on one letter ("${stack.letter}"; at most ${MAX_STACKED_MARKS}), which would be drawn over the lines above and below it`);
    }
    const override = bidiOverride(value);
    if (override) {
      const rtl = override === '\u202e';
      return fail(
        'BAD_TEXT',
        field,
        `${field} holds a ${rtl ? 'right-to-left' : 'left-to-right'} override (${codePointName(override)}), an invisible character that draws the letters after it backwards${rtl ? ' ("evil" as "live")' : ''}: no name or address needs one; delete it from the cell`,
      );
    }
    fields[field] = closedBidiScopes(value);
  }
  const badId = idProblem(fields.id);
  if (badId) return fail('BAD_ID', 'id', badId);
  // The values are checked each on its own, and every problem found is told (the first as the
  // row's, the others as `also`): a row with an unknown group and a broken e-mail address took
  // two runs of validate to learn of both.
  const found: RowProblem[] = [];
  const failOn = (field: 'group' | 'language' | 'gender') => (message: string) => fail('BAD_VALUE', field, message);
  const cell = readLanguageCell(fields.language, values);
  const languages = 'unknown' in cell ? [] : cell.codes;
  if ('unknown' in cell) found.push(known(cell.unknown, 'language', failOn('language'), supportedLanguages().join(', ')) as RowProblem);
  else if (languages.length === 0) found.push(fail('BAD_VALUE', 'language', 'the language is empty'));
  const group = fields.group ? known<Group>(values.group(fields.group), 'group', failOn('group'), GROUPS.join(', ')) : fail('BAD_VALUE', 'group', 'the group is empty');
  if (typeof group !== 'string') found.push(group);
  const gender = known<Gender>(values.gender(fields.gender), 'gender', failOn('gender'), 'female or male in any of the six languages (F, M, Mujer, Homme, 女…), or empty for the neutral salutation');
  if (typeof gender !== 'string') found.push(gender);
  const badEmail = addressProblem(fields.email);
  if (badEmail) found.push(fail('BAD_EMAIL', 'email', badEmail));
  const copies: Record<'cc' | 'bcc', Mailbox[]> = { cc: [], bcc: [] };
  for (const column of ['cc', 'bcc'] as const) {
    if (!fields[column]) continue;
    const boxes = parseMailboxList(fields[column]);
    if (typeof boxes === 'string') found.push(fail('BAD_EMAIL', column, boxes));
    else copies[column] = boxes;
  }
  if (!fields.last_name && !fields.organization) {
    found.push(fail('NO_ADDRESSEE', 'last_name', 'neither a last name nor an organization is given: the letter has no addressee'));
  }
  const address = fields.address
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => !showsNothing(l));
  if (address.length > MAX_ADDRESS_LINES) {
    found.push(fail('FIELD_TOO_LONG', 'address', `the address has ${address.length} lines; a letter's addressee block holds at most ${MAX_ADDRESS_LINES}`));
  }
  if (found.length) {
    const [first, ...others] = found;
    return others.length ? { ...first, also: others.map(({ problem, unknown }) => ({ problem, ...(unknown ? { unknown } : {}) })) } : first;
  }
  if (typeof group !== 'string' || typeof gender !== 'string' || 'unknown' in cell) throw new Error('unreachable: a problem was found');
  return {
    recipient: {
      id: fields.id,
      languages: [...new Set(languages)],
      languageReads: languages,
      languageWords: cell.words,
      group,
      gender,
      title: fields.title,
      first_name: fields.first_name,
      last_name: fields.last_name,
      position: fields.position,
      organization: fields.organization,
      address,
      country: fields.country,
      email: fields.email,
      cc: copies.cc,
      bcc: copies.bcc,
      fields,
      line,
    },
  };
}
