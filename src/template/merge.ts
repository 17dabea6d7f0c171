import { existsSync } from 'node:fs';
import path from 'node:path';
import { keptWords } from '../layout/hyphenate';
import { markNumbersLeftToRight } from '../text/bidi-numbers';
import { Recent } from '../recent';
import { deadLinksIn, filledLinksIn, foreignMarkdownIn, htmlHint, htmlIn, imagesIn, linksIn, liveHref, writtenLinksIn } from '../markup/markdown';
import Handlebars from 'handlebars';
import { format } from 'date-fns/format';
import { LetterMergeError } from '../errors';
import type { Problem } from '../problems';
import { localise } from '../campaign/localised';
import type { Campaign, TemplateSource } from '../campaign/campaign';
import type { SignatureImage } from '../campaign/signature';
import { parseMailbox } from '../data/address';
import type { Mailbox } from '../data/address';
import type { Recipient } from '../data/recipients';
import { GROUPS, addressForm, formatLetterDate, fullName as joinName, isGroup, language, nameLine as titledName, normaliseGender, salutation, supportedLanguages } from '../i18n/languages';
import { FIELDS, GENDER_TABLE, GROUP_TABLE, LANGUAGE_TABLE, fold, languageOf } from '../data/words';
import { didYouMean, linesBefore, shortened, wordList } from '../text/suggest';
import type { Labels, LanguageInfo } from '../i18n/languages';

/** Everything one letter needs, in one language, with every template already applied. */
export interface MergedLetter {
  id: string;
  lang: LanguageInfo;
  labels: Labels;
  organization: string;
  footer: string;
  office: string;
  dateLine: string;
  reference: string;
  contact: { name: string; telephone: string; fax: string; email: string };
  addressee: string[];
  subject: string;
  /** The letter body as Markdown; recipient values in it are escaped so they print as typed. */
  body: string;
  closing: string;
  sender: { name: string; title: string; signature?: SignatureImage };
  annex: string;
  email: {
    from: Mailbox;
    to: Mailbox;
    /** Copies shown in the message: the campaign's (email.cc), then the row's (cc column). */
    cc: Mailbox[];
    /** Blind copies, in the envelope only: the campaign's (email.bcc), then the row's (bcc column). */
    bcc: Mailbox[];
    replyTo?: Mailbox;
    subject: string;
    text: string;
  };
  /** Metadata for the PDF. */
  author: string;
  /** The recipient's own words (names, organisation, address…), lower-case: never hyphenated. */
  keepWhole: string[];
}

