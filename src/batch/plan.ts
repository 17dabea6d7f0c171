import type { Borrowed, Campaign } from '../campaign/campaign';
import { firstFew, shortened, wordList } from '../text/suggest';
import { encodingNotice, readLanguageCell, streamRecipients } from '../data/recipients';
import { asciiAddress } from '../data/address';
import type { Encoding, ListHeader, Recipient, RowProblem } from '../data/recipients';
import { ValueReader, replacementFor } from '../data/mapping';
import { fieldPartOf } from '../data/words';
import type { ListMapping } from '../data/mapping';
import { templateFields } from '../template/merge';
import { letterKey, readingKey } from './keys';
import type { OutputOptions } from './keys';
import { letterId } from './manifest';

export interface Scope {
  /** Only letters in these languages. */
  filter?: string[];
  /** Only this shard of the rows: K of N (1-based), by id. */
  shard?: { index: number; count: number };
  /** Only letters to these stakeholder groups (proof --group). */
  groups?: string[];
}

/** FNV-1a of the id: which shard a recipient belongs to, the same on every machine and run. */
export function shardOf(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % count) + 1;
}

/**
 * Whether a row that cannot be read is this run's to fail, as its letters would be: a shard's by
 * its id (a row without one, the first shard's), and with a language filter or groups by its
 * language and group cells, when they read: a Chinese row's broken address failed a run that makes
 * the English letters ("1 failed", exit 4, the row in its failed.csv; `validate` lists it).
 * `skipped`: the letters of a row left to other runs (one when its language cell does not read).
 */
export function problemInScope(item: RowProblem, scope: Scope, values: ValueReader): { mine: boolean; skipped: number } {
  const shard = scope.shard;
  if (shard && (item.problem.id ? shardOf(item.problem.id, shard.count) : 1) !== shard.index) return { mine: false, skipped: 0 };
  const read = readLanguageCell(item.fields.language ?? '', values);
  const codes = 'codes' in read ? [...new Set(read.codes)] : [];
  const group = scope.groups ? values.group(item.fields.group ?? '') : undefined;
  const otherGroup = group !== undefined && 'value' in group && !scope.groups!.includes(group.value);
  const otherLanguage = scope.filter !== undefined && codes.length > 0 && !codes.some((c) => scope.filter!.includes(c));
  return otherGroup || otherLanguage ? { mine: false, skipped: Math.max(1, codes.length) } : { mine: true, skipped: 0 };
}

/** The letters a recipient gets in this run (by shard, language filter and groups). */
export function lettersFor(r: Recipient, scope: Scope): { languages: string[]; skipped: number } {
  if (scope.shard && shardOf(r.id, scope.shard.count) !== scope.shard.index) return { languages: [], skipped: 0 };
  if (scope.groups && !scope.groups.includes(r.group)) return { languages: [], skipped: r.languages.length };
  const languages = scope.filter ? r.languages.filter((l) => scope.filter!.includes(l)) : r.languages;
  return { languages, skipped: r.languages.length - languages.length };
}

/**
 * E-mail addresses on more than one row, compared ignoring case and a domain's script
 * ("exámple.com" is "xn--exmple-qta.com"). Each row gets a letter and a message of its own, so
 * one person on two rows (a row copied, a list merged from two exports) gets the letter twice. Not a problem of the rows: an office's shared address may serve two
 * recipients. Said as a note by validate and generate.
 */
class SharedAddresses {
  private readonly first = new Map<string, number>();
  private readonly shared = new Map<string, number[]>();
  /** "line" in a CSV file, "row" in a workbook's sheet. */
  private where = 'line';

  header(h: ListHeader): void {
    this.where = h.sheet === undefined ? 'line' : 'row';
  }

  see(r: Recipient): void {
    // A recipient's address is a valid one (a row with another fails before it is one).
    const address = asciiAddress(r.email).toLowerCase();
    const first = this.first.get(address);
    if (first === undefined) {
      this.first.set(address, r.line);
      return;
    }
    const lines = this.shared.get(address);
    if (lines) lines.push(r.line);
    else this.shared.set(address, [first, r.line]);
  }

  /** The note for the user, or undefined when every row has an address of its own. */
  notice(): string | undefined {
    const n = this.shared.size;
    if (n === 0) return undefined;
    const shown = [...this.shared].slice(0, 3).map(([address, at]) => `${address} (${this.where}s ${at.join(', ')})`);
    const more = n > 3 ? `, and ${n - 3} more` : '';
    return `${n === 1 ? 'an e-mail address is' : `${n} e-mail addresses are`} on more than one row: ${shown.join('; ')}${more}. Each row gets its own letter and e-mail; if two rows are one recipient, remove one of them`;
  }
}

