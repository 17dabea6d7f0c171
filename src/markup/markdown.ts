import MarkdownIt from 'markdown-it';
import { Recent } from '../recent';
import { linesBefore, shortened } from '../text/suggest';
type Token = MarkdownIt.Token;

/** A piece of text with one style. A hard line break is a run whose text is "\n". */
export interface Run {
  text: string;
  bold: boolean;
  italic: boolean;
  link?: string;
}

export type Block =
  | { kind: 'paragraph'; runs: Run[] }
  | { kind: 'heading'; level: number; runs: Run[] }
  /** An ordered list's numbers end as the author wrote them: "1.", or "1)" (delimiter ')'). */
  | { kind: 'list'; ordered: boolean; start: number; delimiter?: ')'; items: Block[][] }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'rule' };

/**
 * A Markdown parser as a letter's text is read: CommonMark with no block of code made by
 * indenting. A line indented by four spaces or a tab (the first line of a paragraph, as letters
 * were typed) is a paragraph like any other; as code, its links and bold were printed as typed,
 * "[Resolution 140](https://…)", and its links were not checked. A letter holds no code.
 * `html`: whether HTML is read as HTML (to find it), or kept as literal text.
 */
function letterParser(html: boolean) {
  return new MarkdownIt('commonmark', { html, linkify: false, typographer: false }).disable('code');
}

// linkify off so only written links become links.
const md = letterParser(false);

/**
 * Bodies parsed lately. Most letters of a language, group and gender have the same body (a
 * recipient's fields are in the addressee block and the salutation), so most are parsed once. 600
 * varied letters in six languages had 137 different bodies (a Russian salutation names the
 * recipient): 32 a generation had them parse 0.5 bodies a letter (0.4 ms each), 128 0.09.
 */
const parsed = new Recent<string, readonly Block[]>(128);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the letter body (Markdown) into the small block model that layout understands. The
 * blocks are frozen: the same blocks are handed to every letter with the same body.
 */
export function parseMarkdown(source: string): readonly Block[] {
  return parsed.getOrMake(source, () => deepFreeze(readBlocks(md.parse(source, {}), 0, null)[0]));
}

/** The links a letter makes live: to the web and to an e-mail address. Any other is drawn as its text alone. */
export const LIVE_LINK = /^(https?:|mailto:)/i;

/**
 * A web address written from "www." ("www.example.org/about"); a label may be percent-encoded (as
 * the parser leaves "exámple"). Not any name with a dot: "packages.pdf" is a file, not a host.
 */