// Every ASCII punctuation character may be backslash-escaped in CommonMark, so this is always safe.
const MD_SPECIAL = /[\\`*_{}[\]()<>#+\-.!|~&"'=:$%^;,?@/]/g;

export function escapeMarkdown(value: string): string {
  return value.replace(MD_SPECIAL, '\\$&').replace(/\r?\n/g, ' ');
}

/**
 * Two Handlebars environments: the letter body is Markdown, so values are Markdown-escaped
 * (a name with "**" or "[x](y)" prints as typed); the e-mail and the subject are plain text.
 * Handlebars has no per-environment escape hook, so the letter environment sets the
 * escape function on the runtime container before the template runs.
 */
function createEnv(escape: ((s: string) => string) | null): typeof Handlebars {
  const env = Handlebars.create();
  if (escape) {
    const template = env.template.bind(env);
    env.template = ((spec: { main: (...args: unknown[]) => unknown }) => {
      const main = spec.main;
      return template({
        ...spec,
        main(this: unknown, container: { escapeExpression: (v: unknown) => string }, ...rest: unknown[]) {
          container.escapeExpression = (v: unknown) => {
            if (v instanceof Handlebars.SafeString) return v.toString();
            if (v === null || v === undefined) return '';
            return escape(String(v));
          };
          return main.call(this, container, ...rest);
        },
      } as never);
    }) as typeof env.template;
  }
  registerHelpers(env);
  // Handlebars' {{log}} writes to the console (stdout for its default level), which would corrupt
  // `generate --json` and `preview --text`. Nothing a template does may reach stdout: what it logs
  // goes to stderr, marked as coming from the template.
  env.log = (level: unknown, ...message: unknown[]) => {
    process.stderr.write(`template log${typeof level === 'string' ? ` (${level})` : ''}: ${message.map(String).join(' ')}\n`);
  };
  return env;
}

function langOf(options: Handlebars.HelperOptions): LanguageInfo {
  return language((options.data.root as { language: string }).language);
}

function registerHelpers(env: typeof Handlebars): void {
  env.registerHelper('eq', (a: unknown, b: unknown) => String(a) === String(b));
  env.registerHelper('ne', (a: unknown, b: unknown) => String(a) !== String(b));
  env.registerHelper('not', (a: unknown) => !a);
  env.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  env.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  // In the letter's language, not the machine's: the same bytes on every machine.
  env.registerHelper('upper', function (s: unknown, options: Handlebars.HelperOptions) {
    return String(s ?? '').toLocaleUpperCase(langOf(options).tag);
  });
  env.registerHelper('groupName', function (group: unknown, options: Handlebars.HelperOptions) {
    const g = String(group);
    if (!isGroup(g)) throw helperError(options, `groupName: unknown group "${g}"`);
    return langOf(options).groups[g];
  });
  /** {{formatDate "2022-05-30"}} in the letter's language; an optional date-fns pattern may follow. */
  env.registerHelper('formatDate', function (value: unknown, ...rest: unknown[]) {
    const options = rest.pop() as Handlebars.HelperOptions;
    const lang = langOf(options);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value));
    if (!m) throw helperError(options, `formatDate: "${String(value)}" is not YYYY-MM-DD`);
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    const pattern = typeof rest[0] === 'string' ? rest[0] : undefined;
    if (!pattern) return formatLetterDate(lang, d);
    // date-fns refuses these itself, but first writes a warning of its own on the console.
    const unquoted = pattern.replace(/'[^']*'?/g, '');
    if (/Y|D/.test(unquoted)) {
      throw helperError(options, `formatDate: the pattern "${pattern}" has ${/Y/.test(unquoted) ? '"Y", the year of the week numbering,' : '"D", the day of the year,'} where "${/Y/.test(unquoted) ? 'y' : 'd'}" (${/Y/.test(unquoted) ? 'the year' : 'the day of the month'}) is meant`);
    }
    try {
      return format(d, pattern, { locale: lang.dateLocale });
    } catch (err) {
      throw helperError(options, `formatDate: the pattern "${pattern}" cannot be used (${err instanceof Error ? err.message : String(err)})`);
    }
  });
}

/** An error a helper throws, with the line of the call in the template (Handlebars gives helpers their place). */
function helperError(options: Handlebars.HelperOptions, message: string): Error {
  const line = (options as { loc?: { start?: { line?: number } } }).loc?.start?.line;
  return Object.assign(new Error(message), { templateLine: line });
}

const markdownEnv = createEnv(escapeMarkdown);
const textEnv = createEnv(null);

type Compiled = (context: unknown) => string;

/** Handlebars' first compiler stage (the AST to its opcodes), which its typings leave out. */
interface HandlebarsCompilers {
  Compiler: new () => { compile(ast: hbs.AST.Program, options: object): unknown };
}

/** A template's text parsed and checked, and turned into JavaScript once used (see compile). */
interface ParsedTemplate {
  ast: hbs.AST.Program;
  fn?: Handlebars.TemplateDelegate;
  /** A letter template's links whose address a row fills ("[our site]({{website}})"), checked in each letter (see checkFilledLinks). */
  filledLinks?: FilledLink[];
}

/** A link of a template whose address a row fills, and the shape of the links it makes (see linkShape). */
interface FilledLink {
  line: number;
  text: string;
  href: string;
  shape: { text: LinkShape | undefined; href: LinkShape | undefined };
}

/** What a link's text or address made from values looks like once merged: each value any text, the rest as written. */
interface LinkShape {
  pattern: RegExp;
  /** The column each value is, in order; undefined for anything but a plain {{name}}. */
  names: (string | undefined)[];
}

const VALUE_IN_TEMPLATE = /\{\{\{?[^{}]*\}?\}\}/g;
const PLAIN_NAME = /^\{\{\s*([^\s{}.]+)\s*\}\}$/;

/**
 * The shape of the merged text of a template's link text or address ("https://example.org/{{path}}"
 * makes "https://example.org/" and then any text). Undefined when two values touch: which part is
 * which could not be told.
 */
function linkShape(written: string): LinkShape | undefined {
  const names: (string | undefined)[] = [];
  const quote = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let pattern = '^';
  let last = 0;
  for (const m of written.matchAll(VALUE_IN_TEMPLATE)) {
    const between = written.slice(last, m.index);
    if (names.length > 0 && between === '') return undefined;
    pattern += `${quote(between)}([\\s\\S]*?)`;
    names.push(PLAIN_NAME.exec(m[0])?.[1]);
    last = m.index + m[0].length;
  }
  return { pattern: new RegExp(`${pattern}${quote(written.slice(last))}$`), names };
}

/**
 * Templates by their environment and text, for every Merger of the process: a run makes several
 * (its check of the first row, the main thread's renderer), and a watched preview makes one per
 * change. Keyed by the text itself, so a template edited in memory is never run as it was.
 */
const parsedTemplates = new Recent<string, ParsedTemplate>(256);

/**
 * A template checked now and compiled when first used. Parsing (and Handlebars' first compiler
 * stage) finds every error a template can have before any letter is made; turning it into
 * JavaScript, the dearer part, waits until a letter in its language is merged, so a thread makes
 * only the languages it is given. (Checking with precompile() cost a whole second compile, of every
 * language: 40 ms of each thread's start.)
 */
function compile(env: typeof Handlebars, source: TemplateSource, text: string, lineOffset: number, what: string): Compiled {
  const options = { strict: true, noEscape: env === textEnv, preventIndent: true };
  const key = `${env === textEnv ? 'text' : 'markdown'}\n${text}`;
  let parsed = parsedTemplates.get(key);
  if (!parsed) {
    checkSpacedBlocks(text, source, lineOffset, what);
    let ast: ReturnType<typeof env.parse>;
    try {
      ast = env.parse(env === markdownEnv ? pointedLinks(text) : text);
      new (env as unknown as HandlebarsCompilers).Compiler().compile(ast, { ...options, data: true });
    } catch (err) {
      throw templateError(source, err, lineOffset, what);
    }
    checkCalls(env, ast as unknown as HbsNode, source, lineOffset, what);
    checkOtherPlaceholders(ast as unknown as HbsNode, source, lineOffset, what);
    checkWholeObjects(ast as unknown as HbsNode, source, lineOffset, what);
    if (env === textEnv) checkPlainText(text, source, lineOffset, what);
    if (env === markdownEnv) {
      checkImages(text, source, lineOffset, what);
      checkLinks(text, source, lineOffset, what);
      checkHtml(text, source, lineOffset, what);
      checkForeignMarkdown(text, source, lineOffset, what);
    }
    parsed = { ast };
    if (env === markdownEnv) {
      const filled = filledLinksIn(pointedLinks(text)).map((l) => ({ ...l, shape: { text: linkShape(l.text), href: linkShape(l.href) } }));
      if (filled.length > 0) parsed.filledLinks = filled;
    }
    parsedTemplates.set(key, parsed);
  }
  const template = parsed;
  return (context: unknown) => {
    try {
      template.fn ??= env.compile(template.ast, options);
      const out = template.fn(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
      if (template.filledLinks) checkFilledLinks(out, context, template.filledLinks, source, lineOffset, what);
      return out;
    } catch (err) {
      if (err instanceof LetterMergeError) throw err;
      throw templateError(source, err, lineOffset, what, { ast: template.ast as unknown as HbsNode, context });
    }
  };
}

/** Where a node of a template's tree is: its file, and its line in the file (the template starts at `lineOffset`). */
function nodeAt(source: TemplateSource, lineOffset: number, n: HbsNode, linesIn = 0): { file: string; line: number } {
  return { file: source.file, line: (n.loc?.start.line ?? 1) + lineOffset - 1 + linesIn };
}

/**
 * "{{ #if organization }}" and "{{ /if }}": a space between the braces and "#" or "/", which
 * Handlebars does not read (its own message said it found "a character it does not take there").
 */
function checkSpacedBlocks(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const m = /\{\{~?\s+([#/^])\s*([^\s}]*)/.exec(text);
  if (!m) return;
  const tag = `{{${m[1]}${m[2]}`;
  throw new LetterMergeError('TEMPLATE', `${what} writes "${m[0].trim()}" with a space after "{{", which Handlebars does not read: a block's tag starts "${tag}"`, {
    location: { file: source.file, line: linesBefore(text, m.index) + lineOffset },
    hint: `Write ${tag}…}} with no space after the braces.`,
  });
}

/**
 * A link whose address is made from values of the row, "[our site]({{website}})" or
 * "[the report](https://example.org/files/{{path}})", written between "<" and ">": Markdown takes
 * an address with spaces only there, and a cell holding words ("see our site", "annual
 * report.pdf") left the whole "[…](…)" in the letter, as typed. Now it is a link: checked for being
 * live (see checkFilledLinks), its spaces sent as "%20". (Values are escaped: a "<" or ">" in one
 * cannot end the address.) Its title, if it has one ("…" or '…'), stays after it; an address with
 * spaces outside its values is left as written.
 */