/**
 * Rows hidden in the workbook (filtered out in Excel, or hidden by hand): a list filtered to "only
 * the Spanish ones" and saved still holds the others, and they are read like the rest. Said as a
 * note, so that nobody sends the letters of rows they no longer saw.
 */
class HiddenRows {
  private count = 0;
  private first: number | undefined;
  private sheet: string | undefined;

  header(h: ListHeader): void {
    this.sheet = h.sheet;
  }

  see(r: Recipient): void {
    if (!r.hidden) return;
    this.count++;
    this.first ??= r.line;
  }

  notice(): string | undefined {
    if (this.count === 0) return undefined;
    const rows = this.count === 1 ? `1 row (row ${this.first})` : `${this.count} rows (the first, row ${this.first})`;
    return `${rows} of the sheet "${this.sheet ?? ''}" ${this.count === 1 ? 'is' : 'are'} hidden in the workbook (filtered out, or hidden by hand), and ${this.count === 1 ? 'is' : 'are'} read like the others: delete ${this.count === 1 ? 'it' : 'them'} from the list, or save the filtered rows alone, to leave ${this.count === 1 ? 'it' : 'them'} out`;
  }
}

/**
 * A workbook's other sheets, when none was asked for: a list kept on two sheets (one per language,
 * or "2023" and "2024") had the letters of its first made, and the others left out, without a word.
 */
function unreadSheetsNotice(h: ListHeader): string | undefined {
  const unread = h.unread ?? [];
  if (unread.length === 0) return undefined;
  const names = firstFew(unread.map((n) => `"${n}"`));
  return `the sheet "${h.sheet ?? ''}", the workbook's first tab, was read; its other ${unread.length === 1 ? 'tab' : 'tabs'} (${names}) ${unread.length === 1 ? 'was' : 'were'} not: name the sheet to read with --sheet NAME`;
}

/**
 * A workbook's columns hidden in Excel that the letters use: read as a field (see
 * ListHeader.hiddenFields; one with a shown column of the same name beside it is refused), or an
 * extra column a template names (`used`: templateFields). Nobody looking at the sheet sees them.
 */
function hiddenColumnsNotice(h: ListHeader, used: ReadonlyMap<string, unknown>): string | undefined {
  const hidden: { column: string; header: string; field?: string }[] = [...(h.hiddenFields ?? []), ...(h.hiddenExtras ?? []).filter((c) => used.has(c.header))];
  if (hidden.length === 0) return undefined;
  hidden.sort((a, b) => a.column.length - b.column.length || (a.column < b.column ? -1 : 1));
  const one = hidden.length === 1;
  const named = wordList(hidden.map((c) => `${c.column} "${c.header}"${c.field === undefined || c.header === c.field ? '' : ` (${c.field})`}`), 'and');
  return `${one ? 'column' : 'columns'} ${named} of the sheet "${h.sheet ?? ''}" ${one ? 'is' : 'are'} hidden in the workbook, and read like the others: unhide ${one ? 'it' : 'them'} to see what the letters and e-mails use`;
}

/**
 * Columns not read as the field their name suggests, because another column is ("E-mail (2022)"
 * added beside "email", meant to replace it): its values went nowhere, without a word. Said as a
 * note, with how to read it instead. (One hidden while the other is shown is refused: see
 * ListHeader.hiddenFields.)
 */
function lookalikeColumnsNotice(h: ListHeader): string | undefined {
  // (An address's further line, "Address line 2", is a part of it: see FieldParts.)
  const lookalike = h.reads.find((r) => !r.field && r.header && !fieldPartOf(r.header) && h.reads.some((o) => o.field !== undefined && o.field === replacementFor(r.header)));
  if (!lookalike) return undefined;
  const field = replacementFor(lookalike.header)!;
  const read = h.reads.find((o) => o.field === field)!;
  return `column "${lookalike.header}" is not read as ${field}, which is read from column "${read.header}": if it holds the values to use, say --map ${field}="${lookalike.header}" (or columns: in campaign.yaml), and rename or delete the other`;
}

