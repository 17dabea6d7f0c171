import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { streamRecipients } from '../data/recipients';
import type { Encoding } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { fileText } from '../files';
import { glyphError } from '../fonts/fonts';
import { DEFAULTS } from '../config';
import { Merger, missingColumns, templateFailure } from '../template/merge';
import type { MergedLetter } from '../template/merge';
import { attachmentsOf, emailTooLarge } from '../campaign/attachments';
import type { Recipient } from '../data/recipients';
import { problemOf } from '../problems';
import { ListNotes, lettersFor } from './plan';
import { parseLanguages } from '../i18n/language-list';
import type { Problem } from '../problems';
import { identityProblems, readSigningSource } from '../sign/identity';
import { layerMappings, suggestColumns } from '../data/mapping';
import type { ColumnRead, ListMapping, ListOptions } from '../data/mapping';
import { CORE_COLUMNS, problemsOf, readHeaders } from '../data/recipients';
import type { RowProblem } from '../data/recipients';
import { fold } from '../data/words';

export type { Problem };

export interface ValidateOptions extends ListOptions {
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
  /** A signing certificate (PKCS#12) to check as generate --sign would use it. */
  sign?: { file: string; password: string };
  /** Also write `suggestion`: a columns: and values: block for campaign.yaml, with what had to be guessed. */
  suggest?: boolean;
  /**
   * The languages generate makes (lang: in the config file): `letters` counts only theirs, and
   * `skipped` the others. Every row is checked all the same.
   */
  languages?: string[];
}

/** A word of a group, language or gender cell read as a code other than itself ("Gobierno" as government), and in how many rows. */
export interface WordRead {
  field: 'group' | 'language' | 'gender';
  word: string;
  value: string;
  rows: number;
}

export interface ValidateResult {
  csv: string;
  campaign: string;
  encoding?: Encoding;
  delimiter?: string;
  /** False when the campaign itself cannot be used: then the rows were not checked. */
  campaignUsable: boolean;
  rows: number;
  letters: number;
  /** Letters of languages generate would not make (see ValidateOptions.languages). */
  skipped: number;
  problems: Problem[];
  notices: string[];
  /** Things that are probably mistakes but do not stop generate: a letter naming an annex nothing attaches, say. */
  warnings: string[];
  /** The signer, when a signing certificate was given and opens. */
  signer?: { name: string; notBefore: string; notAfter: string; fingerprint: string; warning?: string };
  /** How each column was read (a field, or an extra column under its own name). */
  columns?: ColumnRead[];
  /** The words read as another code. */
  words: WordRead[];
  /** With `suggest`: the columns: and values: block to paste into campaign.yaml (YAML). */
  suggestion?: string;
}

/**
 * Checks everything generate would, writes nothing, and reports every problem at once: the file's
 * encoding and syntax, its columns (including every field the templates use), each row's values
 * (language, group, e-mail, lengths, characters the fonts cannot draw) and duplicate ids.
 */
/** The checks of one good row, through the same functions as each letter of generate. */
function checkRow(r: Recipient, merger: Merger, csv: string, annexes: AnnexCheck): Problem[] {
  const at = { file: csv, line: r.line, id: r.id };
  const glyphs = glyphError(r.fields);
  if (glyphs) return [problemOf(glyphs, 'row', at)];
  const problems: Problem[] = [];
  for (const language of r.languages) {
    try {
      annexes.see(merger.merge(r, language), r.group);
      tooLarge(annexes.campaign, language, r.group);
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      problems.push(problemOf(err, 'row', { ...at, language }));
    }
  }
  return problems;
}

/**
 * Whether letters and their attachments agree: a letter that names an annex ("Annex: …") should
 * have a file attached, and a file attached should be named by the letter. Told once for each
 * language and stakeholder group where they do not.
 */
class AnnexCheck {
  readonly warnings: string[] = [];
  private readonly seen = new Set<string>();
  constructor(readonly campaign: Campaign) {}

  see(letter: MergedLetter, group: string): void {
    const key = `${letter.lang.code}\0${group}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const files = attachmentsOf(this.campaign.attachments, letter.lang.code, group);
    const who = `letters in ${letter.lang.code} to ${group}`;
    if (letter.annex && files.length === 0) {
      this.warnings.push(`${who} name an annex ("${letter.annex}") but nothing is attached to their e-mails; add it under attachments: in campaign.yaml`);
    } else if (!letter.annex && files.length > 0) {
      this.warnings.push(`${who} have ${files.map((f) => f.filename).join(', ')} attached, but name no annex; add annex: to the letter's front matter`);
    }
  }
}

/**
 * The e-mail's size is known only once it is made, but the files attached as they are give a floor
 * (in base64, with its line breaks): when that alone is over email.max_bytes, generate would fail
 * the row, so validate says so now.
 */
function tooLarge(campaign: Campaign, language: string, group: string): void {
  const floor = attachmentsOf(campaign.attachments, language, group)
    .filter((f) => f.source === 'file')
    .reduce((n, f) => n + Math.ceil(f.bytes.length / 3) * 4 * (78 / 76), 0);
  if (floor > campaign.email.maxBytes) throw emailTooLarge(floor, campaign.email.maxBytes, true);
}