function pointedLinks(text: string): string {
  return text.replace(/\]\(\s*((?:[^\s()<>{}]|\{\{[^{}<>]*\}\})*\{\{[^{}<>]*\}\}(?:[^\s()<>{}]|\{\{[^{}<>]*\}\})*)(\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g, '](<$1>$2)');
}

/** Whether a merged link is one the template's filled link made, and the values it was made of. */
function madeBy(f: FilledLink, link: { text: string; href: string }): string[] | undefined {
  const text = f.shape.text ? f.shape.text.pattern.test(link.text) : link.text === f.text;
  return text ? f.shape.href?.pattern.exec(link.href)?.slice(1) : undefined;
}

/**
 * A link whose address the row fills, and this row's values would not make it right. The row
 * fails, naming the template's line and the column:
 * - the address is not live: an empty cell, words ("see below"), a script, where the whole address
 *   is a value. The letter showed the link's words with no link, or the whole "[text](…)" as typed.
 *   (A web or e-mail address without its scheme, "www.example.org", is made live: see liveHref.)
 * - a value within the address is empty: "https://example.org/files/{{path}}" went to the folder,
 *   a live link to the wrong place.
 */
function checkFilledLinks(out: string, context: unknown, filled: FilledLink[], source: TemplateSource, lineOffset: number, what: string): void {
  const row = (context ?? {}) as Record<string, unknown>;
  for (const link of linksIn(out)) {
    if (liveHref(link.href) === undefined) {
      const f = filled.find((x) => madeBy(x, link)) ?? filled.find((x) => x.text === link.text) ?? filled[0];
      const field = PLAIN_NAME.exec(f.href)?.[1];
      throw new LetterMergeError(
        'TEMPLATE',
        `${what} links "${link.text}" to ${f.href}, which ${link.href ? `is "${shortened(link.href)}" for this row: not a web address (https://…, www.…) nor an e-mail address` : 'is empty for this row'}, so the link would not be live in the letter`,
        {
          kind: 'row',
          location: { file: source.file, line: f.line + lineOffset, ...(field ? { field } : {}) },
          hint: field ? `Correct the cell, or write the link inside {{#if ${field}}}…{{/if}} for the rows that have none.` : 'Correct the values the address is made from.',
        },
      );
    }
    for (const f of filled) {
      const values = madeBy(f, link);
      const field = values && f.shape.href?.names.find((name, i) => name !== undefined && values[i].trim() === '' && Object.hasOwn(row, name) && String(row[name] ?? '').trim() === '');
      if (!field) continue;
      throw new LetterMergeError(
        'TEMPLATE',
        `${what} links "${link.text}" to ${f.href}, and this row's ${field} is empty: the link would go to "${shortened(link.href)}"`,
        {
          kind: 'row',
          location: { file: source.file, line: f.line + lineOffset, field },
          hint: `Fill the ${field} cell, or write the link inside {{#if ${field}}}…{{/if}} for the rows that have none.`,
        },
      );
    }
  }
}

/**
 * What a template calls that no letter could run, found when the campaign is loaded, at its line:
 * a partial ({{> name}}: lettermerge registers none) and a helper it does not have (a name given
 * arguments is a helper call). Left to the merge, each would fail every letter in the language,
 * one row at a time, the partial at the row's line rather than the template's.
 */
function checkCalls(env: typeof Handlebars, ast: HbsNode, source: TemplateSource, lineOffset: number, what: string): void {
  const helpers = Object.keys(env.helpers).filter((h) => h !== 'helperMissing' && h !== 'blockHelperMissing');
  const at = (n: HbsNode) => nodeAt(source, lineOffset, n);
  // A word processor's "smart quotes": Handlebars reads “government” as a value of that name.
  const typographicQuote = (p: HbsNode | undefined): void => {
    const original = p?.type === 'PathExpression' ? (p.original ?? '') : '';
    // “government” is one word quoted; “civil is the first word of “civil society”. (An apostrophe
    // inside a name, partner’s, is no quote.)
    const opens = TYPOGRAPHIC_QUOTE.test(original.slice(0, 1));
    const closes = TYPOGRAPHIC_QUOTE.test(original.slice(-1));
    if (!opens && !closes) return;
    const quoted = original.length > 2 && opens && closes;
    throw new LetterMergeError('TEMPLATE', `${what} writes ${original} with a typographic quote, which Handlebars does not read as one: it would look for a value named ${original}`, {
      location: at(p!),
      hint: `Write the words between straight quotes${quoted ? `: "${original.slice(1, -1)}"` : ''} (an editor's "smart quotes" turn them curly).`,
    });
  };
  const visit = (n: HbsNode | undefined): void => {
    if (!n) return;
    if (n.type === 'PartialStatement' || n.type === 'PartialBlockStatement') {
      const name = n.name?.original ?? '';
      throw new LetterMergeError('TEMPLATE', `${what} includes the partial {{> ${name}}}, and lettermerge templates have no partials`, {
        location: at(n),
        hint: 'Write the text into the template itself.',
      });
    }
    if (n.type === 'Decorator' || n.type === 'DecoratorBlock') {
      // {{*name}}, and {{#*inline "name"}}…{{/inline}}, which defines a partial.
      throw new LetterMergeError('TEMPLATE', `${what} uses the decorator {{${n.type === 'DecoratorBlock' ? '#' : ''}*${n.path?.original ?? ''}}}, and lettermerge templates have none`, {
        location: at(n),
        hint: 'Write the text into the template itself.',
      });
    }
    if (n.type === 'MustacheStatement' && n.escaped === false && env === markdownEnv) {
      // {{{name}}} and {{&name}} would let a row's value act as Markdown: "[text](https://…)" in a
      // cell would become a live link in the letter.
      const name = n.path?.type === 'PathExpression' ? n.path.original : '…';
      throw new LetterMergeError('TEMPLATE', `${what} writes {{{${name}}}} (or {{&${name}}}), which would let the row's value act as Markdown: a link or bold text typed in a cell would become part of the letter's layout`, {
        location: at(n),
        hint: `Write {{${name}}}: it prints the value exactly as typed, with nothing taken away.`,
      });
    }
    if (n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') {
      typographicQuote(n.path);
      n.params?.forEach(typographicQuote);
      n.hash?.pairs.forEach((pair) => typographicQuote(pair.value));
      const name = n.path?.type === 'PathExpression' && !n.path.data ? n.path.original : undefined;
      const called = (n.params?.length ?? 0) > 0 || (n.hash?.pairs.length ?? 0) > 0;
      // {{＃if …}}: the full-width "＃" a Chinese keyboard types, read as part of a name.
      const narrow = name?.normalize('NFKC');
      const helper = narrow?.replace(/^[#/^]/, '');
      if (name !== undefined && narrow !== name && helper !== undefined && helpers.includes(helper)) {
        throw new LetterMergeError('TEMPLATE', `${what} writes {{${name}…}} in full-width characters, as a Chinese keyboard types them: Handlebars reads "${name}" as a name, not as ${narrow}`, {
          location: at(n),
          hint: `Type {{${narrow} …}} with the keyboard in English mode (and the block's end as {{/${helper}}}).`,
        });
      }
      if (called && name !== undefined && !helpers.includes(name)) {
        // {{first name}}: a value's name written with its space, read as "first" called with "name".
        const words = [name, ...(n.params ?? []).map((p) => (p.type === 'PathExpression' ? (p.original ?? '') : ''))];
        const value = n.type === 'MustacheStatement' && words.every(Boolean) ? placeholderValue(words.join(' ')) : undefined;
        throw new LetterMergeError('TEMPLATE', `${what} calls "${name}", which is not a helper lettermerge has`, {
          location: at(n),
          hint: value
            ? `Did you mean {{${value}}}? A value's name has "_" where "{{${words.join(' ')}}}" has a space.`
            : `Its helpers are ${helpers.sort().join(', ')}. A column is written without arguments: {{${name}}}.`,
        });
      }
      const use = name !== undefined && Object.hasOwn(HELPER_USE, name) ? HELPER_USE[name] : undefined;
      if (use) {
        const misuse = helperMisuse(name!, use, n.params?.length ?? 0, n.type === 'BlockStatement');
        if (misuse) throw new LetterMergeError('TEMPLATE', `${what} ${misuse}`, { location: at(n), hint: `For example: ${use.example}` });
      }
      if (name === 'eq' || name === 'ne') checkComparison(n, source, lineOffset, what);
      for (const p of n.params ?? []) visit(p);
      for (const pair of n.hash?.pairs ?? []) visit(pair.value);
    }
    n.body?.forEach(visit);
    n.program?.body.forEach(visit);
    n.inverse?.body.forEach(visit);
  };
  visit(ast);
}

/**
 * A value written as another mail merge writes it: «first_name» (a word processor's merge field),
 * {first_name}, ${first_name}, <<first_name>>, [[first_name]], %first_name%, <first_name>, or
 * with the full-width braces a Chinese keyboard types, ｛｛first_name｝｝. Every
 * letter printed it as typed, and validate found nothing. Only names of values lettermerge knows
 * are taken for one (a field, or a header word for it in any of the six languages, [[Nombre]];
 * between « and » or << and >>, the field's own name only), so "<Partners>", "50% of 60%" and
 * French quotes stay text.
 */
const OTHER_PLACEHOLDER = /«([^«»{}<>\n]{1,40}?)»|<<([^<>{}\n]{1,40}?)>>|｛{1,2}\s*([^｛｝\n]{1,40}?)\s*｝{1,2}|\$?\{\s*([^{}\n]{1,40}?)\s*\}|\[\[\s*([^[\]\n]{1,40}?)\s*\]\]|%([^%\s][^%\n]{0,38}?)%|<([^<>\s][^<>\n]{0,38}?)>/gu;

/** The value a name in another mail merge's placeholder stands for, if lettermerge has it: one the merge gives, or a column's (FIELDS: "first name", "Nombre"). */
function placeholderValue(name: string): string | undefined {
  const key = fold(name);
  for (const known of PROVIDED) if (fold(known) === key && !Object.hasOwn(OBJECTS, known)) return known;
  return FIELDS.lookup(name);
}

function checkOtherPlaceholders(ast: HbsNode, source: TemplateSource, lineOffset: number, what: string): void {
  const visit = (n: HbsNode | undefined): void => {
    if (!n) return;
    if (n.type === 'ContentStatement' && typeof n.value === 'string') {
      const text = n.original ?? n.value;
      for (const m of text.matchAll(OTHER_PLACEHOLDER)) {
        const name = m.slice(1).find((g) => g !== undefined) ?? '';
        const value = placeholderValue(name);
        if (!value) continue;
        // French and Russian quote words between « and » (typed << and >> where a keyboard has
        // none): only a value's own name written close up, «first_name» as a word processor shows
        // its merge field, is taken for one; « titre », «Adresse» or «date limite» are words.
        if ((m[1] ?? m[2]) !== undefined && (/^\s|\s$/.test(name) || fold(value) !== fold(name))) continue;
        throw new LetterMergeError('TEMPLATE', `${what} writes ${m[0]}, which every letter would print as typed: a value is written {{${value}}}`, {
          location: nodeAt(source, lineOffset, n, linesBefore(text, m.index)),
          hint: `Write {{${value}}} in its place.`,
        });
      }
    }
    n.body?.forEach(visit);
    n.program?.body.forEach(visit);
    n.inverse?.body.forEach(visit);
  };
  visit(ast);
}

/** Quotation marks that are not Handlebars' own " and ': curly, low, angle and full-width ones. */
const TYPOGRAPHIC_QUOTE = /[\u2018-\u201f\u00ab\u00bb\u2039\u203a\u300c-\u300f\uff02\uff07]/;

/** The values a row's group, gender and language can have in a template, and what a word given for one means (see data/words.ts). */
const COMPARED: Record<string, { values: () => readonly string[]; means: (word: string) => string | undefined }> = {
  group: { values: () => GROUPS, means: (w) => GROUP_TABLE.lookup(w) ?? single(GROUP_TABLE.nearest(w)) },
  gender: { values: () => ['female', 'male', ''], means: (w) => normaliseGender(w) || single(GENDER_TABLE.nearest(w)) },
  language: { values: supportedLanguages, means: (w) => languageOf(w) ?? single(LANGUAGE_TABLE.nearest(w)) },
};

function single<T>(found: T[]): T | undefined {
  return found.length === 1 ? found[0] : undefined;
}

/**
 * {{#if (eq group "goverment")}}: a comparison of the row's group, gender or language with a value
 * it never has (misspelt, capitalised, or a word of the list's own, "Gobierno", which the row's
 * reading turns into "government"). The block was left out of every letter, without a word.
 * Refused when the campaign is loaded, at its line (checkCalls finds the calls of eq and ne).
 */
function checkComparison(n: HbsNode, source: TemplateSource, lineOffset: number, what: string): void {
  const [a, b] = n.params ?? [];
  if (!a || !b || n.params!.length !== 2) return;
  const simple = (p: HbsNode) => (p.type === 'PathExpression' && !p.data && (p.depth ?? 0) === 0 && p.parts?.length === 1 ? p.parts[0] : undefined);
  // (eq group government): a value written without its quotes is a name, and Handlebars looked
  // for a column "government" (validate said to add one to the list).
  for (const [x, y] of [[a, b], [b, a]]) {
    const f = simple(x);
    const bare = simple(y);
    if (f && bare && Object.hasOwn(COMPARED, f) && COMPARED[f].values().includes(bare) && bare !== '') {
      throw new LetterMergeError('TEMPLATE', `${what} compares ${f} with ${bare} without quotes: Handlebars takes ${bare} for the name of a column, not for the ${f} "${bare}"`, {
        location: nodeAt(source, lineOffset, n),
        hint: `Quote the value: {{#if (${n.path?.original ?? 'eq'} ${f} "${bare}")}}…{{/if}}.`,
      });
    }
  }
  const [name, literal] = a.type === 'PathExpression' ? [a, b] : [b, a];
  const field = simple(name);
  if (!field || !Object.hasOwn(COMPARED, field) || literal.type !== 'StringLiteral' || typeof literal.value !== 'string') return;
  const values = COMPARED[field].values();
  if (values.includes(literal.value)) return;
  const shown = values.map((v) => (v ? v : 'empty'));
  const list = wordList(shown, 'or');
  const guess = literal.value ? COMPARED[field].means(literal.value) : undefined;
  throw new LetterMergeError('TEMPLATE', `${what} compares ${field} with "${literal.value}", which no row's ${field} is: ${field === 'gender' ? 'it is' : `the ${field === 'group' ? 'groups' : 'language codes'} are`} ${list}${guess ? `; did you mean "${guess}"?` : ''}`, {
    location: nodeAt(source, lineOffset, n),
    hint: `A row's ${field} is read from its own words (${field === 'group' ? '"Gobierno" is government' : field === 'gender' ? '"F" and "Mujer" are female' : '"Español" is es'}), and compared by lettermerge's name for it: {{#if (eq ${field} "${guess ?? values[0]}")}}…{{/if}}.`,
  });
}

/** The names the merge gives every template that hold several values, with what each holds. */
const OBJECTS: Record<string, string> = {
  campaign: 'id, reference, organization',
  sender: 'name, title, office',
  contact: 'name, telephone, fax, email',
  labels: "the language's words: subject, annex, telephone, …",
};

/**
 * {{this}}, {{@root}}, {{sender}}: a name that holds several values, written as one. Every letter
 * showed "[object Object]" in its place. Refused when the campaign is loaded, at its line; only
 * where the name is the merge's (inside {{#each}} or {{#with}}, "this" is what the block goes
 * through: {{this}} inside {{#with sender}} is refused too, inside {{#each sender}} it is a value).
 */
function checkWholeObjects(ast: HbsNode, source: TemplateSource, lineOffset: number, what: string): void {
  const refuse = (n: HbsNode, written: string, holds: string, example: string): never => {
    throw new LetterMergeError('TEMPLATE', `${what} writes ${written}, which is not one value but several (${holds}): every letter would show "[object Object]" there`, {
      location: nodeAt(source, lineOffset, n),
      hint: `Write one of its values, e.g. ${example}.`,
    });
  };
  // `within`: the merge's name a {{#with}} block is inside of, whose "this" is that name's values.
  const visit = (n: HbsNode, top: boolean, within?: string): void => {
    const p = n.path;
    if (n.type === 'MustacheStatement' && p?.type === 'PathExpression' && !n.params?.length && !n.hash?.pairs.length) {
      const parts = p.parts ?? [];
      if (p.data && parts.length === 1 && parts[0] === 'root') refuse(n, '{{@root}}', "the row's columns and the merge's names", '{{@root.last_name}}');
      if (within && !p.data && (p.depth ?? 0) === 0 && parts.length === 0) refuse(n, `{{${p.original ?? 'this'}}} inside {{#with ${within}}}`, OBJECTS[within], `{{${within === 'labels' ? 'subject' : OBJECTS[within].split(',')[0]}}}`);
      if (top && !p.data && (p.depth ?? 0) === 0) {
        if (parts.length === 0) refuse(n, `{{${p.original ?? 'this'}}}`, "the row's columns and the merge's names", '{{last_name}}');
        if (parts.length === 1 && Object.hasOwn(OBJECTS, parts[0])) refuse(n, `{{${parts[0]}}}`, OBJECTS[parts[0]], `{{${parts[0]}.${parts[0] === 'labels' ? 'subject' : OBJECTS[parts[0]].split(',')[0]}}}`);
      }
    }
    // {{#each address}}: a column is one text, and a block that goes through it writes nothing.
    const [over] = n.params ?? [];
    if (top && n.type === 'BlockStatement' && p?.original === 'each' && over?.type === 'PathExpression' && !over.data && (over.depth ?? 0) === 0) {
      const parts = over.parts ?? [];
      if (!(parts.length === 1 && Object.hasOwn(OBJECTS, parts[0])) && parts.length > 0) {
        throw new LetterMergeError('TEMPLATE', `${what} goes through "${over.original}" with {{#each}}, but "${over.original}" is one text, not a list: the block would write nothing in any letter`, {
          location: nodeAt(source, lineOffset, n),
          hint: `Write {{${over.original}}} for the text itself. {{#each}} goes through ${Object.keys(OBJECTS).join(', ')}.`,
        });
      }
    }
    // Inside {{#each}} and {{#with}}, "this" and the names are those of what the block goes through.
    const scoped = n.type === 'BlockStatement' && (p?.original === 'each' || p?.original === 'with');
    const named = over?.type === 'PathExpression' && !over.data && (over.depth ?? 0) === 0 && over.parts?.length === 1 ? over.parts[0] : undefined;
    const withObject = top && scoped && p?.original === 'with' && named !== undefined && Object.hasOwn(OBJECTS, named) ? named : undefined;
    n.body?.forEach((c) => visit(c, top, within));
    n.program?.body.forEach((c) => visit(c, top && !scoped, scoped ? withObject : within));
    n.inverse?.body.forEach((c) => visit(c, top, within));
  };
  visit(ast, true);
}

/** What a helper takes: how many values, whether it opens a block ({{#if x}}…{{/if}}), and an example. */
interface HelperUse {
  min: number;
  max: number;
  block: boolean;
  example: string;
}

/**
 * Every helper a template may call. Called otherwise, Handlebars would not say so where the
 * template is: {{upper}} prints "[OBJECT OBJECT]", {{eq}} prints "false", {{if x}} prints nothing,
 * {{#upper x}}…{{/upper}} drops what the block holds, and {{lookup}} or {{#each}} stop every letter
 * with a message of Handlebars' internals.
 */
const HELPER_USE: Record<string, HelperUse> = {
  if: { min: 1, max: 1, block: true, example: '{{#if organization}}…{{else}}…{{/if}}' },
  unless: { min: 1, max: 1, block: true, example: '{{#unless organization}}…{{/unless}}' },
  each: { min: 1, max: 1, block: true, example: '{{#each contact}}{{@key}}: {{this}} {{/each}}' },
  with: { min: 1, max: 1, block: true, example: '{{#with sender}}{{name}}, {{title}}{{/with}}' },
  eq: { min: 2, max: 2, block: false, example: '{{#if (eq group "government")}}…{{/if}}' },
  ne: { min: 2, max: 2, block: false, example: '{{#if (ne group "academia")}}…{{/if}}' },
  not: { min: 1, max: 1, block: false, example: '{{#if (not organization)}}…{{/if}}' },
  and: { min: 2, max: Infinity, block: false, example: '{{#if (and position organization)}}…{{/if}}' },
  or: { min: 2, max: Infinity, block: false, example: '{{#if (or position organization)}}…{{/if}}' },
  upper: { min: 1, max: 1, block: false, example: '{{upper last_name}}' },
  groupName: { min: 1, max: 1, block: false, example: '{{groupName group}}' },
  formatDate: { min: 1, max: 2, block: false, example: '{{formatDate "2022-05-30"}}, or with a date-fns pattern {{formatDate "2022-05-30" "d MMMM yyyy"}}' },
  lookup: { min: 2, max: 2, block: false, example: '{{lookup labels "subject"}}' },
  log: { min: 1, max: Infinity, block: false, example: '{{log "a note on stderr" first_name}}' },
};

/** What is wrong with a call of helper `name` given `count` values, as a block or not; undefined when nothing is. */
function helperMisuse(name: string, use: HelperUse, count: number, block: boolean): string | undefined {
  if (use.block && !block) return `writes {{${name} …}} without "#": it writes nothing there; "${name}" opens a block, {{#${name} …}}…{{/${name}}}`;
  if (!use.block && block) return `opens a block with "${name}" ({{#${name} …}}), which is not a block helper: what the block holds would never be written`;
  if (count >= use.min && count <= use.max) return undefined;
  const words = ['no', 'one', 'two', 'three'];
  const given = count === 0 ? 'no value' : `${words[count] ?? count} value${count === 1 ? '' : 's'}`;
  const takes = use.max === Infinity ? `at least ${words[use.min] ?? use.min}` : use.min === use.max ? words[use.min] ?? String(use.min) : `${words[use.min] ?? use.min} or ${words[use.max] ?? use.max}`;
  return `gives "${name}" ${given}, and it takes ${takes}`;
}

/**
 * An image in a letter's Markdown (`![logo](logo.png)`) is not drawn: the PDF would
 * show its alternate text alone, in every letter. Refused when the campaign is loaded, at its line.
 */
function checkImages(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const [image] = imagesIn(text);
  if (!image) return;
  throw new LetterMergeError('TEMPLATE', `${what} holds an image (![${shortened(image.alt)}](${shortened(image.src)})), and lettermerge draws no images in a letter's text: the PDF would show ${image.alt ? `only "${shortened(image.alt)}"` : 'nothing in its place'}`, {
    location: { file: source.file, line: image.line + lineOffset },
    hint: 'The letterhead, the signature image and the attached files are set in campaign.yaml. Remove the image, or drop its "!" to make it a link.',
  });
}

/**
 * A link in a letter's Markdown that could not be live: to a file, a script, or anywhere but the
 * web and e-mail. The letter showed its words with no link (or, for "javascript:" and "file:",
 * the whole "[text](…)" as typed), in every letter. Refused when the campaign is loaded, at its line.
 */
function checkLinks(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const [link] = deadLinksIn(text);
  if (!link) return;
  throw new LetterMergeError('TEMPLATE', `${what} links "${shortened(link.text)}" to "${shortened(link.href)}", which would not be a live link in the letter: a letter's links go to the web (https://…) and to e-mail addresses (mailto:…), which open from a PDF read in an e-mail`, {
    location: { file: source.file, line: link.line + lineOffset },
    hint: 'Write the whole address, e.g. https://www.example.org/annex.pdf. A file to send with the letter goes under attachments: in campaign.yaml.',
  });
}

/**
 * HTML in a letter's Markdown: "<br>", "<b>…</b>", "<!-- a note -->" were printed as typed, in every
 * letter. Refused when the campaign is loaded, at its line, with the Markdown for it.
 */
function checkHtml(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const [html] = htmlIn(text);
  if (!html) return;
  throw new LetterMergeError('TEMPLATE', `${what} holds HTML (${shortened(html.html, 40)}), which a letter prints as typed: its text is Markdown`, {
    location: { file: source.file, line: html.line + lineOffset },
    hint: htmlHint(html.html),
  });
}

/**
 * HTML and Markdown links in an e-mail's cover note, which is sent as plain text: "<p>", "<br>" and
 * "[our site](https://…)", copied from a letter's template or typed as for a web page, reached every
 * recipient as typed, and `validate` found no problems. Refused when the campaign is loaded, at
 * their line. (Asterisks around words are plain text's own emphasis, and are left.)
 */
function checkPlainText(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const [html] = htmlIn(text);
  const [link] = writtenLinksIn(text);
  if (html && (!link || html.line <= link.line)) {
    throw new LetterMergeError('TEMPLATE', `${what} holds HTML (${shortened(html.html, 40)}), which the e-mail would show as typed: it is sent as plain text`, {
      location: { file: source.file, line: html.line + lineOffset },
      hint: html.html.startsWith('<!--')
        ? 'A note to yourself is a Handlebars comment: {{!-- … --}}. It is left out of the e-mail.'
        : 'Write the text alone: its line breaks and blank lines are sent as typed, and a web address written out (https://…) is made a link by mail programs.',
    });
  }
  if (link) {
    const address = link.href.replace(/^mailto:/i, '');
    throw new LetterMergeError('TEMPLATE', `${what} holds a Markdown link (${shortened(link.written, 60)}), which the e-mail would show as typed, brackets and all: it is sent as plain text`, {
      location: { file: source.file, line: link.line + lineOffset },
      hint: `Write the address itself, which mail programs make a link: ${link.text}: ${address}`,
    });
  }
}

/**
 * GitHub's Markdown in a letter's (a table, struck text, a task box, a footnote): printed as typed,
 * in every letter. Refused when the campaign is loaded, at its line.
 */
function checkForeignMarkdown(text: string, source: TemplateSource, lineOffset: number, what: string): void {
  const [foreign] = foreignMarkdownIn(text);
  if (!foreign) return;
  throw new LetterMergeError('TEMPLATE', `${what} holds ${foreign.what}, which a letter prints as typed${foreign.looks ?? ''}`, {
    location: { file: source.file, line: foreign.line + lineOffset },
    hint: foreign.hint,
  });
}


/**
 * A Handlebars parse error spans several lines: "Parse error on line N:", the text around the
 * place, a caret under it, and what was expected. Said in one sentence, with the excerpt as a hint.
 */
function parseErrorText(message: string): { text: string; excerpt?: string } {
  const lines = message.split('\n');
  // "Lexical error on line N. Unrecognized text.", then the text and a mark under the place.
  if (/^Lexical error on line \d+/.test(lines[0] ?? '')) {
    return { text: 'the text at the mark cannot be read: a "{{!--" comment without its "--}}", or a "{{{{" without its closing "}}}}"?', excerpt: lines.slice(1).join('\n').trimEnd() };
  }
  // "if doesn't match each - 2:3": a block opened by {{#if}} closed by {{/each}}.
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(lines[0] ?? '');
  if (mismatch) return { text: `the block opened by {{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}: blocks close in the order they open, each with its own name` };
  if (!/^Parse error on line \d+:/.test(lines[0] ?? '')) return { text: lines[0] ?? message };
  const expecting = lines.find((l) => /^Expecting /.test(l)) ?? '';
  const got = /got '([^']+)'/.exec(expecting)?.[1];
  const excerpt = lines.slice(1).filter((l) => !/^Expecting /.test(l)).join('\n').trimEnd();
  if (got === 'EOF') return { text: 'the template ends inside a block: a closing tag such as {{/if}} or {{/each}} is missing', excerpt };
  const wanted = [...expecting.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).filter((t) => t !== got);
  // Where only the end of the template may come: an {{else}} or a closing tag with no block open.
  if (wanted.includes('EOF') && (got === 'INVERSE' || got === 'OPEN_ENDBLOCK')) {
    return { text: `${got === 'INVERSE' ? 'an {{else}}' : 'a closing tag'} with no block open: its {{#if …}} (or {{#each …}}) is missing, or was closed before`, excerpt };
  }
  // Inside a block that has had its {{else}}.
  if (wanted.includes('OPEN_ENDBLOCK') && got === 'INVERSE') {
    return { text: 'a second {{else}} in one block: a block has one (for more choices, {{else if …}})', excerpt };
  }
  const names: Record<string, string> = {
    CLOSE: '"}}"',
    CLOSE_UNESCAPED: '"}}}"',
    CLOSE_RAW_BLOCK: '"}}}}"',
    CLOSE_SEXPR: '")"',
    OPEN_SEXPR: '"("',
    OPEN_ENDBLOCK: 'a closing tag',
    INVERSE: '{{else}}',
    SEP: 'a "." or "/"',
    EQUALS: '"="',
    ID: 'a name',
    STRING: 'a quoted value',
    NUMBER: 'a number',
    DATA: 'an @name',
    CLOSE_BLOCK_PARAMS: 'the closing "|"',
    INVALID: 'a character Handlebars does not take there (a quote, a brace)',
    EOF: 'the end of the template',
  };
  const want = wanted.slice(0, 3).map((t) => names[t] ?? t.toLowerCase().replace(/_/g, ' ')).join(' or ');
  return { text: `found ${got ? (names[got] ?? `"${got.toLowerCase().replace(/_/g, ' ')}"`) : 'text'}${want ? ` where ${want} was expected` : ''}`, excerpt };
}

/** A template as it ran: its tree, to find the place of an error Handlebars gives none, and the values it was given. */
interface RunState {
  ast: HbsNode;
  context: unknown;
}

function templateError(source: TemplateSource, err: unknown, lineOffset: number, what: string, run?: RunState): LetterMergeError {
  const message = err instanceof Error ? err.message : String(err);
  const own = (err as { templateLine?: unknown } | undefined)?.templateLine;
  if (typeof own === 'number') {
    // A helper's own error (groupName, formatDate), at the line of its call.
    return new LetterMergeError('TEMPLATE', `${what} cannot be used: ${message}`, { location: { file: source.file, line: own + lineOffset - 1 } });
  }
  const inText = run && err instanceof TypeError ? /^Cannot use 'in' operator to search for '(.*)' in ([^]*)$/.exec(message) : null;
  if (run && inText) return pathIntoText(source, lineOffset, what, run, inText[1], inText[2]);
  // Handlebars reports "Parse error on line N:", "... doesn't match ... - N:C", or " - N:C" for strict lookups.
  const m = /line (\d+)/.exec(message) ?? / - (\d+):(\d+)$/m.exec(message);
  const line = m ? Number(m[1]) + lineOffset - 1 : undefined;
  const missing = /"([^"]+)" not defined/.exec(message);
  const data = missing && run && m ? pathsIn(run.ast).find((p) => p.data && p.loc?.start.line === Number(m[1]) && p.parts?.[0] === missing[1]) : undefined;
  if (data) {
    return new LetterMergeError('TEMPLATE', `${what} uses "@${data.parts!.join('.')}", which has a value only inside a block that gives it (@index, @key, @first and @last inside {{#each}})`, {
      location: { file: source.file, line },
    });
  }
  const inner = missing && run && m ? innerMissing(run, missing[1], Number(m[1])) : undefined;
  if (inner) {
    return new LetterMergeError('TEMPLATE', `${what} uses "${inner.path}", and ${inner.parent} has no "${missing![1]}"`, {
      location: { file: source.file, line },
      hint: inner.has.length ? `${meant(missing![1], inner.has, `${inner.parent}.`)}${inner.parent} has: ${inner.has.join(', ')}.` : undefined,
    });
  }
  if (missing) {
    return new LetterMergeError('TEMPLATE', `${what} uses "${missing[1]}", which the recipient data does not have`, {
      location: { file: source.file, line },
      hint: `Add a "${missing[1]}" column to the CSV, or correct the name in the template.`,
    });
  }
  const parsed = parseErrorText(message);
  return new LetterMergeError('TEMPLATE', `${what} cannot be used: ${parsed.text.replace(/ - \d+:\d+$/, '')}`, {
    location: { file: source.file, line },
    hint: parsed.excerpt ? `Near:\n${parsed.excerpt}` : undefined,
  });
}

