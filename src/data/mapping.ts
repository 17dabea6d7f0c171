import { didYouMean } from '../text/suggest';
import { LetterMergeError } from '../errors';
import type { ErrorLocation as Location } from '../errors';
import { GROUPS, isGroup, isSupportedLanguage, supportedLanguages } from '../i18n/languages';
import type { Gender, Group } from '../i18n/languages';
import { FIELDS, FIELD_WORDS, GENDER_TABLE, GROUP_TABLE, LANGUAGE_TABLE, fold, languageOf } from './words';

/** The columns every recipients file has. Extra columns are kept and reach the templates. */
export const CORE_COLUMNS = ['id', 'language', 'group', 'gender', 'title', 'first_name', 'last_name', 'position', 'organization', 'address', 'country', 'email'] as const;

/** The fields a recipients file's columns are read as: the core columns, and the optional ones lettermerge reads itself. */
export const KNOWN_FIELDS = [...CORE_COLUMNS, 'cc', 'bcc', 'salutation'] as const;

/** Which recipients file a command reads, and how. */
export interface ListOptions {
  /** The recipients file: CSV, or an .xlsx workbook. */
  csv: string;
  /** The workbook's sheet to read; the first when left out. */
  sheet?: string;
  /** How the list's columns and values are read, over the campaign's columns: and values: (the config file's, then --map). */
  mapping?: ListMapping;
}

/** The fields whose values are words lettermerge reads as codes, and may be given value maps. */
export const VALUE_FIELDS = ['group', 'language', 'gender'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];

/**
 * How a list's columns and values are read, as a campaign (`columns:`, `values:`), the config file
 * or `--map` give it: a field's column by its header, and what a cell's word means.
 */
export interface ListMapping {
  /** field → the header of its column ("email": "Correo electrónico"). */
  columns?: Record<string, string>;
  /** For group, language and gender: a cell's word → the code it means ("Gobierno nacional": government). */
  values?: Partial<Record<ValueField, Record<string, string>>>;
}

/** Layers of mappings, the later winning field by field and word by word: campaign, then config file, then --map. */
export function layerMappings(...layers: (ListMapping | undefined)[]): ListMapping {
  const out: Required<ListMapping> = { columns: {}, values: {} };
  for (const layer of layers) {
    if (!layer) continue;
    Object.assign(out.columns, layer.columns ?? {});
    for (const f of VALUE_FIELDS) if (layer.values?.[f]) out.values[f] = { ...(out.values[f] ?? {}), ...layer.values[f] };
  }
  return out;
}

/** One column as read: its header, and the field it is read as (undefined: an extra column, under its own name). */
export interface ColumnRead {
  header: string;
  field?: string;
  /** How: named by the mapping (columns:, --map), or matched by lettermerge (its name or a word for it). */
  by?: 'mapping' | 'match';
}

/**
 * Checks a mapping on its own (before any file is read): each field is one lettermerge reads, no
 * header is named for two fields, and each value word maps to a code that exists. `at` and `key`
 * place the entry at fault in campaign.yaml or the config file (`key` under the keys `at`).
 */
export function mappingProblem(m: ListMapping): { message: string; hint?: string; at: ['columns'] | ['values'] | ['values', string]; key: string } | undefined {
  const seen = new Map<string, string>();
  for (const [field, header] of Object.entries(m.columns ?? {})) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(field)) {
      const guess = didYouMean(field, KNOWN_FIELDS);
      return {
        message: `columns: "${field}" is not a field lettermerge reads${guess ? `; did you mean "${guess}"?` : ''}`,
        hint: `The fields are: ${KNOWN_FIELDS.join(', ')}. Other columns reach the templates under their own names.`,
        at: ['columns'],
        key: field,
      };
    }
    if (typeof header !== 'string' || header.trim() === '') return { message: `columns: ${field} must name a column of the file`, at: ['columns'], key: field };
    const other = seen.get(fold(header));
    if (other) return { message: `columns: "${header}" is named for both ${other} and ${field}`, at: ['columns'], key: field };
    seen.set(fold(header), field);
  }
  for (const [field, words] of Object.entries(m.values ?? {})) {
    if (!(VALUE_FIELDS as readonly string[]).includes(field)) return { message: `values: "${field}" has no value words; only ${VALUE_FIELDS.join(', ')} do`, at: ['values'], key: field };
    for (const [word, code] of Object.entries(words ?? {})) {
      const c = String(code).trim().toLowerCase();
      const ok = field === 'group' ? isGroup(c) : field === 'language' ? isSupportedLanguage(c) : ['female', 'male', 'none'].includes(c);
      if (!ok) {
        const known = field === 'group' ? GROUPS : field === 'language' ? supportedLanguages() : ['female', 'male', 'none'];
        return { message: `values.${field}: "${word}" maps to "${code}", which is not a ${field} (known: ${known.join(', ')})`, at: ['values', field], key: word };
      }
    }
  }
  return undefined;
}