/** A value of campaign.yaml that the letters of some of the list's languages take from the default language (see borrowedValues). */
function borrowedNotice(file: string, entries: Borrowed[]): string {
  const { what, line: at, from, value, kind } = entries[0];
  const line = `${file}:${at}`;
  const langs = wordList(entries.map((e) => e.language), 'and');
  const own = `add ${entries[0].language}: … to ${what} for ${entries.length === 1 ? 'its' : 'their'} own`;
  if (kind === 'file') return `${line}: ${what} has no ${langs} file, so the ${langs} e-mails carry the ${from} one${value ? ` (${value})` : ''}: ${own}`;
  const mail = what.startsWith('attachments');
  if (value === undefined) return `${line}: ${what} has no ${langs} value, so the ${langs} ${mail ? 'e-mails' : 'letters'} have none there: ${own}`;
  return `${line}: ${what} has no ${langs} value, so the ${langs} ${mail ? 'e-mails name the file as' : 'letters print'} the ${from} one ("${shortened(value)}"): ${own}`;
}

/** What is said of a list as a whole once it is read: its encoding, other sheets, hidden columns and rows, addresses on several rows, and the campaign's values its languages borrow. */
export class ListNotes {
  private readonly addresses = new SharedAddresses();
  private readonly hidden = new HiddenRows();
  private encoding: string | undefined;
  private sheets: string | undefined;
  private columns: string | undefined;
  private lookalike: string | undefined;
  private readonly languages = new Set<string>();

  /** `campaign`: its values that some languages take from the default one (Campaign.borrowed), told at campaign.yaml's lines, and the columns its templates use. */
  constructor(private readonly campaign?: Campaign) {}

  header(h: ListHeader): void {
    this.addresses.header(h);
    this.hidden.header(h);
    if (h.encoding !== 'utf-8') this.encoding = encodingNotice(h.encoding);
    this.sheets = unreadSheetsNotice(h);
    this.columns = hiddenColumnsNotice(h, this.campaign && h.hiddenExtras ? templateFields(this.campaign) : new Map());
    this.lookalike = lookalikeColumnsNotice(h);
  }

  /** A row of the list; `languages`: those of its letters this run makes (all of them, unless told). */
  see(r: Recipient, languages: readonly string[] = r.languages): void {
    this.addresses.see(r);
    this.hidden.see(r);
    for (const l of languages) this.languages.add(l);
  }

  notices(): string[] {
    const byValue = new Map<string, Borrowed[]>();
    for (const b of this.campaign?.borrowed ?? []) {
      if (!this.languages.has(b.language)) continue;
      const same = byValue.get(b.what);
      if (same) same.push(b);
      else byValue.set(b.what, [b]);
    }
    return [this.encoding, this.sheets, this.columns, this.lookalike, this.hidden.notice(), this.addresses.notice(), ...[...byValue.values()].map((e) => borrowedNotice(this.campaign?.file ?? 'campaign.yaml', e))].filter((n): n is string => n !== undefined);
  }
}

/** A letter of the input: where it stands in input order, and the key of what it is made from. */
export interface PlannedLetter {
  order: number;
  language: string;
  line: number;
  key: string;
  /** Whether this run makes it (its language and shard are in scope). */
  inScope: boolean;
}

/** Bytes of a letter's key (letterKey: 32 hexadecimal digits). */
const KEY_BYTES = 16;

/**
 * Every letter of the input, by letter id (language/id), held through the whole run. Kept as a
 * Map of PlannedLetter objects, a list of 20,000 rows held 6.9 MB on the main thread (an object,
 * a key in hexadecimal and an id per letter), and the heap the first pass grew to stayed: 2,000
 * letters of a 20,000-row list (--limit, or a shard) peaked at 335-340 MB against 312 MB for a
 * 2,000-row list. Here a letter is its place in input order in a Map and a few bytes in typed
 * arrays (3.5 MB for the 20,000 rows; that run 312 MB); a PlannedLetter is made when asked for.
 */
export class LetterIndex {
  private readonly slots = new Map<string, number>();
  private readonly languages: string[] = [];
  private lines = new Int32Array(256);
  private languageOf = new Uint8Array(256);
  private inScope = new Uint8Array(256);
  private keys = Buffer.alloc(256 * KEY_BYTES);

  get size(): number {
    return this.slots.size;
  }