/** Every path ({{a.b.c}}) in a template's tree, with its line. */
function pathsIn(node: unknown, out: HbsNode[] = []): HbsNode[] {
  if (Array.isArray(node)) for (const n of node) pathsIn(n, out);
  else if (node && typeof node === 'object') {
    const n = node as HbsNode;
    if (n.type === 'PathExpression') out.push(n);
    else for (const [key, value] of Object.entries(n)) if (key !== 'loc' && value && typeof value === 'object') pathsIn(value, out);
  }
  return out;
}

/**
 * {{first_name.x}}: a part read from a value that is text. Handlebars' strict lookup then fails
 * inside JavaScript ("Cannot use 'in' operator…"), with no place; the place is the first path that
 * reads `part` after its first name.
 */
function pathIntoText(source: TemplateSource, lineOffset: number, what: string, run: RunState, part: string, value: string): LetterMergeError {
  const path = pathsIn(run.ast).find((p) => (p.parts ?? []).indexOf(part) > 0);
  const parts = path?.parts ?? [];
  const owner = parts.slice(0, parts.indexOf(part)).join('.');
  const shown = shortened(value, 40);
  return new LetterMergeError('TEMPLATE', `${what} uses "${path?.original ?? part}", but ${owner ? `"${owner}"` : 'that value'} is text ("${shown}"), which has no "${part}"`, {
    location: { file: source.file, line: path?.loc ? path.loc.start.line + lineOffset - 1 : undefined },
    hint: owner ? `Write {{${owner}}} for the text itself.` : undefined,
  });
}

