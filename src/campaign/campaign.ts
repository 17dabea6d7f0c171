import { mappingProblem } from '../data/mapping';
import type { ListMapping } from '../data/mapping';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter, isMap } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { parseMailbox, parseMailboxList, addressProblem } from '../data/address';
import type { Mailbox } from '../data/address';
import { idProblem, isDeviceName } from '../data/ids';
import { LetterMergeError } from '../errors';
import { sourceDateEpoch } from '../source-date';
import { fileText, readRegularFile, readTextFile } from '../files';
import { GROUPS, LABEL_PLACEHOLDERS, isGroup, isSupportedLanguage, language, supportedLanguages } from '../i18n/languages';
import type { Labels } from '../i18n/languages';
import { campaignSchema, knownKeys } from './schema';
import { didYouMean, linesBefore, shortened } from '../text/suggest';
import type { CampaignFile } from './schema';
import { ATTACHMENT_MAX_BYTES, EMAIL_MAX_BYTES, describeFile, sha256 } from './attachments';
import type { AttachmentFile, CampaignAttachment } from './attachments';
import { loadSignatureImage } from './signature';
import type { SignatureImage } from './signature';
import type { Localised } from './localised';
import { localise } from './localised';
import { readTemplateText, yamlValue } from './template-text';
import { deadLinksIn, foreignMarkdownIn, htmlHint, htmlIn, markupIn } from '../markup/markdown';
import { yamlLine } from './yaml-lines';
import type { KeyPath } from './yaml-lines';
import type { TemplateSource } from './template-text';

export { readTemplateText, yamlValue };
export type { TemplateSource };
export type { Localised } from './localised';


export interface CampaignLanguage {
  code: string;
  letter: TemplateSource;
  email: TemplateSource;
}

export interface Campaign {
  dir: string;
  file: string;
  id: string;
  /** The date printed on every letter, at midnight local time of that calendar day. */
  date: Date;
  /**
   * The city the letters are sent from, before the date: one name (a city lettermerge knows, such
   * as Geneva, is written in each language's own way) or one per language; empty: the date alone.
   */
  place: Localised;
  defaultLanguage: string;
  /** The values given per language that lack one of the campaign's languages, which then prints the default language's (see borrowedValues). */
  borrowed: Borrowed[];
  languages: string[];
  reference: Localised;
  letterhead: { organization: Localised; footer: Localised };
  sender: { office: Localised; name: Localised; title: Localised; signature?: { file: string; image: SignatureImage } };
  contact: { name: Localised; telephone: string; fax: string; email: string };
  email: {
    from?: string;
    /** Copied on every e-mail (email.cc), and sent without appearing in it (email.bcc): an archive, say. */
    cc: Mailbox[];
    bcc: Mailbox[];
    replyTo?: Mailbox;
    /** The largest message (.eml) lettermerge writes; a larger one fails its row. */
    maxBytes: number;
  };
  /** Files attached to the e-mails after the letter. */
  attachments: CampaignAttachment[];
  /** How a recipients list's columns and values are read (columns:, values:): the config file and --map go over it. */
  mapping: ListMapping;
  labels: Record<string, Partial<Labels>>;
  templates: Record<string, CampaignLanguage>;
  /**
   * For each language, sha256 of everything the campaign's letters in it are made from:
   * campaign.yaml, the signature, the letter date and that language's templates. Part of each
   * letter's key for --resume.
   */
  hashes: Record<string, string>;
}