  /** Adds the next letter of the input (its order is the count of letters added before it). */
  add(id: string, letter: Omit<PlannedLetter, 'order'>): void {
    if (this.slots.has(id)) throw new Error(`letter ${id} is planned twice`);
    if (!/^[0-9a-f]{32}$/.test(letter.key)) throw new Error(`a letter's key is not ${KEY_BYTES} bytes in hexadecimal: ${letter.key}`);
    const slot = this.slots.size;
    if (slot === this.lines.length) this.grow();
    let language = this.languages.indexOf(letter.language);
    if (language < 0) {
      if (this.languages.length === 256) throw new Error('more than 256 languages planned');
      language = this.languages.push(letter.language) - 1;
    }
    this.slots.set(id, slot);
    this.lines[slot] = letter.line;
    this.languageOf[slot] = language;
    this.inScope[slot] = letter.inScope ? 1 : 0;
    this.keys.write(letter.key, slot * KEY_BYTES, KEY_BYTES, 'hex');
  }

  get(id: string): PlannedLetter | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.at(slot);
  }

  *[Symbol.iterator](): IterableIterator<[string, PlannedLetter]> {
    for (const [id, slot] of this.slots) yield [id, this.at(slot)];
  }

  private at(slot: number): PlannedLetter {
    return {
      order: slot,
      language: this.languages[this.languageOf[slot]],
      line: this.lines[slot],
      key: this.keys.toString('hex', slot * KEY_BYTES, (slot + 1) * KEY_BYTES),
      inScope: this.inScope[slot] === 1,
    };
  }

  private grow(): void {
    const n = this.lines.length * 2;
    const lines = new Int32Array(n);
    lines.set(this.lines);
    this.lines = lines;
    const languageOf = new Uint8Array(n);
    languageOf.set(this.languageOf);
    this.languageOf = languageOf;
    const inScope = new Uint8Array(n);
    inScope.set(this.inScope);
    this.inScope = inScope;
    const keys = Buffer.alloc(n * KEY_BYTES);
    this.keys.copy(keys);
    this.keys = keys;
  }
}

export interface Plan {
  /** The names the templates see, and the file's own headers, column by column. */
  columns: string[];
  headers: string[];
  encoding?: Encoding;
  rows: number;
  /** Letters this run is asked for (in scope), before --limit. */
  letters: number;
  skipped: number;
  /** Rows that fail, reported by the shard their id belongs to (shard 1 when it has no id), once. */
  problems: RowProblem[];
  /** The first good row, to check the templates against before anything is written. */
  sample?: Recipient;
  /** Every letter of the input, in or out of scope, by language/id. */
  index: LetterIndex;
  /** What the keys were made with besides the row (see letterKey): to make them again from the rows read a second time. */
  keyOptions: OutputOptions;
  /** The notes on the list as a whole: its encoding, hidden rows, addresses on several rows (see ListNotes). */
  listNotes: string[];
}

/**
 * The first pass over the recipients: checks the whole file and lists its letters (an entry of a
 * few dozen bytes each), holding no rows in memory. The manifest is reconciled against this list:
 * a letter not in it is no longer part of the input.
 */
export async function plan(csv: string, campaign: Campaign, scope: Scope, options: OutputOptions = {}, read: { sheet?: string; mapping?: ListMapping } = {}): Promise<Plan> {
  const p: Plan = { columns: [], headers: [], rows: 0, letters: 0, skipped: 0, problems: [], index: new LetterIndex(), keyOptions: options, listNotes: [] };
  let keyOptions = options;
  const notes = new ListNotes(campaign);
  const values = new ValueReader(read.mapping);
  for await (const item of streamRecipients(csv, read)) {
    if ('fileProblem' in item) throw item.fileProblem;
    if ('header' in item) {
      notes.header(item.header);
      p.columns = item.header.columns;
      p.headers = item.header.headers;
      keyOptions = { ...options, reading: readingKey(item.header.reads, read.mapping ?? {}) };
      p.keyOptions = keyOptions;
      p.encoding = item.header.encoding;
      continue;
    }
    p.rows++;
    if ('problem' in item) {
      const s = problemInScope(item, scope, values);
      if (s.mine) p.problems.push(item);
      p.skipped += s.skipped;
      continue;
    }
    const r = item.recipient;
    p.sample ??= r;
    const l = lettersFor(r, scope);
    notes.see(r, l.languages);
    p.letters += l.languages.length;
    p.skipped += l.skipped;
    for (const language of r.languages) {
      p.index.add(letterId({ language, id: r.id }), {
        language,
        line: r.line,
        key: letterKey(campaign, r.fields, language, keyOptions),
        inScope: l.languages.includes(language),
      });
    }
  }
  p.listNotes = notes.notices();
  return p;
}