/**
 * A strict lookup that failed inside an object the merge provides ({{sender.nmae}}), rather than
 * at a name of the row: the path at that line reading `part` after its first name, its owner,
 * and what the owner has. Undefined when the missing name is a path's first (a column).
 */
function innerMissing(run: RunState, part: string, line: number): { path: string; parent: string; has: string[] } | undefined {
  const path = pathsIn(run.ast).find((p) => p.loc?.start.line === line && (p.parts ?? []).indexOf(part) > 0 && (p.depth ?? 0) === 0 && !p.data);
  if (!path?.parts) return undefined;
  const owner = path.parts.slice(0, path.parts.indexOf(part));
  let value: unknown = run.context;
  for (const name of owner) value = value && typeof value === 'object' && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
  const has = value && typeof value === 'object' ? Object.keys(value).sort() : [];
  return { path: path.original ?? path.parts.join('.'), parent: owner.join('.'), has };
}

/** "Did you mean {{salutation}}? " for a name near one the template could have meant (spelt otherwise, or capitalised); else nothing. */
function meant(name: string, known: readonly string[], prefix = ''): string {
  // ｆｉｒｓｔ_ｎａｍｅ: full-width letters, as a Chinese keyboard types them.
  const plain = name.normalize('NFKC');
  if (plain !== name && known.includes(plain)) return `Did you mean {{${prefix}${plain}}}? "${name}" is typed in full-width letters, as a Chinese keyboard gives them. `;
  const guess = didYouMean(name, known);
  return guess && guess !== name ? `Did you mean {{${prefix}${guess}}}? ` : '';
}