/** A date from SOURCE_DATE_EPOCH (milliseconds since 1970 UTC, see sourceDateEpoch), as a local calendar day. */
function dateFromEpoch(ms: number): Date {
  const d = new Date(ms);
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** A campaign.yaml larger than this is not a campaign description. */
const CAMPAIGN_MAX_BYTES = 1024 * 1024;
/** Nor is a template larger than this a letter. */
const TEMPLATE_MAX_BYTES = 1024 * 1024;
/** What a letter template's front matter may set. */
const LETTER_FRONT = ['subject', 'annex', 'closing'];

/** campaign.yaml parsed, with line numbers for every key, for messages that point at the line. */
class YamlSource {
  private readonly lines = new LineCounter();
  readonly doc: Document;
  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      throw new LetterMergeError('CAMPAIGN_YAML', `campaign.yaml is not valid YAML: ${err.message.split('\n')[0]}`, {
        location: { file, line: pos.line, column: pos.col },
      });
    }
    if (!isMap(this.doc.contents)) {
      throw new LetterMergeError('CAMPAIGN_YAML', 'campaign.yaml must be a mapping of keys to values', { location: { file, line: 1 } });
    }
  }

  /** The line of the deepest node along `keys` that exists; of the key itself when `key` is set. */
  lineOf(keys: KeyPath, key?: string): number {
    return yamlLine(this.doc, this.lines, keys, key);
  }

  /** Fails at the line of `keys` (or of `key` under it); the message names the key itself. */
  fail(keys: KeyPath, message: string, hint?: string, key?: string): never {
    throw new LetterMergeError('CAMPAIGN', message, { location: { file: this.file, line: this.lineOf(keys, key) }, hint });
  }
}

/** The first zod issue as a message at its key's line. */
function schemaError(src: YamlSource, issues: z.core.$ZodIssue[]): never {
  // For a union (text or a map), report the branch that got furthest into the value.
  let issue = issues[0];
  while (issue.code === 'invalid_union' && issue.errors.length) {
    const branches = issue.errors.filter((b) => b.length > 0);
    const deepest = branches.reduce((a, b) => (Math.max(...b.map((i) => i.path.length)) > Math.max(...a.map((i) => i.path.length)) ? b : a), branches[0]);
    if (!deepest || Math.max(...deepest.map((i) => i.path.length)) === 0) break;
    issue = { ...deepest[0], path: [...issue.path, ...deepest[0].path] } as z.core.$ZodIssue;
  }
  const keys = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
  const name = keys.join('.');
  if (issue.code === 'unrecognized_keys') {
    const typed = issue.keys[0];
    const known = knownKeys(campaignSchema, keys);
    const guess = didYouMean(typed, known);
    const where = name ? ` in ${name}` : '';
    return src.fail(
      keys,
      `unknown key "${typed}"${where}${guess ? `; did you mean "${guess}"?` : ''}`,
      `The keys${where || ' at the top level'} are: ${known.join(', ')}.`,
      typed,
    );
  }
  const value = src.doc.getIn(keys, false);
  if (value === undefined || value === null) return src.fail(keys, `${name} is required`);
  return src.fail(keys, `${name} ${issue.message.replace(/^Invalid input: /, '')}`);
}

/** Checks that every map from language code to text names only languages lettermerge knows. */
function checkLanguageKeys(src: YamlSource, data: CampaignFile): void {
  const known = supportedLanguages();
  const visit = (value: unknown, keys: KeyPath) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' && !isSupportedLanguage(k)) {
        const guess = didYouMean(k, known);
        src.fail(keys, `${keys.join('.')}: "${k}" is not a language code${guess ? `; did you mean "${guess}"?` : ''}`, `A value that differs by language maps language codes (${known.join(', ')}) to text.`, k);
      }
    }
  };
  visit(data.place, ['place']);
  visit(data.reference, ['reference']);
  visit(data.letterhead.organization, ['letterhead', 'organization']);
  visit(data.letterhead.footer, ['letterhead', 'footer']);
  for (const k of ['office', 'name', 'title'] as const) visit(data.sender[k], ['sender', k]);
  visit(data.contact.name, ['contact', 'name']);
  for (const group of ['labels', 'templates'] as const) {
    for (const code of Object.keys(data[group] ?? {})) {
      if (!isSupportedLanguage(code)) src.fail([group], `${group}: "${code}" is not a language code`, `Known: ${known.join(', ')}.`, code);
    }
  }
  for (const [code, labels] of Object.entries(data.labels ?? {})) {
    for (const [name, value] of Object.entries(labels as Record<string, unknown>)) {
      if (typeof value === 'string') checkLabel(src, code, name as keyof Labels, value);
    }
  }
}