/** A Markdown annex with a character no font has would fail every letter it goes with: found here, once. */
function annexGlyphProblems(campaign: Campaign): Problem[] {
  const problems: Problem[] = [];
  const done = new Set<string>();
  for (const a of campaign.attachments) {
    for (const f of Object.values(a.byLanguage)) {
      if (f.source !== 'markdown' || done.has(f.file)) continue;
      done.add(f.file);
      const err = glyphError({ [f.written]: fileText(Buffer.from(f.bytes), f.file, { what: 'the annex' }) });
      if (err) problems.push(problemOf(err, 'file', { file: f.file }));
    }
  }
  return problems;
}

/**
 * The signing certificate, checked as generate --sign checks it before writing anything: it opens
 * with the password, holds a private key and its certificate, and the certificate is valid today
 * (a warning when it expires within 30 days).
 */
async function checkSigning(sign: { file: string; password: string }, result: ValidateResult): Promise<void> {
  try {
    const { openSigningIdentity } = await import('../sign/signing');
    const identity = await openSigningIdentity(readSigningSource(sign.file, sign.password));
    const { error, warning } = identityProblems(identity, new Date());
    if (error) result.problems.push({ scope: 'file', code: 'SIGNING', message: error, file: sign.file });
    result.signer = { name: identity.name, notBefore: identity.notBefore.toISOString(), notAfter: identity.notAfter.toISOString(), fingerprint: identity.fingerprint };
    if (warning) result.signer.warning = warning;
  } catch (err) {
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: sign.file }));
  }
}

/**
 * Checks everything generate would, writes nothing, and reports every problem at once: the
 * campaign, the file's encoding and syntax, its columns (including every field the templates use),
 * each row's values (language, group, e-mail, lengths, characters the fonts cannot draw) and
 * duplicate ids.
 */
export async function validate(options: ValidateOptions): Promise<ValidateResult> {
  const dir = path.resolve(options.campaign ?? DEFAULTS.campaign);
  const filter = parseLanguages(options.languages);
  const result: ValidateResult = { csv: options.csv, campaign: dir, campaignUsable: true, rows: 0, letters: 0, skipped: 0, problems: [], notices: [], warnings: [], words: [] };
  if (options.sign) await checkSigning(options.sign, result);
  let campaign: Campaign;
  let merger: Merger;
  try {
    campaign = loadCampaign(dir);
    merger = new Merger(campaign);
  } catch (err) {
    // A campaign that cannot be used is the problem to report; the rows cannot be checked against it.
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: path.join(dir, 'campaign.yaml') }));
    result.campaignUsable = false;
    return result;
  }
  result.problems.push(...annexGlyphProblems(campaign));
  const annexes = new AnnexCheck(campaign);
  const mapping = layerMappings(campaign.mapping, options.mapping);
  const words = new WordCount();
  const notes = new ListNotes(campaign);
  let templatesFit = true;
  let triedTemplates = false;
  try {
    for await (const item of streamRecipients(options.csv, { collect: true, sheet: options.sheet, mapping })) {
      if ('header' in item) {
        notes.header(item.header);
        result.columns = item.header.reads;
        result.encoding = item.header.encoding;
        result.delimiter = item.header.delimiter;
        const missing = missingColumns(campaign, item.header.columns, options.csv);
        result.problems.push(...missing);
        templatesFit = missing.length === 0;
        continue;
      }
      if (!('fileProblem' in item && item.whole)) result.rows++;
      if ('fileProblem' in item) result.problems.push(problemOf(item.fileProblem, 'file', { file: options.csv }));
      else if ('problem' in item) {
        result.problems.push(...problemsOf(item));
        // A good row's characters are checked with its letters (checkRow); a row that failed on
        // its values is checked here too, so that one run tells all it must change. (A row whose
        // text cannot be read, or is too long, stops at that.)
        const readable = item.problem.code !== 'BAD_TEXT' && item.problem.code !== 'BAD_ID' && (item.problem.code !== 'FIELD_TOO_LONG' || item.problem.field === 'address');
        const glyphs = readable ? glyphError(item.fields) : undefined;
        if (glyphs) result.problems.push(problemOf(glyphs, 'row', { file: item.problem.file ?? options.csv, sheet: item.problem.sheet, line: item.problem.line, id: item.problem.id }));
      }
      else {
        words.see(item.recipient);
        notes.see(item.recipient);
        // A template that fails for the first row is told once, as generate would stop for it.
        const failure = templatesFit && !triedTemplates ? templateFailure(merger, item.recipient, options.csv) : undefined;
        triedTemplates = true;
        if (failure) {
          result.problems.push(problemOf(failure, 'file'));
          templatesFit = false;
        }
        const problems = templatesFit ? checkRow(item.recipient, merger, options.csv, annexes) : [];
        result.problems.push(...problems);
        if (problems.length === 0) {
          const scoped = lettersFor(item.recipient, { filter });
          result.letters += scoped.languages.length;
          result.skipped += scoped.skipped;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof LetterMergeError) || err.kind === 'usage') throw err;
    result.problems.push(problemOf(err, 'file', { file: options.csv }));
  }
  result.warnings.push(...annexes.warnings);
  result.notices.push(...notes.notices());
  result.words = words.list();
  if (options.suggest) result.suggestion = await suggestion(options, mapping, campaign.file);
  result.problems.sort((a, b) => (a.file === options.csv ? 1 : 0) - (b.file === options.csv ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0));
  return result;
}