/** Names the merge itself provides to every template, beside the CSV columns. */
const PROVIDED = new Set(['id', 'language', 'group', 'gender', 'full_name', 'salutation', 'address_form', 'date', 'place', 'campaign', 'sender', 'contact', 'labels']);

interface HbsNode {
  type: string;
  path?: HbsNode;
  params?: HbsNode[];
  hash?: { pairs: { value: HbsNode }[] };
  program?: { body: HbsNode[]; blockParams?: string[] };
  inverse?: { body: HbsNode[] };
  body?: HbsNode[];
  parts?: string[];
  data?: boolean;
  depth?: number;
  original?: string;
  /** A partial's name. */
  name?: HbsNode;
  /** False for {{{value}}} and {{&value}}. */
  escaped?: boolean;
  /** A literal's value ("government" in {{eq group "government"}}). */
  value?: unknown;
  loc?: { start: { line: number } };
}

/**
 * The CSV columns a campaign's templates use: every name they look up that the merge does not
 * provide itself, with the template file and line of its first use.
 */
export function templateFields(campaign: Campaign): Map<string, { file: string; line: number }> {
  const fields = new Map<string, { file: string; line: number }>();
  const helpers = new Set(Object.keys(textEnv.helpers));
  const visit = (node: HbsNode | undefined, source: TemplateSource, offset: number, scoped: Set<string>) => {
    if (!node) return;
    const add = (p: HbsNode | undefined) => {
      if (!p || p.type !== 'PathExpression' || p.data || (p.depth ?? 0) > 0 || !p.parts?.length) return;
      const name = p.parts[0];
      if (PROVIDED.has(name) || scoped.has(name) || fields.has(name)) return;
      fields.set(name, { file: source.file, line: (p.loc?.start.line ?? 1) + offset - 1 });
    };
    const args = (n: HbsNode) => {
      for (const p of n.params ?? []) p.type === 'SubExpression' ? visit(p, source, offset, scoped) : add(p);
      for (const pair of n.hash?.pairs ?? []) pair.value.type === 'SubExpression' ? visit(pair.value, source, offset, scoped) : add(pair.value);
    };
    switch (node.type) {
      case 'Program':
        node.body?.forEach((n) => visit(n, source, offset, scoped));
        break;
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const name = node.path?.parts?.[0];
        const isHelper = (node.params?.length ?? 0) > 0 || (name !== undefined && helpers.has(name));
        if (!isHelper) add(node.path);
        args(node);
        const inner = new Set([...scoped, ...(node.program?.blockParams ?? [])]);
        node.program?.body.forEach((n) => visit(n, source, offset, inner));
        node.inverse?.body.forEach((n) => visit(n, source, offset, scoped));
        break;
      }
      default:
        break;
    }
  };
  for (const code of campaign.languages) {
    const t = campaign.templates[code];
    const sources: [TemplateSource, string, number][] = [
      [t.letter, t.letter.body, t.letter.bodyLine],
      [t.email, t.email.body, t.email.bodyLine],
      ...Object.entries(t.letter.front).map(([k, v]): [TemplateSource, string, number] => [t.letter, v, t.letter.frontLines?.[k] ?? 1]),
    ];
    for (const [source, text, offset] of sources) {
      try {
        visit(Handlebars.parse(text) as unknown as HbsNode, source, offset, new Set());
      } catch {
        // Syntax errors are reported when the templates are compiled.
      }
    }
  }
  return fields;
}