/**
 * A label override keeps its place for a value, and has no other: "Page" for pageNumber would
 * print the same word on every page, and "{page}" or a closing with "{name}" would print as typed.
 */
function checkLabel(src: YamlSource, code: string, name: keyof Labels, value: string): void {
  const keys = ['labels', code, name];
  const own = LABEL_PLACEHOLDERS[name];
  const stray = [...value.matchAll(/\{[^{}\s]*\}/g)].map((m) => m[0]).find((p) => p !== own?.placeholder);
  if (stray) {
    src.fail(keys, `labels.${code}.${name} holds ${stray}, which lettermerge does not fill${own ? `: its place for ${own.value} is ${own.placeholder}` : ': a label is printed as it is written'}`);
  }
  if (own && !value.includes(own.placeholder)) {
    src.fail(keys, `labels.${code}.${name} has no ${own.placeholder}: ${own.value} would not show, and every ${name === 'pageNumber' ? 'page' : 'letter'} would read "${value}"`, `Write ${own.placeholder} where ${own.value} goes, e.g. "${language(code).labels[name]}".`);
  }
}

function required(src: YamlSource, keys: KeyPath, value: string | Record<string, string> | undefined): void {
  if (value === undefined || value === '' || (typeof value === 'object' && Object.values(value).every((v) => v === ''))) {
    src.fail(keys, `${keys.join('.')} is required`);
  }
}

function parseDate(src: YamlSource, raw: string | Date | undefined): Date {
  if (raw === undefined || raw === '') {
    const epoch = sourceDateEpoch();
    if (epoch !== undefined) return dateFromEpoch(epoch);
    return src.fail(['date'], 'date is required', 'Write the letter date as YYYY-MM-DD, e.g. date: 2021-09-03.');
  }
  const text = raw instanceof Date ? raw.toISOString().slice(0, 10) : raw;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return src.fail(['date'], `date "${text}" is not YYYY-MM-DD`);
  // A year out of these is a slip of the keys (0021 for 2021); before 100, Date also reads it as 19xx.
  if (Number(m[1]) < 1900 || Number(m[1]) > 2999) return src.fail(['date'], `date "${text}": the year ${m[1]} is not one a letter is dated (1900 to 2999)`);
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (d.getMonth() !== Number(m[2]) - 1) return src.fail(['date'], `date "${text}" is not a calendar day`);
  return d;
}


export function readTemplate(file: string, plain = false): TemplateSource {
  const text = readTextFile(file, {
    what: 'the template',
    maxBytes: TEMPLATE_MAX_BYTES,
    hint: 'Each campaign language needs <lang>/letter.md and <lang>/email.txt, or paths under templates: in campaign.yaml.',
  });
  return readTemplateText(text, file, plain);
}


/** email: in campaign.yaml: the sender, copies, reply address and largest message, each checked. */
function emailSettings(src: YamlSource, data: CampaignFile): Campaign['email'] {
  const e = data.email ?? {};
  if (e.from !== undefined) {
    const from = parseMailbox(e.from);
    if (typeof from === 'string') src.fail(['email', 'from'], `email.from: ${from}`, 'For example: from: "WSIS Trust Fund <wsis-fund@example.org>"');
  }
  const list = (key: 'cc' | 'bcc'): Mailbox[] => {
    const value = e[key];
    if (value === undefined) return [];
    const boxes = parseMailboxList(Array.isArray(value) ? value.join(', ') : value);
    if (typeof boxes === 'string') return src.fail(['email', key], `email.${key}: ${boxes}`, 'For example: bcc: archive@example.org, or a list of addresses.');
    return boxes;
  };
  let replyTo: Mailbox | undefined;
  if (e.reply_to !== undefined) {
    const box = parseMailbox(e.reply_to);
    if (typeof box === 'string') src.fail(['email', 'reply_to'], `email.reply_to: ${box}`);
    replyTo = box;
  }
  const maxBytes = e.max_bytes ?? EMAIL_MAX_BYTES;
  if (maxBytes < 1000) src.fail(['email', 'max_bytes'], `email.max_bytes: ${maxBytes} bytes is too small for any letter`, 'Mail servers commonly take 10 MB to 25 MB: max_bytes: 10 MB.');
  return { from: e.from || undefined, cc: list('cc'), bcc: list('bcc'), ...(replyTo ? { replyTo } : {}), maxBytes };
}