const BARE_WEB = /^www\.(?:(?:[\p{L}\p{N}]|%[0-9a-f]{2})(?:(?:[\p{L}\p{N}-]|%[0-9a-f]{2})*(?:[\p{L}\p{N}]|%[0-9a-f]{2}))?\.)+(?:\p{L}|%[0-9a-f]{2}){2,}(?::\d{1,5})?(?:[/?#]\S*)?$/iu;
const BARE_MAIL = /^[^\s@/:<>()[\]\\,;"]+@[^\s@/:<>()[\]\\,;"]+\.[^\s@/:<>()[\]\\,;"]+$/u;

/**
 * Where a link goes in a letter: a web or e-mail address as written, and one written without its
 * scheme as a cell often holds it ("www.example.org/about", "fund@example.org"), given it.
 * Undefined for anything else (a file, a script, words, "example.org" without "www."): the link
 * would not be live.
 */
export function liveHref(href: string): string | undefined {
  if (LIVE_LINK.test(href)) return href;
  if (BARE_MAIL.test(href)) return `mailto:${href}`;
  if (BARE_WEB.test(href)) return `https://${href}`;
  return undefined;
}

/** A second parser that takes every link as written, to find those the letter would not make live. */
const anyLink = letterParser(false);
anyLink.validateLink = () => true;
anyLink.normalizeLink = (url: string) => url;

/** Every link of a Markdown text, as written, with the line it is on (from 0). */
export function linksIn(source: string): { line: number; text: string; href: string }[] {
  const found: { line: number; text: string; href: string }[] = [];
  for (const t of anyLink.parse(source, {})) {
    const children = t.children ?? [];
    children.forEach((c, i) => {
      if (c.type !== 'link_open') return;
      let text = '';
      for (let j = i + 1; j < children.length && children[j].type !== 'link_close'; j++) text += children[j].content;
      found.push({ line: t.map?.[0] ?? 0, text, href: String(c.attrGet('href') ?? '') });
    });
  }
  return found;
}

/**
 * The links written as Markdown ("[words](address)") in a text that is not Markdown (an e-mail's
 * cover note), with the line each is on (from 0) and as written: each would be sent as typed,
 * brackets and all. An address between angle brackets ("<https://…>") is plain text's own way of
 * writing one, and is left.
 */
export function writtenLinksIn(source: string): { line: number; written: string; text: string; href: string }[] {
  const found: { line: number; written: string; text: string; href: string }[] = [];
  for (const t of anyLink.parse(source, {})) {
    const children = t.children ?? [];
    // Where in the paragraph's text the last link found was, to find the line of the next.
    let at = 0;
    children.forEach((c, i) => {
      if (c.type !== 'link_open' || c.markup === 'autolink') return;
      let text = '';
      for (let j = i + 1; j < children.length && children[j].type !== 'link_close'; j++) text += children[j].content;
      const href = String(c.attrGet('href') ?? '');
      const index = t.content.indexOf(`[${text}]`, at);
      if (index !== -1) at = index;
      found.push({ line: (t.map?.[0] ?? 0) + linesBefore(t.content, at), written: `[${text}](${href})`, text, href });
    });
  }
  return found;
}

/**
 * The links of a Markdown text that would not be live in a letter, with the line each is on (from
 * 0): to a file ("../annex.pdf", "file:…"), a script ("javascript:…") or any place but the web and
 * e-mail. A letter is read as a PDF, mostly in an e-mail: none of them could open. Links whose
 * address a template fills ({{website}}) are left to each letter (see filledLinksIn).
 */
export function deadLinksIn(source: string): { line: number; text: string; href: string }[] {
  return linksIn(source).filter((l) => liveHref(l.href) === undefined && !l.href.includes('{{'));
}

/** The links of a template whose address it fills from the row ("[our site]({{website}})"), with the line each is on (from 0). */
export function filledLinksIn(source: string): { line: number; text: string; href: string }[] {
  return linksIn(source).filter((l) => l.href.includes('{{'));
}

/** A third parser that knows HTML, to find what a letter would print as typed. */
const withHtml = letterParser(true);

/**
 * The HTML a Markdown text holds ("<br>", "<b>", "<!-- a note -->"), with the line each is on
 * (from 0). A letter's text is Markdown without HTML: each would be printed as typed, in every
 * letter.
 */
export function htmlIn(source: string): { line: number; html: string }[] {
  const found: { line: number; html: string }[] = [];
  const add = (line: number, html: string) => {
    if (isFormatting(html)) found.push({ line, html });
  };
  for (const t of withHtml.parse(source, {})) {
    if (t.type === 'html_block') add(t.map?.[0] ?? 0, t.content.trim());
    for (const c of t.children ?? []) if (c.type === 'html_inline') add(t.map?.[0] ?? 0, c.content);
  }
  return found;
}

/** A fourth parser that knows GitHub's Markdown (tables, struck text), as most editors write it, to find it. */
const withGithub = letterParser(false).enable(['table', 'strikethrough']);

/** Markdown of another flavour than a letter's, found in a text: where, what (to name it in a message) and what to write instead. */
export interface ForeignMarkdown {
  line: number;
  what: string;
  /** How it would look, said after "printed as typed". */
  looks?: string;
  hint: string;
}

/**
 * The Markdown of GitHub and most editors that a letter's (CommonMark) is not, with the line each
 * is on (from 0): a table ("| Package | Amount |" over "|---|---|"), struck text ("~~…~~"), a task
 * box ("- [ ] …") and a footnote ("[^1]"). lettermerge draws none of them: each would be printed
 * as typed, a table's bars and dashes run into one paragraph.
 */
export function foreignMarkdownIn(source: string): ForeignMarkdown[] {
  const found: ForeignMarkdown[] = [];
  const tokens = withGithub.parse(source, {});
  tokens.forEach((t, i) => {
    const line = t.map?.[0] ?? 0;
    if (t.type === 'table_open') {
      found.push({ line, what: 'a table', looks: ', its | and --- run into one paragraph', hint: 'lettermerge draws no tables. Write each row as an item of a list, e.g. "- **Gold Partner**: CHF 60 000".' });
    } else if (t.type === 'list_item_open' && tokens[i + 1]?.type === 'paragraph_open' && /^\[[ xX]\]\s/.test(tokens[i + 2]?.content ?? '')) {
      found.push({ line, what: `a task box (${tokens[i + 2].content.slice(0, 3)})`, hint: 'Write the item without its box.' });
    } else if (t.type === 'inline') {
      if (t.children?.some((c) => c.type === 's_open')) {
        found.push({ line, what: 'struck text (~~…~~)', hint: 'A letter has no struck text: leave the words out, or set them in *italic*.' });
      }
      const note = /\[\^[^\]\s]+\]/.exec(t.content);
      if (note) found.push({ line, what: `a footnote (${note[0]})`, hint: 'lettermerge sets no footnotes: write the note in the text, in brackets, or as a paragraph of its own.' });
      const wide = fullWidthLinkIn(t.content);
      if (wide) {
        found.push({
          line: line + linesBefore(t.content, wide.index),
          what: `a link written with full-width brackets (${wide.written})`,
          looks: ': Markdown reads a link only between [ ] and ( )',
          hint: `Write it with the ASCII brackets, as a Chinese keyboard types them in English mode: [${wide.text}](${wide.href}).`,
        });
      }
      const spaced = spacedAddressIn(t.content);
      if (spaced) {
        found.push({
          line: line + linesBefore(t.content, spaced.index),
          what: `a link whose address has a space (${spaced.href})`,
          looks: ', brackets and address: Markdown reads no space in an address',
          hint: /^mailto:/i.test(spaced.href)
            ? 'An e-mail address has no space: write it without.'
            : `Write each space as %20 (${spaced.href.replace(/\s+/g, '%20')}), or put the address between < and >: [${spaced.text}](<${spaced.href}>).`,
        });
      }
    }
  });
  return found.sort((a, b) => a.line - b.line);
}

/**
 * A link written as "[words](address)" whose web or e-mail address has a space in it
 * ("https://example.org/annual report.pdf"): Markdown does not read it as a link, and the letter
 * printed the whole of it as typed. A title after the address ("…" or '…') is not a space in it;
 * code spans, an escaped "\[" and an address a template fills ({{…}}: see pointedLinks) are left.
 */
function spacedAddressIn(inline: string): { index: number; text: string; href: string } | undefined {
  const text = inline.replace(/(`+)[^`]*?\1/g, (code) => ' '.repeat(code.length));
  const m = /(?<!\\)\[([^[\]\n]+)\]\(\s*((?:https?:\/\/|mailto:|www\.)[^\s()]*(?:[ \t]+(?!["'])[^\s()]+)+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/i.exec(text);
  if (!m || m[2].includes('{{')) return undefined;
  return { index: m.index, text: m[1], href: m[2] };
}

/**
 * A link typed with full-width brackets, as a Chinese keyboard gives them: "[第140号决议]（https://…）"
 * or "［…］(…)". Markdown reads no link there, and every letter printed the whole of it as typed.
 */
function fullWidthLinkIn(inline: string): { index: number; written: string; text: string; href: string } | undefined {
  const m = /([[［])([^[\]［］\n]+)([\]］])\s*([(（])\s*((?:https?:\/\/|mailto:|www\.)[^\s()（）]*)\s*([)）])/i.exec(inline);
  if (!m || ![m[1], m[3], m[4], m[6]].some((c) => c > '\u00ff')) return undefined;
  return { index: m.index, written: shortened(m[0]), text: m[2], href: m[5] };
}

/** The elements of HTML that format text, which a writer used to HTML (or a word processor's export) would type. */
const FORMATTING = new Set('a abbr b big blockquote br center cite code del div em font h1 h2 h3 h4 h5 h6 hr i img ins li mark ol p pre s small span strike strong sub sup table tbody td th thead tr u ul'.split(' '));

/**
 * Whether a piece of HTML is a comment or an element that formats text. Other text in angle
 * brackets ("<Partners>", "<name>") is taken as words, printed as typed, as it was meant.
 */
function isFormatting(html: string): boolean {
  if (html.startsWith('<!--')) return true;
  const tag = tagOf(html);
  return tag !== undefined && FORMATTING.has(tag);
}

/** The element a piece of HTML opens or closes, lower-case ("<B>" and "</b>": "b"). */
function tagOf(html: string): string | undefined {
  return /^<\/?([a-z][a-z0-9-]*)/i.exec(html)?.[1]?.toLowerCase();
}

/** The Markdown (or Handlebars) for a piece of HTML. */
export function htmlHint(html: string): string {
  if (html.startsWith('<!--')) return 'A note to yourself is a Handlebars comment: {{!-- … --}}. It is left out of the letter.';
  const tag = tagOf(html) ?? '';
  if (tag === 'br') return 'For a new line within a paragraph, end the line with a backslash (\\); a blank line starts a new paragraph.';
  if (tag === 'b' || tag === 'strong') return 'Bold is **two asterisks** around the words.';
  if (tag === 'i' || tag === 'em') return 'Italic is *one asterisk* around the words.';
  if (tag === 'a') return 'A link is [its words](https://www.example.org).';
  if (tag === 'p' || tag === 'div') return 'Paragraphs are separated by a blank line.';
  return 'Write it in Markdown: paragraphs separated by blank lines, **bold**, *italic*, lists, [links](https://…). A "<" that is text is written \\<.';
}

/**
 * The first markup of a line that is plain text (a letter's subject, annex line, closing): HTML,
 * or Markdown's bold, italic, link or code. Undefined when it has none.
 */
export function markupIn(line: string): string | undefined {
  const [html] = htmlIn(line);
  if (html) return `HTML (${html.html})`;
  for (const t of withHtml.parseInline(line, {})[0]?.children ?? []) {
    if (t.type === 'strong_open') return `Markdown's bold (${t.markup}…${t.markup})`;
    if (t.type === 'em_open') return `Markdown's italic (${t.markup}…${t.markup})`;
    if (t.type === 'link_open') return t.markup === 'autolink' ? 'a Markdown link (<…>)' : 'a Markdown link ([…](…))';
    if (t.type === 'code_inline') return 'Markdown\'s code (`…`)';
  }
  return undefined;
}

/**
 * The images a Markdown text holds (`![alt](src)`), with the line each is on (from 0). A letter's
 * text draws none: an image would come out as its alternate text alone.
 */
export function imagesIn(source: string): { line: number; alt: string; src: string }[] {
  const found: { line: number; alt: string; src: string }[] = [];
  for (const t of md.parse(source, {})) {
    for (const c of t.children ?? []) {
      if (c.type === 'image') found.push({ line: t.map?.[0] ?? 0, alt: c.content, src: String(c.attrGet('src') ?? '') });
    }
  }
  return found;
}

function readBlocks(tokens: Token[], start: number, closeType: string | null): [Block[], number] {
  const blocks: Block[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i];
    if (closeType && t.type === closeType) return [blocks, i + 1];
    switch (t.type) {
      case 'paragraph_open': {
        blocks.push({ kind: 'paragraph', runs: readInline(tokens[i + 1]) });
        i += 3;
        break;
      }
      case 'heading_open': {
        blocks.push({ kind: 'heading', level: Number(t.tag.slice(1)), runs: readInline(tokens[i + 1]) });
        i += 3;
        break;
      }
      case 'bullet_list_open':
      case 'ordered_list_open': {
        const ordered = t.type === 'ordered_list_open';
        const close = ordered ? 'ordered_list_close' : 'bullet_list_close';
        const items: Block[][] = [];
        i++;
        while (tokens[i].type !== close) {
          // list_item_open
          const [item, next] = readBlocks(tokens, i + 1, 'list_item_close');
          items.push(item);
          i = next;
        }
        blocks.push({ kind: 'list', ordered, start: Number(t.attrGet('start') ?? 1), ...(ordered && t.markup === ')' ? { delimiter: ')' as const } : {}), items });
        i++;
        break;
      }
      case 'blockquote_open': {
        const [inner, next] = readBlocks(tokens, i + 1, 'blockquote_close');
        blocks.push({ kind: 'quote', blocks: inner });
        i = next;
        break;
      }
      case 'hr':
        blocks.push({ kind: 'rule' });
        i++;
        break;
      case 'code_block':
      case 'fence':
      case 'html_block':
        blocks.push({ kind: 'paragraph', runs: [{ text: t.content.replace(/\n$/, ''), bold: false, italic: false }] });
        i++;
        break;
      default:
        i++;
    }
  }
  return [blocks, i];
}

function readInline(token: Token): Run[] {
  const runs: Run[] = [];
  let bold = 0;
  let italic = 0;
  let link: string | undefined;
  const push = (text: string) => {
    if (!text) return;
    const run: Run = { text, bold: bold > 0, italic: italic > 0 };
    if (link) run.link = link;
    const last = runs[runs.length - 1];
    if (last && last.text !== '\n' && text !== '\n' && last.bold === run.bold && last.italic === run.italic && last.link === run.link) {
      last.text += text;
    } else {
      runs.push(run);
    }
  };
  for (const c of token.children ?? []) {
    switch (c.type) {
      case 'text':
      case 'code_inline':
      case 'html_inline':
        push(c.content);
        break;
      case 'softbreak':
        push(' ');
        break;
      case 'hardbreak':
        push('\n');
        break;
      case 'strong_open':
        bold++;
        break;
      case 'strong_close':
        bold--;
        break;
      case 'em_open':
        italic++;
        break;
      case 'em_close':
        italic--;
        break;
      case 'link_open':
        link = String(c.attrGet('href') ?? '') || undefined;
        break;
      case 'link_close':
        link = undefined;
        break;
      case 'image':
        push(c.content);
        break;
      default:
        break;
    }
  }
  return runs;
}