/**
 * The one check of the templates' fields against the recipients file's columns, for validate and
 * generate: a problem for each field a template uses that the file does not have, placed at the
 * template's line.
 */
export function missingColumns(campaign: Campaign, columns: string[], csv: string): Problem[] {
  return [...templateFields(campaign)]
    .filter(([name]) => !columns.includes(name))
    .map(([name, where]) => {
      const guess = meant(name, [...columns, ...PROVIDED]);
      return {
        scope: 'file' as const,
        code: 'TEMPLATE' as const,
        file: where.file,
        line: where.line,
        field: name,
        message: `the template uses "${name}", which is not a column of ${csv}`,
        hint: guess ? `${guess}Otherwise, add a "${name}" column to the CSV.` : `Add a "${name}" column to the CSV, or correct the name in the template.`,
      };
    });
}

interface CompiledLanguage {
  subject: Compiled;
  annex: Compiled;
  closing?: Compiled;
  body: Compiled;
  email: Compiled;
}

/**
 * What to do for a language the campaign does not make. Its folder may have the language's
 * letter all the same, left out of campaign.yaml's languages: (taken out for a trial run, or never
 * added): the hint says so, where it only listed the languages.
 */
export function unlistedLanguageHint(campaign: Pick<Campaign, 'dir' | 'languages'>, code: string): string {
  const listed = `The campaign's languages are: ${campaign.languages.join(', ')}.`;
  if (!/^[a-z]{2,3}$/.test(code) || !existsSync(path.join(campaign.dir, code, 'letter.md'))) return listed;
  return `The campaign folder has ${code}/letter.md, but campaign.yaml's languages: lists only ${wordList(campaign.languages, 'and')}: add ${code} there to make its letters.`;
}