/**
 * An item of attachments: as written, a path, a map from language to path, or those under file:
 * with a name: and groups: (`nested`).
 */
function attachmentSpec(item: unknown): { file: string | Record<string, string>; name?: Localised; groups?: string[]; nested: boolean } {
  if (item !== null && typeof item === 'object' && 'file' in item && !Array.isArray(item)) return { ...(item as { file: string | Record<string, string>; name?: Localised; groups?: string[] }), nested: true };
  return { file: item as string | Record<string, string>, nested: false };
}

/**
 * attachments: in campaign.yaml, each resolved for every language of the campaign (a language
 * without its own file gets the default language's) and read now, so a missing or unreadable
 * file stops validate and generate before anything is written. Files must be inside the campaign
 * folder: a campaign is self-contained, and copying it copies what it sends.
 */
function loadAttachments(src: YamlSource, absDir: string, data: CampaignFile, languages: string[], defaultLanguage: string): CampaignAttachment[] {
  const read = new Map<string, AttachmentFile>();
  return (data.attachments ?? []).map((item, i) => {
    const keys: KeyPath = ['attachments', i];
    const where = `attachments[${i}]`;
    const spec = attachmentSpec(item);
    const fileKeys: KeyPath = spec.nested ? keys : [...keys, 'file'];
    if (typeof spec.file === 'object') {
      for (const code of Object.keys(spec.file)) {
        if (!isSupportedLanguage(code)) {
          const guess = didYouMean(code, supportedLanguages());
          src.fail(fileKeys, `${where}: "${code}" is not a language code${guess ? `; did you mean "${guess}"?` : ''}`, `Known: ${supportedLanguages().join(', ')}.`, code);
        }
      }
    }
    for (const group of spec.groups ?? []) {
      if (!isGroup(group)) src.fail([...keys, 'groups'], `${where}.groups: unknown group "${group}" (known: ${GROUPS.join(', ')})`);
    }
    const byLanguage: Record<string, AttachmentFile> = {};
    for (const code of languages) {
      const written = typeof spec.file === 'string' ? spec.file : (spec.file[code] ?? spec.file[defaultLanguage]);
      if (!written) {
        src.fail(fileKeys, `${where} has no file for "${code}", nor for the default language "${defaultLanguage}"`, `Give a file for ${code}, or one for ${defaultLanguage} that the other languages use.`);
      }
      const name = spec.name === undefined ? undefined : localise(spec.name, code, defaultLanguage) || undefined;
      // The name the recipient's mail program saves the file under: a path in it ("../x") was
      // sent as it was.
      if (name !== undefined && /[/\\]/.test(name)) {
        src.fail([...keys, 'name'], `${where}.name: "${name}" holds a / or \\; it is the file name the recipient sees, not a path`, 'Write the name alone, e.g. "Partnership Packages 2022".');
      }
      const unsaveable = name === undefined ? undefined : attachmentNameProblem(name);
      if (unsaveable) src.fail([...keys, 'name'], `${where}.name: "${shortened(name!)}" ${unsaveable}`, 'Write a short name of words, e.g. "Partnership Packages 2022".');
      byLanguage[code] = attachmentFile(src, fileKeys, where, absDir, written, name, read);
    }
    return { byLanguage, ...(spec.groups ? { groups: spec.groups } : {}), line: src.lineOf(keys) ?? 1 };
  });
}

/** The longest attachment name, in characters: file systems take 255 bytes, Windows paths 260 characters in all. */
const MAX_ATTACHMENT_NAME = 120;

/**
 * What keeps a recipient from saving an attachment under `name` (the name of the file in their
 * mail program), or undefined: an empty name, a name Windows keeps for a device ("CON", which it
 * keeps with any extension), or a name too long to be a file's.
 */