/** The error of a file whose header the mapping does not fit: a usage error with the file's place. */
function headerError(code: 'MISSING_COLUMN' | 'DUPLICATE_COLUMN', message: string, at: Location, hint?: string): LetterMergeError {
  return new LetterMergeError(code, message, { location: { line: 1, ...at }, ...(hint ? { hint } : {}) });
}

/**
 * How each column of a file is read. A column named by the mapping is read as its field; any
 * other column whose header is a field's name or one of its words (compared without case,
 * spaces, hyphens, underscores or accents) is read as that field, unless the mapping gives that
 * field another column; the rest are extra columns, read under their own names. Two columns
 * for one field, a mapped column the file lacks, or a missing core column is an error naming
 * them.
 */
export function readColumns(headers: string[], mapping: ListMapping, required: readonly string[], at: Location): ColumnRead[] {
  const reads: ColumnRead[] = headers.map((header) => ({ header }));
  const taken = new Map<string, number>();
  for (const [field, wanted] of Object.entries(mapping.columns ?? {})) {
    let i = headers.indexOf(wanted);
    if (i < 0) i = headers.findIndex((h) => fold(h) === fold(wanted));
    if (i < 0) {
      const guess = didYouMean(wanted, headers.filter(Boolean));
      throw headerError('MISSING_COLUMN', `the mapping reads ${field} from a column "${wanted}", which the file does not have${guess ? `; did you mean "${guess}"?` : ''}`, at, `The file's columns are: ${headers.filter(Boolean).map((h) => `"${h}"`).join(', ')}.`);
    }
    reads[i] = { header: headers[i], field, by: 'mapping' };
    taken.set(field, i);
  }
  for (const [i, h] of headers.entries()) {
    if (!h || reads[i].field) continue;
    const field = FIELDS.lookup(h);
    if (!field || mapping.columns?.[field] !== undefined) continue;
    const first = taken.get(field);
    if (first !== undefined) {
      // The example names the column with the field's own name when there is one: the other could not keep that name.
      const example = h === field ? h : headers[first];
      throw headerError(
        'DUPLICATE_COLUMN',
        `columns "${headers[first]}" and "${h}" would both be read as ${field}`,
        at,
        `Say which one with columns: in campaign.yaml or the config file, or --map ${field}="${example}"; the other then reaches the templates under its own name.`,
      );
    }
    reads[i] = { header: h, field, by: 'match' };
    taken.set(field, i);
  }
  // An extra column may not take the name of a field that another column is read as.
  for (const r of reads) {
    if (!r.field && r.header && taken.has(r.header)) {
      throw headerError('DUPLICATE_COLUMN', `column "${r.header}" has the name of a field read from column "${headers[taken.get(r.header)!]}"`, at, 'Rename one of the two columns, or map the field to the other one.');
    }
  }
  const missing = required.filter((f) => !taken.has(f));
  if (missing.length > 0) {
    const unread = headers.filter((h, i) => h && !reads[i].field);
    const guesses = missing.map((f) => [f, nearestHeader(f, unread)] as const).filter(([, h]) => h);
    throw headerError(
      'MISSING_COLUMN',
      `missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
      at,
      [
        `A list needs these columns: ${required.join(', ')}; their names may be in any of the six languages ("E-mail", "Correo electrónico", "Prénom").`,
        guesses.length ? `If ${guesses.map(([f, h]) => `"${h}" is ${f}`).join(' and ')}, say so with --map ${guesses.map(([f, h]) => `${f}="${h}"`).join(' --map ')}, or under columns: in campaign.yaml (validate --suggest writes that block).` : '',
      ]
        .filter(Boolean)
        .join(' '),
    );
  }
  return reads;
}

/**
 * The field a header names with more around it ("E-mail (2022)", "New email", "Apellidos 2"), and
 * what more (folded: "2022", "new", "2"): one of the field's words (or its name) of five letters or
 * more ("mail" would make "Mailing list" one) at the start or the end of the header, figures aside.
 * Undefined when it names none, or is read as a field already.
 */
export function looselyNamed(header: string): { field: string; rest: string } | undefined {
  const folded = fold(header);
  const h = folded.replace(/\d+/g, '');
  if (!h || FIELDS.lookup(header)) return undefined;
  for (const [field, w] of LONG_FIELD_WORDS) {
    if (folded.startsWith(w)) return { field, rest: folded.slice(w.length) };
    if (folded.endsWith(w)) return { field, rest: folded.slice(0, -w.length) };
    if (h.startsWith(w) || h.endsWith(w)) return { field, rest: folded.replace(/\D+/g, '') };
  }
  return undefined;
}

/** The fields' names and words of five letters or more, folded, the longest first ("correoelectronico" before "correo"). */
const LONG_FIELD_WORDS: [string, string][] = Object.entries(FIELD_WORDS)
  .flatMap(([field, words]) => [field, ...words].map((w) => [field, fold(w)] as [string, string]))
  .filter(([, w]) => w.length >= 5)
  .sort((a, b) => b[1].length - a[1].length);

/** What a column added to replace another says it is, besides the field's name: a year, or "new" in the six languages. */
const REPLACING = new Set(['new', 'current', 'updated', 'latest', 'nuevo', 'nueva', 'actual', 'actualizado', 'nouveau', 'nouvelle', 'actuel', 'actuelle', 'новый', 'новая', '新', 'الجديد'].map(fold));

/**
 * The field a column seems added to replace, by its name: the field's with a year or "new" ("E-mail
 * (2022)", "New email", "Correo nuevo"), not a figure that numbers a second one ("Apellido 2") or
 * another word ("Country code").
 */
export function replacementFor(header: string): string | undefined {
  const named = looselyNamed(header);
  return named && (/^(?:19|20)\d\d$/.test(named.rest) || REPLACING.has(named.rest)) ? named.field : undefined;
}

/** The header nearest to a field's name or words, when near enough to suggest. */
export function nearestHeader(field: string, headers: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const h of headers) {
    const near = FIELDS.nearest(h);
    if (near.length === 1 && near[0] === field) {
      const d = Math.abs(fold(h).length - fold(field).length);
      if (d < bestD) {
        best = h;
        bestD = d;
      }
    }
  }
  return best;
}

/** What a value cell means, or why it means nothing known (with the nearest known codes). */
export type ValueRead<T> = { value: T; by?: 'mapping' | 'word' } | { unknown: string; nearest: string[] };

/** A qualifier in brackets after a name: "(UK)", "(national)", "（简体）". */
const BRACKETED = /[(（][^)）]*[)）]/g;

/** Words that qualify a language's name without changing which it is. */
const QUALIFIER_WORDS = new Set(['simplified', 'simplifié', 'simplificado', 'simplificada', 'language', 'langue', 'idioma', 'lengua', 'язык', '简体', '语言', 'اللغة']);

/**
 * A language's name without what qualifies it (a region or script in brackets, "language",
 * "Simplified"); undefined for a traditional script, which is another writing of the language.
 */
function withoutQualifier(word: string): string | undefined {
  if (/tradi|繁/i.test(word)) return undefined;
  return word
    .replace(BRACKETED, ' ')
    .split(/\s+/)
    .filter((w) => w && !QUALIFIER_WORDS.has(w.toLowerCase()))
    .join(' ');
}

/** Reads the group, language and gender cells of a row: the mapping's words first, then lettermerge's own. */
export class ValueReader {
  private readonly maps: Partial<Record<ValueField, Map<string, string>>> = {};

  constructor(mapping: ListMapping = {}) {
    for (const f of VALUE_FIELDS) {
      const words = mapping.values?.[f];
      if (words) this.maps[f] = new Map(Object.entries(words).map(([w, c]) => [fold(w), String(c).trim().toLowerCase()]));
    }
  }

  private mapped(field: ValueField, cell: string): string | undefined {
    return this.maps[field]?.get(fold(cell));
  }

  /**
   * A group: a code or a name, also with a qualifier in brackets ("Government (national)",
   * "International organization (UN)"), or as names of one group put together ("Civil society /
   * NGO").
   */
  group(cell: string): ValueRead<Group> {
    const m = this.mapped('group', cell);
    if (m !== undefined) return { value: m as Group, by: 'mapping' };
    const g = GROUP_TABLE.lookup(cell);
    if (g) return { value: g, by: fold(cell) === fold(g) ? undefined : 'word' };
    const parts = cell
      .replace(BRACKETED, ' ')
      .split(/[/|]/)
      .map((p) => p.trim())
      .filter(Boolean);
    const groups = new Set(parts.map((p) => (this.mapped('group', p) as Group | undefined) ?? GROUP_TABLE.lookup(p)));
    const [only] = groups;
    if (groups.size === 1 && only !== undefined) return { value: only, by: 'word' };
    return { unknown: cell, nearest: GROUP_TABLE.nearest(cell) };
  }

  /**
   * One language: a code, a locale tag or a name, with or without a qualifier ("English (UK)",
   * "Chinese (Simplified)", "Русский язык"; not "Traditional", which these letters are not in).
   */
  language(word: string): ValueRead<string> {
    return this.knownLanguage(word) ?? { unknown: word, nearest: LANGUAGE_TABLE.nearest(withoutQualifier(word) || word) };
  }

  /** The language a word means, or undefined (without looking for what it may have been meant for). */
  knownLanguage(word: string): Extract<ValueRead<string>, { value: string }> | undefined {
    const m = this.mapped('language', word);
    if (m !== undefined) return { value: m, by: 'mapping' };
    const l = languageOf(word);
    if (l) return { value: l, by: fold(word) === l ? undefined : 'word' };
    const plain = withoutQualifier(word);
    if (plain) {
      const pm = this.mapped('language', plain);
      if (pm !== undefined) return { value: pm, by: 'mapping' };
      const pl = languageOf(plain);
      if (pl) return { value: pl, by: 'word' };
    }
    return undefined;
  }

  gender(cell: string): ValueRead<Gender> {
    if (cell.trim() === '') return { value: '' };
    const m = this.mapped('gender', cell);
    if (m !== undefined) return { value: m === 'none' ? '' : (m as Gender), by: 'mapping' };
    const g = GENDER_TABLE.lookup(cell);
    if (g) return { value: g, by: fold(cell) === g ? undefined : 'word' };
    return { unknown: cell, nearest: GENDER_TABLE.nearest(cell) };
  }
}

/** A field's column as validate --suggest proposes it: named by the mapping, matched by its words, or guessed. */
export interface ColumnSuggestion {
  field: string;
  header: string;
  by: 'mapping' | 'match' | 'guess';
}

/**
 * How validate --suggest would read a file's columns: those the mapping names, those matched by
 * name or word (as reading does), and, for each core field still without a column, the nearest
 * header not yet read (a guess, for the user to confirm). Never throws: a header that two fields
 * would take is left to the error reading gives.
 */
export function suggestColumns(headers: string[], mapping: ListMapping, required: readonly string[]): ColumnSuggestion[] {
  const out: ColumnSuggestion[] = [];
  const used = new Set<number>();
  const fields = new Set<string>();
  for (const [field, wanted] of Object.entries(mapping.columns ?? {})) {
    const i = headers.findIndex((h) => h === wanted || fold(h) === fold(wanted));
    if (i >= 0) {
      out.push({ field, header: headers[i], by: 'mapping' });
      used.add(i);
      fields.add(field);
    }
  }
  for (const [i, h] of headers.entries()) {
    const field = h ? FIELDS.lookup(h) : undefined;
    if (!field || used.has(i) || fields.has(field)) continue;
    out.push({ field, header: h, by: 'match' });
    used.add(i);
    fields.add(field);
  }
  for (const field of required) {
    if (fields.has(field)) continue;
    const header = nearestHeader(field, headers.filter((h, i) => h && !used.has(i)));
    if (header === undefined) continue;
    out.push({ field, header, by: 'guess' });
    used.add(headers.indexOf(header));
    fields.add(field);
  }
  return out.sort((a, b) => headers.indexOf(a.header) - headers.indexOf(b.header));
}