/** Compiles a campaign's templates once; `merge` then fills them for each recipient. */
export class Merger {
  private readonly compiled = new Map<string, CompiledLanguage>();

  constructor(readonly campaign: Campaign) {
    for (const code of campaign.languages) {
      const t = campaign.templates[code];
      const front = (key: string) => compile(textEnv, t.letter, t.letter.front[key] ?? '', t.letter.frontLines?.[key] ?? 1, `the "${key}" in the front matter`);
      this.compiled.set(code, {
        subject: front('subject'),
        annex: front('annex'),
        closing: t.letter.front.closing ? front('closing') : undefined,
        body: compile(markdownEnv, t.letter, t.letter.body, t.letter.bodyLine, 'the letter template'),
        email: compile(textEnv, t.email, t.email.body, t.email.bodyLine, 'the e-mail template'),
      });
    }
  }

  /** The sender's mailbox: email.from (checked when the campaign was loaded), else the contact. */
  private from(contactName: string): Mailbox {
    const configured = this.campaign.email.from === undefined ? undefined : parseMailbox(this.campaign.email.from);
    if (configured && typeof configured !== 'string') return configured;
    return { name: contactName, address: this.campaign.contact.email };
  }

  labels(code: string): Labels {
    return { ...language(code).labels, ...(this.campaign.labels[code] ?? {}) };
  }

  merge(recipient: Recipient, code: string): MergedLetter {
    const c = this.campaign;
    const compiled = this.compiled.get(code);
    if (!compiled) {
      throw new LetterMergeError('LANGUAGE_NOT_IN_CAMPAIGN', `the campaign has no templates in language "${code}"`, {
        kind: 'row',
        location: { field: 'language' },
        hint: unlistedLanguageHint(c, code),
      });
    }
    const lang = language(code);
    const labels = this.labels(code);
    const L = (v: Parameters<typeof localise>[0]) => localise(v, code, c.defaultLanguage);
    const date = formatLetterDate(lang, c.date);
    const place = typeof c.place === 'string' ? (lang.places[c.place] ?? c.place) : L(c.place);
    const fullName = joinName(recipient.first_name, recipient.last_name);
    const who = { gender: recipient.gender, title: recipient.title, last_name: recipient.last_name };
    const typedSalutation = recipient.fields.salutation;
    const context = {
      ...recipient.fields,
      id: recipient.id,
      language: code,
      group: recipient.group,
      gender: recipient.gender,
      full_name: fullName,
      salutation: typedSalutation || salutation(labels, lang, who),
      address_form: addressForm(labels, lang, who),
      date,
      place,
      campaign: {
        id: c.id,
        reference: L(c.reference),
        organization: L(c.letterhead.organization),
      },
      sender: { name: L(c.sender.name), title: L(c.sender.title), office: L(c.sender.office) },
      contact: { name: L(c.contact.name), telephone: c.contact.telephone, fax: c.contact.fax, email: c.contact.email },
      labels,
    };
    const subject = oneLine(compiled.subject(context));
    if (!subject) {
      // A subject made only of the row's values ("{{position}}"), which this row leaves empty: a
      // letter with "Subject:" and nothing after it, and an e-mail without a subject.
      const t = c.templates[code].letter;
      throw new LetterMergeError('TEMPLATE_SUBJECT', `the letter's subject comes out empty for this row: the front matter's subject is "${oneLine(t.front.subject ?? '')}"`, {
        kind: 'row',
        location: { file: t.file, line: t.frontLines?.subject ?? 1 },
        hint: 'Fill the values it uses on the row, or give the subject words of its own.',
      });
    }
    // Chinese puts the form of address after the name: 王丽华女士.
    const title = recipient.title || (lang.titleAfterName && recipient.gender ? addressForm(labels, lang, who) : '');
    const addressee = [titledName(lang, title, fullName), recipient.position, recipient.organization, ...recipient.address, recipient.country]
      .map((s) => s.trim())
      .filter(Boolean);
    const organization = L(c.letterhead.organization);
    return {
      id: recipient.id,
      lang,
      labels,
      organization,
      footer: L(c.letterhead.footer),
      office: L(c.sender.office),
      dateLine: lang.dateLine(place, date),
      reference: L(c.reference),
      contact: context.contact,
      addressee,
      subject,
      body: compiled.body(context),
      closing: compiled.closing ? oneLine(compiled.closing(context)) : labels.closing,
      sender: { name: L(c.sender.name), title: L(c.sender.title), signature: c.sender.signature?.image },
      annex: oneLine(compiled.annex(context)),
      email: {
        from: this.from(context.contact.name),
        to: { name: fullName || recipient.organization, address: recipient.email },
        cc: [...c.email.cc, ...recipient.cc],
        bcc: [...c.email.bcc, ...recipient.bcc],
        ...(c.email.replyTo ? { replyTo: c.email.replyTo } : {}),
        // Read by mail programs, which apply the bidi algorithm as it is: a telephone number and
        // digit groups in right-to-left text are marked to show as written (the letters isolate them).
        subject: lang.direction === 'rtl' ? markNumbersLeftToRight(subject) : subject,
        text: lang.direction === 'rtl' ? markNumbersLeftToRight(compiled.email(context)) : compiled.email(context),
      },
      author: [L(c.sender.name), L(c.sender.title)].filter(Boolean).join(', ') || organization,
      keepWhole: keptWords(
        [recipient.first_name, recipient.last_name],
        Object.entries(recipient.fields)
          .filter(([k]) => !CODE_COLUMNS.has(k))
          .map(([, v]) => v),
      ),
    };
  }
}

/** Columns that hold codes and addresses, not words of the letter's text. */
const CODE_COLUMNS = new Set(['id', 'language', 'group', 'gender', 'email', 'cc', 'bcc']);

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * A template that cannot be filled with the values of `sample` (a row of `csv`), in any of the
 * campaign's languages: a problem of the templates, found on the first row rather than on every
 * one. generate refuses the run for it, and validate lists it once.
 */
export function templateFailure(merger: Merger, sample: Recipient, csv: string): LetterMergeError | undefined {
  for (const code of merger.campaign.languages) {
    try {
      merger.merge(sample, code);
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      // Any other problem is the row's own, and reported with the row.
      if (err.code === 'TEMPLATE') {
        return new LetterMergeError(err.code, err.message, { kind: 'input', location: err.location, hint: err.hint ?? `Checked against ${csv}, line ${sample.line}.` });
      }
    }
  }
  return undefined;
}