function attachmentNameProblem(name: string): string | undefined {
  if (!name.trim()) return 'is blank: the file would be saved as ".pdf"';
  if (isDeviceName(name.trim())) return 'is a name Windows keeps for a device: a recipient on Windows could not save the file';
  if ([...name].length > MAX_ATTACHMENT_NAME) return `is ${[...name].length} characters long: a file name of more than ${MAX_ATTACHMENT_NAME} may not be saved whole`;
  return undefined;
}

/** The file a path leads to, links followed; undefined when there is none (the read that follows says so). */
function realPath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** Whether `file` lies outside the folder `dir` (not a name beginning with two dots in it). */
function isOutside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/**
 * What keeps `written` (a path in campaign.yaml, relative to the campaign folder) from being one
 * of the campaign's own files, or undefined: it names a place outside the folder, or a link (to
 * a file, or one of its folders) takes it there. A campaign is self-contained: copying it copies
 * what it sends, and a campaign from elsewhere (a repository, an archive, which keep their links)
 * cannot have a key or a list of passwords sent to every recipient.
 */
function outsideCampaign(absDir: string, written: string): string | undefined {
  const file = path.resolve(absDir, written);
  if (isOutside(absDir, file)) return `${written} is outside the campaign folder`;
  const real = realPath(file);
  if (real !== undefined && isOutside(realPath(absDir) ?? absDir, real)) return `${written} is a link to ${real}, outside the campaign folder`;
  return undefined;
}

function attachmentFile(src: YamlSource, keys: KeyPath, where: string, absDir: string, written: string, name: string | undefined, read: Map<string, AttachmentFile>): AttachmentFile {
  const file = path.resolve(absDir, written);
  const outside = outsideCampaign(absDir, written);
  if (outside) src.fail(keys, `${where}: ${outside}`, 'Put the files to attach in the campaign folder (e.g. annex/), copies and not links, and name them relative to it.');
  const described = describeFile(written, name);
  const known = read.get(file);
  if (known) return { ...known, ...described };
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, { what: `the attachment ${written}`, maxBytes: ATTACHMENT_MAX_BYTES });
  } catch (err) {
    if (!(err instanceof LetterMergeError)) throw err;
    return src.fail(keys, `${where}: ${err.message}`, err.hint);
  }
  if (described.source === 'markdown') {
    let text: TemplateSource;
    try {
      text = readTemplateText(fileText(bytes, file, { what: 'the annex' }), file);
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      return src.fail(keys, `${where}: ${written}, line ${err.location.line ?? 1}: ${err.message}`, err.hint);
    }
    if (!text.front.title?.trim()) src.fail(keys, `${where}: ${written} has no title in its front matter`, 'A Markdown annex starts with:\n---\ntitle: The title of the document\n---');
    // An annex is the same for every recipient: "{{first_name}}" in it would be printed as typed.
    const field = /\{\{[^{}]*\}\}/.exec(text.body);
    if (field) {
      const line = text.bodyLine + linesBefore(text.body, field.index);
      src.fail(keys, `${where}: ${written}, line ${line}: ${field[0]} would be printed as it is: an annex is the same for every recipient, and its text is not a template`, "What differs by recipient goes in the letter (<language>/letter.md); an annex holds what is the same for all.");
    }
    const [html] = htmlIn(text.body);
    if (html) {
      src.fail(keys, `${where}: ${written}, line ${html.line + text.bodyLine}: ${shortened(html.html, 40)} is HTML, which the annex would print as typed: its text is Markdown`, htmlHint(html.html));
    }
    const [foreign] = foreignMarkdownIn(text.body);
    if (foreign) {
      src.fail(keys, `${where}: ${written}, line ${foreign.line + text.bodyLine}: ${foreign.what}, which the annex would print as typed${foreign.looks ?? ''}`, foreign.hint);
    }
    const [dead] = deadLinksIn(text.body);
    if (dead) {
      src.fail(keys, `${where}: ${written}, line ${dead.line + text.bodyLine}: the link "${dead.text}" to "${dead.href}" would not be a live link in the annex: its links go to the web (https://…) and to e-mail addresses (mailto:…)`, 'Write the whole address, e.g. https://www.example.org/packages.');
    }
  }
  const f: AttachmentFile = { file, written, ...described, bytes, sha256: sha256(bytes) };
  read.set(file, f);
  return f;
}