/** Counts the words of group, language and gender cells that were read as another code. */
class WordCount {
  private readonly counts = new Map<string, WordRead>();

  see(r: Recipient): void {
    (r.languageWords ?? []).forEach((w, i) => this.add('language', w, r.languageReads?.[i] ?? ''));
    this.add('group', r.fields.group, r.group);
    if (r.fields.gender.trim()) this.add('gender', r.fields.gender, r.gender || 'none');
  }

  private add(field: WordRead['field'], word: string, value: string): void {
    if (fold(word) === fold(value)) return;
    const key = `${field}\0${word}`;
    const c = this.counts.get(key);
    if (c) c.rows++;
    else this.counts.set(key, { field, word, value, rows: 1 });
  }

  list(): WordRead[] {
    return [...this.counts.values()];
  }
}

/** A YAML string, double-quoted (a header or word may hold ":", "#" or quotes). */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * The columns: and values: block validate --suggest prints, ready to paste into campaign.yaml:
 * every column read as a field (by the mapping, by its name's word, or guessed as the nearest
 * header for a missing field), and a value map for each word lettermerge had to guess (the
 * nearest code), with the rows it is in. A word near to none, or as near to two codes, is
 * written commented out with the choices: nothing is chosen for the user.
 */
async function suggestion(options: ValidateOptions, mapping: ListMapping, campaignFile: string): Promise<string> {
  let headers: string[];
  try {
    headers = await readHeaders(options.csv, options.sheet);
  } catch {
    return '';
  }
  const columns = suggestColumns(headers, mapping, CORE_COLUMNS);
  // No column to read as a field (a title where the column names should be): an empty columns:
  // block pasted into campaign.yaml would only hide the problem validate reports.
  if (columns.length === 0) return `# Nothing to suggest: no column named in the first row of ${path.basename(options.csv)} reads as a field of a letter (see the problem above).\n`;
  const guessedMapping = layerMappings(mapping, { columns: Object.fromEntries(columns.map((c) => [c.field, c.header])) });
  // The rows again, read with the guessed columns: their unknown words, each with its nearest codes.
  const unknown = new Map<string, { field: string; word: string; nearest: string[]; rows: number }>();
  try {
    for await (const item of streamRecipients(options.csv, { collect: true, sheet: options.sheet, mapping: guessedMapping })) {
      const row = item as RowProblem;
      for (const u of [row.unknown, ...(row.also ?? []).map((a) => a.unknown)]) {
        if (!u) continue;
        const key = `${u.field}\0${u.word}`;
        const seen = unknown.get(key);
        if (seen) seen.rows++;
        else unknown.set(key, { ...u, rows: 1 });
      }
    }
  } catch {
    // The file cannot be read even so: the columns are all there is to suggest.
  }
  const lines = [`# How to read ${path.basename(options.csv)}: paste into ${path.basename(campaignFile)} (or lettermerge.config.yaml), check, and edit.`];
  const width = Math.max(0, ...columns.map((c) => `  ${c.field}: ${yamlString(c.header)}`.length));
  lines.push('columns:');
  for (const c of columns) {
    const line = `  ${c.field}: ${yamlString(c.header)}`;
    const how = c.by === 'mapping' ? 'as mapped' : c.by === 'match' ? (fold(c.header) === fold(c.field) ? 'its name' : 'a word for it') : 'GUESSED: the nearest header; check it';
    lines.push(`${line.padEnd(width)}  # ${how}`);
  }
  const byField = new Map<string, string[]>();
  for (const [field, words] of Object.entries(mapping.values ?? {})) {
    for (const [word, code] of Object.entries(words ?? {})) (byField.get(field) ?? byField.set(field, []).get(field)!).push(`    ${yamlString(word)}: ${code}  # as mapped`);
  }
  for (const u of unknown.values()) {
    const rows = `${u.rows} row${u.rows === 1 ? '' : 's'}`;
    const entry =
      u.nearest.length === 1
        ? `    ${yamlString(u.word)}: ${u.nearest[0]}  # GUESSED (${rows}): the nearest; check it`
        : u.nearest.length > 1
          ? `    # ${yamlString(u.word)}: ${u.nearest.join(' or ')}  (${rows}): as near to each; choose one and remove the #`
          : `    # ${yamlString(u.word)}: ?  (${rows}): near to nothing lettermerge knows; write its code and remove the #`;
    (byField.get(u.field) ?? byField.set(u.field, []).get(u.field)!).push(entry);
  }
  if (byField.size > 0) {
    lines.push('values:');
    for (const [field, entries] of byField) lines.push(`  ${field}:`, ...entries);
  }
  return `${lines.join('\n')}\n`;
}