function campaignFolder(dir: string): string {
  const absDir = path.resolve(dir);
  let st;
  try {
    st = statSync(absDir);
  } catch {
    // reported below
  }
  if (!st?.isDirectory()) {
    // A file given for the folder (its campaign.yaml, or the recipients list in the wrong place) is said to be one.
    const yaml = st !== undefined && /\.ya?ml$/i.test(dir);
    const what = !st ? 'campaign folder not found' : yaml ? 'the campaign is the folder that holds campaign.yaml, not the file itself' : 'the campaign folder given is a file, not a folder';
    throw new LetterMergeError('CAMPAIGN_NOT_FOUND', `${what}: ${dir}`, {
      kind: 'usage',
      hint: yaml ? `Pass --campaign ${path.dirname(dir)}.` : 'Pass --campaign with a folder that holds campaign.yaml, or leave it out to use the built-in sample.',
    });
  }
  return absDir;
}

/**
 * Loads and checks a campaign folder once, and every file it names: campaign.yaml against its
 * schema, the addresses, the templates and the signature image. Everything after this can trust
 * the campaign's shape; a problem here is a problem of the whole input (exit 3), found by
 * `validate` and by `generate` before anything is written.
 */
/** A value of campaign.yaml given per language without one of the campaign's languages: that language's letters or e-mails take the default language's. */
export interface Borrowed {
  /** Where it is written: "reference", "attachments[0] file". */
  what: string;
  line: number;
  language: string;
  /** The default language, whose value is taken; its value, or undefined when it has none either (the letters have none there). */
  from: string;
  value?: string;
  kind: 'text' | 'file';
}

/**
 * The values campaign.yaml gives per language that lack one of the campaign's languages: its
 * letters print the default language's (a Spanish reference in the French letters), and its
 * e-mails carry the default language's annex, named in their own language if the name has one.
 * That is meant for a name written alike in every language; otherwise a language added to the
 * campaign later and left out of a map. The sender's name is not listed: a name is most often
 * one for all. Said as a note by validate, generate and proof, for the languages the list has.
 */
function borrowedValues(src: YamlSource, data: CampaignFile, languages: string[], defaultLanguage: string): Borrowed[] {
  const found: Borrowed[] = [];
  // The line of the key ("reference:"), not of the map's first entry under it.
  const lineOf = (keys: KeyPath) => {
    const last = keys[keys.length - 1];
    return typeof last === 'string' ? src.lineOf(keys.slice(0, -1), last) : src.lineOf(keys);
  };
  const check = (value: unknown, keys: KeyPath, what: string, kind: Borrowed['kind']) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const map = value as Record<string, string>;
    for (const language of languages) {
      if (Object.hasOwn(map, language)) continue;
      found.push({ what, line: lineOf(keys), language, from: defaultLanguage, ...(Object.hasOwn(map, defaultLanguage) ? { value: map[defaultLanguage] } : {}), kind });
    }
  };
  check(data.place, ['place'], 'place', 'text');
  check(data.reference, ['reference'], 'reference', 'text');
  check(data.letterhead.organization, ['letterhead', 'organization'], 'letterhead.organization', 'text');
  check(data.letterhead.footer, ['letterhead', 'footer'], 'letterhead.footer', 'text');
  check(data.sender.office, ['sender', 'office'], 'sender.office', 'text');
  check(data.sender.title, ['sender', 'title'], 'sender.title', 'text');
  check(data.contact.name, ['contact', 'name'], 'contact.name', 'text');
  (data.attachments ?? []).forEach((item, i) => {
    const spec = attachmentSpec(item);
    check(spec.file, spec.nested ? ['attachments', i, 'file'] : ['attachments', i], `attachments[${i}]${spec.nested ? '.file' : ''}`, 'file');
    check(spec.name, ['attachments', i, 'name'], `attachments[${i}].name`, 'text');
  });
  return found;
}

function isEmptyFolder(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

export function loadCampaign(dir: string): Campaign {
  const absDir = campaignFolder(dir);
  const file = path.join(absDir, 'campaign.yaml');
  // A folder inside a campaign (its "es" folder) given for the campaign: the one above is named;
  // a folder that is no campaign at all: how one is made.
  const above = path.join(path.dirname(absDir), 'campaign.yaml');
  const hint = existsSync(file)
    ? undefined
    : existsSync(above)
      ? `The folder above holds one: pass --campaign ${path.dirname(absDir)}.`
      : `A campaign is a folder with campaign.yaml and a letter per language: "lettermerge init ${isEmptyFolder(absDir) ? absDir : '<new folder>'}" writes one from the sample, to edit.`;
  const use = { what: 'campaign.yaml', maxBytes: CAMPAIGN_MAX_BYTES, ...(hint ? { hint } : {}) };
  const bytes = readRegularFile(file, use);
  const base = createHash('sha256').update(bytes);
  const src = new YamlSource(file, fileText(bytes, file, use));
  const parsed = campaignSchema.safeParse(yamlValue(src.doc, file, 'campaign.yaml'));
  if (!parsed.success) schemaError(src, parsed.error.issues);
  const data = parsed.data;
  checkLanguageKeys(src, data);

  const idIssue = idProblem(data.id, 'the campaign id');
  if (idIssue) src.fail(['id'], idIssue, 'The campaign id names the files attached to the e-mails.');
  const languages = data.languages.map((l) => l.toLowerCase());
  for (const [i, l] of languages.entries()) {
    if (!isSupportedLanguage(l)) src.fail(['languages', i], `languages: unknown language "${l}" (known: ${supportedLanguages().join(', ')})`);
  }
  const defaultLanguage = (data.default_language || languages[0]).toLowerCase();
  if (!languages.includes(defaultLanguage)) src.fail(['default_language'], `default_language "${defaultLanguage}" is not one of the campaign's languages`);
  required(src, ['letterhead', 'organization'], data.letterhead.organization);
  required(src, ['sender', 'name'], data.sender.name);
  const contactProblem = addressProblem(data.contact.email);
  if (contactProblem) src.fail(['contact', 'email'], `contact.email: ${contactProblem}`);

  let signature: Campaign['sender']['signature'];
  if (data.sender.signature) {
    const sigFile = path.resolve(absDir, data.sender.signature);
    try {
      signature = { file: sigFile, image: loadSignatureImage(sigFile) };
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      src.fail(['sender', 'signature'], `sender.signature: ${err.message.replace(/^the signature image/, `the signature image ${data.sender.signature}`)}`, err.hint);
    }
    base.update(readRegularFile(sigFile, { what: 'the signature image' }));
  }

  const email = emailSettings(src, data);
  base.update(`\0email\0${JSON.stringify(email)}`);
  const attachments = loadAttachments(src, absDir, data, languages, defaultLanguage);

  const mapping: ListMapping = { columns: data.columns ?? {}, values: data.values ?? {} };
  const badMapping = mappingProblem(mapping);
  if (badMapping) src.fail(badMapping.at, badMapping.message, badMapping.hint, badMapping.key);

  const date = parseDate(src, data.date);
  base.update(`\0date\0${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`);
  const templates: Record<string, CampaignLanguage> = {};
  const hashes: Record<string, string> = {};
  for (const code of languages) {
    const paths = data.templates?.[code] ?? {};
    // The templates are the campaign's own, as its attachments are: a file from outside it would
    // go, merged, into every letter or e-mail of the language.
    const template = (kind: 'letter' | 'email', written: string) => {
      const file = path.resolve(absDir, written);
      const outside = outsideCampaign(absDir, written);
      if (outside) {
        const hint = 'Copy the template into the campaign folder (e.g. <lang>/letter.md), and name it relative to it.';
        if (paths[kind] !== undefined) src.fail(['templates', code, kind], `templates.${code}.${kind}: ${outside}`, hint);
        throw new LetterMergeError('TEMPLATE', `the ${kind === 'email' ? 'e-mail' : kind} template ${outside}`, { location: { file }, hint });
      }
      return readTemplate(file, kind === 'email');
    };
    const letter = template('letter', paths.letter ?? `${code}/letter.md`);
    for (const key of Object.keys(letter.frontLines ?? {})) {
      if (LETTER_FRONT.includes(key)) continue;
      const guess = didYouMean(key, LETTER_FRONT);
      throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `the letter template's front matter sets "${key}", which lettermerge does not use${guess ? `; did you mean ${guess}?` : ''}`, {
        location: { file: letter.file, line: letter.frontLines?.[key] ?? 1 },
        hint: `The front matter of a letter sets ${LETTER_FRONT.join(', ')}. A note to yourself can follow a "#".`,
      });
    }
    for (const key of LETTER_FRONT) {
      // A line of plain text: "**bold**" or "<b>" in it was printed as typed (in the subject, also in the e-mail's subject and the PDF's title).
      const markup = markupIn(letter.front[key] ?? '');
      if (!markup) continue;
      throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `the "${key}" in the letter template's front matter holds ${markup}, which would be printed as typed: it is a line of plain text${key === 'subject' ? ', also the e-mail\'s subject and the PDF\'s title' : ''}`, {
        location: { file: letter.file, line: letter.frontLines?.[key] ?? 1 },
        hint: `Write it without the marks: the letter sets its ${key} in a style of its own.`,
      });
    }
    if (!letter.front.subject?.trim()) {
      throw new LetterMergeError('TEMPLATE_SUBJECT', `the letter template has ${letter.frontLines?.subject === undefined ? 'no subject in its front matter' : 'an empty subject'}`, {
        location: { file: letter.file, line: letter.frontLines?.subject ?? 1 },
        hint: 'Start the file with:\n---\nsubject: The subject line\n---',
      });
    }
    const emailTemplate = template('email', paths.email ?? `${code}/email.txt`);
    // An e-mail template's front matter has nothing to set: its settings were read and dropped.
    const [emailKey] = Object.keys(emailTemplate.frontLines ?? {});
    if (emailKey !== undefined) {
      const where = emailKey === 'subject' ? "an e-mail's subject is the letter's, the subject: of the letter template's front matter" : knownKeys(campaignSchema, ['email']).includes(emailKey) ? `the e-mail's ${emailKey} is set under email: in campaign.yaml` : `the e-mail's sender and copies are set under email: in campaign.yaml, and its subject is the letter's`;
      throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `the e-mail template's front matter sets "${emailKey}", which an e-mail template cannot set: ${where}`, {
        location: { file: emailTemplate.file, line: emailTemplate.frontLines?.[emailKey] ?? 1 },
        hint: 'Remove the lines from the first "---" to the second: the e-mail template is the text of the message alone.',
      });
    }
    templates[code] = { code, letter, email: emailTemplate };
    const annexes = attachments.map((a) => [a.groups ?? null, a.byLanguage[code].filename, a.byLanguage[code].sha256]);
    // The templates by their place in the campaign, not on this disk: a campaign moved, copied or
    // checked out elsewhere (a CI runner's folder) makes the same letters, and --resume keeps them.
    // (Where the front matter's values stand changes no letter.)
    const own = ({ frontLines: _lines, ...t }: TemplateSource) => ({ ...t, file: path.relative(absDir, t.file) });
    hashes[code] = base.copy().update(`\0${code}\0${JSON.stringify([own(letter), own(emailTemplate), annexes])}`).digest('hex');
  }

  return {
    dir: absDir,
    file,
    id: data.id,
    date,
    place: data.place ?? '',
    defaultLanguage,
    borrowed: borrowedValues(src, data, languages, defaultLanguage),
    languages,
    reference: data.reference ?? '',
    letterhead: { organization: data.letterhead.organization, footer: data.letterhead.footer ?? '' },
    sender: { office: data.sender.office ?? '', name: data.sender.name, title: data.sender.title ?? '', signature },
    contact: { name: data.contact.name ?? '', telephone: data.contact.telephone ?? '', fax: data.contact.fax ?? '', email: data.contact.email },
    email,
    attachments,
    mapping,
    labels: (data.labels ?? {}) as Record<string, Partial<Labels>>,
    templates,
    hashes,
  };
}
