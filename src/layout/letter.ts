import { Recent } from '../recent';
import type { SignatureImage } from '../campaign/signature';
import { LetterMergeError } from '../errors';
import { fallbackChain, measure, styleOf } from '../fonts/fonts';
import type { Family, FontFace } from '../fonts/fonts';
import { liveHref } from '../markup/markdown';
import type { Block, Run } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';
import { letterParts, partOf } from './parts';
import type { LetterPart, PartOf } from './parts';
import { hyphenatorFor } from './hyphenate';
import { breakLines, glueWords } from './lines';
import { isolateNumbers } from '../text/bidi-numbers';
import type { Hyphenation } from './lines';
import type { Align, Direction, Line, StyledRun } from './lines';
import { foreignLanguage, isTag } from './tags';
import type { Artifact, TagNode, TagType } from './tags';

export interface TextItem {
  kind: 'text';
  x: number;
  y: number;
  text: string;
  face: FontFace;
  size: number;
  color: string;
  wordSpacing: number;
  /** Extra space after every character (Chinese justification). */
  charSpacing?: number;
  /** Drawn mirrored left to right within its own width (a bracket in right-to-left text). */
  flip?: boolean;
  width?: number;
  /** Not content: the footer or a page number. */
  artifact?: Artifact;
  /** Its glyphs are not in the order of its characters (see Segment.reordered): extractors are given its text. */
  reordered?: boolean;
}

/** Everything on a page, positioned in points from the top-left corner. Text `y` is the baseline. */
export type Item =
  | TextItem
  | { kind: 'link'; x: number; y: number; width: number; height: number; url: string }
  | { kind: 'rule'; x1: number; y1: number; x2: number; y2: number; width: number; color: string; artifact: Artifact }
  | { kind: 'signature'; image: SignatureImage; x: number; y: number; width: number; height: number };

export interface PageLayout {
  items: Item[];
  /**
   * The items that change with the recipient (from the addressee block to the salutation), as
   * the indices of the first and of the one after the last. The PDF gives them a content stream of
   * their own, so the rest of the page is the same bytes in every letter of a campaign and
   * compresses once, and glyphs only they use a font subset of their own. Only the PDF's bytes
   * depend on it, never what the page shows.
   */
  variable?: { from: number; to: number };
}

export type LetterTag = TagNode<Item>;

export interface LetterLayout {
  width: number;
  height: number;
  pages: PageLayout[];
  /** The logical structure, in reading order; every item that is not an artifact is in it once. */
  structure: LetterTag;
  /**
   * Characters the items that change with the recipient most often use (LanguageInfo's): the PDF
   * holds their glyphs in the fonts every letter shares. Only the PDF's bytes depend on it.
   */
  commonCharacters?: string;
}

export const A4 = { width: 595.28, height: 841.89 };

/** The letter's geometry and type; one place to tune the look. */
export const STYLE = {
  margin: { left: 68, right: 56, top: 48, bottom: 78 },
  body: { size: 11 },
  small: { size: 9.5 },
  footer: { size: 7.5 },
  letterhead: { size: 13 },
  office: { size: 12 },
  /** Line height as a multiple of the size, and a size factor, per script: Naskh needs room. */
  script: {
    latin: { leading: 1.36, smallLeading: 1.3, scale: 1 },
    arabic: { leading: 1.62, smallLeading: 1.5, scale: 1.12 },
    han: { leading: 1.6, smallLeading: 1.45, scale: 1 },
  } as Record<Family, { leading: number; smallLeading: number; scale: number }>,
  colors: { text: '#141414', accent: '#1d3c6e', muted: '#5a5a5a', link: '#1a4f9c' },
  paragraphGap: 7,
  listIndent: 20,
  signature: { width: 150, height: 46 },
};


/**
 * Most of a campaign's text is the same in every letter (letterhead, labels, body paragraphs), so
 * broken lines are kept for reuse. Lines are never changed once made, so sharing them is safe.
 */
const lineCache = new Recent<string, { lines: Line[]; broken: string[] }>(500);
const NO_WORDS: ReadonlySet<string> = new Set();

/**
 * A paragraph's lines. A hyphenated paragraph is broken first as if the recipient's words could be
 * hyphenated too, and that is kept for every letter: a recipient whose words it does not break
 * gets exactly those lines (the best breaks without the breaks a letter forbids are the same
 * breaks, when none of them was taken). Only a letter whose own word it would break has its
 * paragraph broken again, with that word kept whole.
 */
function cachedLines(runs: StyledRun[], width: number, align: Align, dir: Direction, hyphenation?: Hyphenation, glue?: RegExp): Line[] {
  let key = `${width}|${align}|${dir}`;
  for (const r of runs) key += `|${r.faces.map((f) => f.key).join(',')}|${r.size}|${r.color}|${r.link ?? ''}|${r.text}`;
  if (hyphenation) key += `|h:${hyphenation.hyphenator.lang}`;
  // The language's words tied to the next (glueWords), when the lines are made.
  if (glue) key += `|g:${glue.source}`;
  const input = () => (glue ? glueWords(runs, glue) : runs);
  const free = lineCache.getOrMake(key, () => {
    const broken: string[] = [];
    return { lines: breakLines(input(), width, align, dir, hyphenation && { ...hyphenation, keep: NO_WORDS }, broken), broken };
  });
  const keep = hyphenation?.keep;
  if (!keep || !free.broken.some((w) => keep.has(w))) return free.lines;
  // Broken again with the recipient's words kept whole: keyed by those of them in the paragraph.
  const lower = runs.map((r) => r.text).join('').toLowerCase();
  for (const w of keep) if (lower.includes(w)) key += `|${w}`;
  return lineCache.getOrMake(`${key}|kept`, () => ({ lines: breakLines(input(), width, align, dir, hyphenation), broken: [] })).lines;
}

/**
 * Places lines on pages. Positions are computed in reading direction — `x` is the distance of a
 * box's start edge from the page's start margin side — and mirrored for right-to-left letters,
 * so one layout serves both: in Arabic the reference block, labels, lists and signature sit right.
 */
class Composer {
  readonly pages: PageLayout[] = [];
  y = 0;
  readonly left = STYLE.margin.left;
  readonly width = A4.width - STYLE.margin.left - STYLE.margin.right;
  readonly bottom = A4.height - STYLE.margin.bottom;
  readonly dir: Direction;
  readonly family: Family;
  readonly size: number;
  readonly lh: number;
  readonly small: number;
  readonly smallLh: number;
  /** The part of the letter being laid out, and the field to blame if it cannot fit. */
  private part = { name: 'the letterhead', field: '' };
  /** The structure tree, and the elements open now (the innermost last). */
  readonly structure: LetterTag = { type: 'Document', children: [] };
  private readonly open: LetterTag[] = [this.structure];

  /** How justified text is hyphenated, in a language that is. */
  private readonly hyphenation: Hyphenation | undefined;

  constructor(private readonly letter: Pick<MergedLetter, 'lang' | 'labels'> & { keepWhole?: readonly string[] }) {
    const hyphenator = hyphenatorFor(letter.lang.code);
    this.hyphenation = hyphenator && { hyphenator, keep: new Set(letter.keepWhole ?? []) };
    this.dir = letter.lang.direction;
    this.family = letter.lang.script;
    const s = STYLE.script[this.family];
    this.size = STYLE.body.size * s.scale;
    this.lh = this.size * s.leading;
    this.small = STYLE.small.size * s.scale;
    this.smallLh = this.small * s.smallLeading;
    this.newPage();
  }

  get page(): PageLayout {
    return this.pages[this.pages.length - 1];
  }

  /** The page with the items that change with the recipient. */
  private variablePage: PageLayout | undefined;

  /** The items that change with the recipient start here, on this page (see PageLayout.variable). */
  variableFrom(): void {
    const at = this.page.items.length;
    this.page.variable = { from: at, to: at };
    this.variablePage = this.page;
  }

  /** The items that change with the recipient end here (or with their page, if a page began since). */
  variableTo(): void {
    const page = this.variablePage;
    if (page?.variable) page.variable.to = page.items.length;
  }

  /** Lays out `fn`'s content as a structure element of `type` inside the one open now. */
  tagged<T>(type: TagType, fn: () => T, attrs: Omit<LetterTag, 'type' | 'children'> = {}): T {
    const node: LetterTag = { type, ...attrs, children: [] };
    this.open[this.open.length - 1].children.push(node);
    this.open.push(node);
    try {
      return fn();
    } finally {
      this.open.pop();
    }
  }

  /** The alternate text of the signature image, in the letter's language. */
  signatureAlt(name: string): string {
    return this.letter.labels.signatureAlt.replace('{name}', name);
  }

  /** The innermost structure element open now. */
  get container(): LetterTag {
    return this.open[this.open.length - 1];
  }

  /**
   * Laying out the recipient's own block (the addressee): its lines are not kept for other
   * letters, which would not have them; kept, they would push the campaign's own lines out of the
   * cache (six languages' worth of them, in a mixed batch).
   */
  recipientsOwn = false;

  lines(runs: StyledRun[], width: number, align: Align): Line[] {
    const hyphenation = align === 'justify' ? this.hyphenation : undefined;
    const glue = this.letter.lang.noBreakAfter;
    // The same lines as cachedLines gives (see there): broken with the recipient's words kept whole.
    if (this.recipientsOwn) return breakLines(glue ? glueWords(runs, glue) : runs, width, align, this.dir, hyphenation);
    return cachedLines(runs, width, align, this.dir, hyphenation, glue);
  }

  newPage(): void {
    this.pages.push({ items: [] });
    this.y = STYLE.margin.top;
    const n = this.pages.length;
    if (n > 1) {
      const label = this.letter.labels.pageNumber.replace('{n}', String(n));
      const [line] = this.lines([this.run(label, false, false, this.small, STYLE.colors.muted)], this.width, 'center');
      this.pushLine(this.page, line, this.left, this.width, STYLE.margin.top - 16, this.smallLh, 'Pagination');
      this.y = STYLE.margin.top + 14;
    }
  }

  /** The footer, drawn last on a page, so the text layer reads it after the letter. */
  footer(page: PageLayout, text: string): void {
    const size = STYLE.footer.size * STYLE.script[this.family].scale;
    const lh = size * 1.3;
    const lines = this.lines([this.run(text, false, false, size, STYLE.colors.muted)], this.width, 'center');
    let y = A4.height - STYLE.margin.bottom + 26;
    page.items.push({ kind: 'rule', x1: this.left, y1: y - 6, x2: this.left + this.width, y2: y - 6, width: 0.5, color: STYLE.colors.accent, artifact: 'Pagination' });
    for (const line of lines) {
      this.pushLine(page, line, this.left, this.width, y, lh, 'Pagination');
      y += lh;
    }
  }

  run(text: string, bold: boolean, italic: boolean, size: number, color: string = STYLE.colors.text, link?: string): StyledRun {
    if (this.dir === 'rtl') text = isolateNumbers(text);
    return { text, faces: fallbackChain(this.family, styleOf(bold, italic)), size, color, link };
  }

  runs(runs: Run[], size: number, forceBold = false): StyledRun[] {
    return runs.map((r) => {
      const live = r.link ? liveHref(r.link) : undefined;
      return this.run(r.text, r.bold || forceBold, r.italic, size, live ? STYLE.colors.link : STYLE.colors.text, live);
    });
  }

  /** Where a box that starts `x` from the start side and is `width` wide sits, from the page's left. */
  boxLeft(x: number, width: number): number {
    return this.dir === 'rtl' ? A4.width - x - width : x;
  }

  /** Names the part being laid out from here on, for the message when it cannot fit. */
  laying(name: string, field = ''): void {
    this.part = { name, field };
  }

  /**
   * A block that does not fit above the footer (a 60-line address, say) fails the letter with a
   * message: nothing is ever drawn over the footer or off the page.
   */
  guard(bottom: number): void {
    if (bottom <= this.bottom + 0.5) return;
    throw new LetterMergeError('BLOCK_TOO_LONG', `${this.part.name} is too long to fit on the page above the footer`, {
      kind: 'row',
      location: this.part.field ? { field: this.part.field } : {},
      hint: this.part.field ? `Shorten the ${this.part.field} of this recipient.` : 'Shorten the text in the campaign or its templates.',
    });
  }

  /**
   * Adds one line's items; the line box starts at `x` (reading direction), is `boxWidth` wide, with
   * its top at `top`. The items go into the structure element open now: a stretch of linked text
   * into a Link (with its link rectangle), text in another script into a Span with its language,
   * and a line drawn in visual order into a Span whose ActualText is the line in reading order.
   * An artifact line (the footer, a page number) goes into no element.
   */
  pushLine(page: PageLayout, line: Line, x: number, boxWidth: number, top: number, lineHeight: number, artifact?: Artifact): void {
    if (!artifact) this.guard(top + lineHeight);
    const left = this.boxLeft(x, boxWidth);
    const baseline = top + (lineHeight - (line.ascent + line.descent)) / 2 + line.ascent;
    // Drawn in reading order (positions are visual), so extractors that follow the content
    // stream read right-to-left lines word by word in the right order.
    const inReadingOrder = [...line.segments].sort((a, b) => a.logical - b.logical);
    // The space at the end of a line is drawn (after the last word, invisible) so that the text
    // in the content reads on into the next line.
    const spaced = line.spaceAfter && !artifact && !line.logical ? inReadingOrder[inReadingOrder.length - 1] : undefined;
    // (Fields set one by one: spreading optional ones in made every item a new object to copy,
    // 0.06 ms of a Chinese letter, whose lines are many runs.)
    const items: TextItem[] = inReadingOrder.map((s) => {
      const item: TextItem = { kind: 'text', x: left + s.x, y: baseline, text: s === spaced ? `${s.text} ` : s.text, face: s.face, size: s.size, color: s.color, wordSpacing: s.wordSpacing };
      if (s.flip) {
        item.flip = true;
        item.width = s.width;
      }
      if (s.charSpacing) item.charSpacing = s.charSpacing;
      if (s.reordered) item.reordered = true;
      if (artifact) item.artifact = artifact;
      return item;
    });
    const texts = inReadingOrder.map((s, i) => ({ item: items[i], link: s.link }));
    if (line.spaceAfter && line.logical && !artifact && items.length) {
      // A line drawn in visual order: the space goes left of its last word in reading order.
      const { face, size, color } = items[items.length - 1];
      const space: TextItem = { kind: 'text', x: items[items.length - 1].x - measure(face, ' ', size), y: baseline, text: ' ', face, size, color, wordSpacing: 0 };
      items.push(space);
      texts.push({ item: space, link: undefined });
    }
    page.items.push(...items);
    const links = this.linkRects(line, left, top, lineHeight);
    page.items.push(...links.map((l) => l.rect));
    if (artifact) return;
    const parent = line.logical ? this.inSpan({ type: 'Span', actualText: line.logical, children: [] }) : this.container;
    this.tagItems(parent, texts, links);
  }

  private inSpan(span: LetterTag): LetterTag {
    this.container.children.push(span);
    return span;
  }

  /** One link rectangle per stretch of segments (in visual order) that share a link. */
  private linkRects(line: Line, left: number, top: number, lineHeight: number): { url: string; rect: Item }[] {
    const rects: { url: string; rect: Item }[] = [];
    let i = 0;
    while (i < line.segments.length) {
      const url = line.segments[i].link;
      let j = i;
      while (j + 1 < line.segments.length && line.segments[j + 1].link === url) j++;
      if (url) {
        const a = line.segments[i];
        const b = line.segments[j];
        rects.push({ url, rect: { kind: 'link', x: left + a.x, y: top, width: b.x + b.width - a.x, height: lineHeight, url } });
      }
      i = j + 1;
    }
    return rects;
  }

  /** Puts a line's text items (in reading order) into `parent`, links and foreign-language text in their own elements. */
  private tagItems(parent: LetterTag, texts: { item: TextItem; link?: string }[], links: { url: string; rect: Item }[]): void {
    let link: LetterTag | undefined;
    let linkUrl: string | undefined;
    for (const { item, link: url } of texts) {
      if (url) {
        if (url !== linkUrl) {
          const rects = links.filter((l) => l.url === url).map((l) => l.rect);
          const contents = url.replace(/^mailto:/, '');
          // A link broken over two lines stays one link, with an annotation on each line.
          const before = parent.children[parent.children.length - 1];
          if (before && isTag(before) && before.type === 'Link' && before.contents === contents) {
            link = before;
            link.children.push(...rects);
          } else {
            link = { type: 'Link', contents, children: [...rects] };
            parent.children.push(link);
          }
          links.splice(0, links.length, ...links.filter((l) => l.url !== url));
          linkUrl = url;
        }
        link!.children.push(item);
        continue;
      }
      link = undefined;
      linkUrl = undefined;
      const lang = foreignLanguage(item.text, this.letter.lang.tag);
      parent.children.push(lang ? { type: 'Span', lang, children: [item] } : item);
    }
  }

  /** A rule: decoration, an artifact. */
  rule(x: number, width: number, y: number, weight: number, color: string): void {
    const left = this.boxLeft(x, width);
    this.page.items.push({ kind: 'rule', x1: left, y1: y, x2: left + width, y2: y, width: weight, color, artifact: 'Layout' });
  }

  fits(height: number): boolean {
    return this.y + height <= this.bottom + 0.001;
  }

  /** Places lines at the cursor, breaking pages between lines; no orphan or widow where avoidable. */
  placeLines(lines: Line[], x: number, boxWidth: number, lineHeight: number, keepTogether = false): void {
    let i = 0;
    if (keepTogether && !this.fits(lines.length * lineHeight) && this.pageHasContent()) this.newPage();
    while (i < lines.length) {
      const remaining = lines.length - i;
      const room = Math.floor((this.bottom - this.y + 0.001) / lineHeight);
      let take = Math.max(0, Math.min(remaining, room));
      if (take < remaining) {
        if (take < 2 && i === 0 && remaining > 1 && this.pageHasContent()) take = 0; // orphan
        else if (remaining - take === 1 && take >= 3) take -= 1; // widow
      }
      if (take <= 0 && !this.pageHasContent()) take = 1; // a page must make progress
      for (let k = 0; k < take; k++) {
        this.pushLine(this.page, lines[i + k], x, boxWidth, this.y, lineHeight);
        this.y += lineHeight;
      }
      i += take;
      if (i < lines.length) this.newPage();
    }
  }

  private pageHasContent(): boolean {
    return this.y > STYLE.margin.top + (this.pages.length > 1 ? 14 : 0) + 1;
  }
}

/** Width of the widest label plus a gap. */
function labelWidth(c: Composer, labels: string[], size: number): number {
  let max = 0;
  for (const l of labels) {
    for (const line of c.lines([c.run(l, false, false, size)], 1e6, 'start')) max = Math.max(max, line.naturalWidth);
  }
  return max + 8;
}

/**
 * Rows of "label  value" (value wrapped beside its label) at `top`; returns the bottom y. As a
 * table (each row a TR of a TH, the label, and a TD, the value) or, for the addressee block, as
 * one paragraph per row.
 */
function labelledRows(
  c: Composer,
  rows: { label: string; value: string; link?: string; bold?: boolean }[],
  box: { x: number; width: number; labelW: number; top: number; size: number; lineHeight: number },
  as: 'table' | 'paragraphs',
): number {
  const { x, width, labelW, size, lineHeight } = box;
  let y = box.top;
  for (const row of rows) {
    const valueLines = c.lines(
      [c.run(row.value, !!row.bold, false, size, row.link ? STYLE.colors.link : STYLE.colors.text, row.link)],
      width - labelW,
      'start',
    );
    const label = () => {
      if (!row.label) return;
      const [labelLine] = c.lines([c.run(row.label, false, false, size)], labelW, 'start');
      c.pushLine(c.page, spacedLabel(labelLine, as === 'paragraphs'), x, labelW, y, lineHeight);
    };
    const value = () => {
      for (const line of valueLines) {
        c.pushLine(c.page, line, x + labelW, width - labelW, y, lineHeight);
        y += lineHeight;
      }
      if (valueLines.length === 0) y += lineHeight;
    };
    if (as === 'table') {
      c.tagged('TR', () => {
        c.tagged('TH', label, { scope: 'Row' });
        c.tagged('TD', value);
      });
    } else {
      c.tagged('P', () => {
        label();
        value();
      });
    }
  }
  return y;
}

/** A label read on into its value in the same element ("To: ", "Subject: "): it ends with a space. */
function spacedLabel(line: Line, readOn: boolean): Line {
  if (!readOn) return line;
  return { ...line, spaceAfter: true, ...(line.logical ? { logical: `${line.logical} ` } : {}) };
}

/** Markdown heading levels below the letter's own H1 (the subject): the body's highest level is H2. */
function headingTag(level: number, top: number): TagType {
  return `H${Math.min(6, Math.max(2, level - top + 2))}` as TagType;
}

/** The highest (smallest) heading level among blocks, lists and quotes included. */
function topHeading(blocks: readonly Block[]): number {
  let top = 6;
  for (const b of blocks) {
    if (b.kind === 'heading') top = Math.min(top, b.level);
    else if (b.kind === 'list') for (const item of b.items) top = Math.min(top, topHeading(item));
    else if (b.kind === 'quote') top = Math.min(top, topHeading(b.blocks));
  }
  return top;
}

function layoutBlocks(c: Composer, blocks: readonly Block[], x: number, width: number, align: Align, top = topHeading(blocks), afterEach?: (index: number) => void): void {
  const { size, lh } = c;
  blocks.forEach((block, index) => {
    if (index > 0) c.y += STYLE.paragraphGap;
    switch (block.kind) {
      case 'paragraph':
        c.tagged('P', () => c.placeLines(c.lines(c.runs(block.runs, size), width, align), x, width, lh));
        break;
      case 'heading': {
        const hs = block.level <= 2 ? size + 1 : size;
        const hlh = (hs * lh) / size;
        const lines = c.lines(c.runs(block.runs, hs, true), width, 'start');
        // keep a heading with the first two lines that follow it
        if (!c.fits(lines.length * hlh + 2 * lh + STYLE.paragraphGap)) c.newPage();
        c.tagged(headingTag(block.level, top), () => c.placeLines(lines, x, width, hlh, true));
        break;
      }
      case 'list': {
        c.tagged('L', () =>
          block.items.forEach((item, n) => {
            if (n > 0) c.y += 2;
            const marker = block.ordered ? `${block.start + n}${block.delimiter ?? '.'}` : '•';
            const [markerLine] = c.lines([c.run(marker, false, false, size)], STYLE.listIndent, 'start');
            if (!c.fits(lh)) c.newPage();
            const mw = markerLine.naturalWidth;
            c.tagged('LI', () => {
              c.tagged('Lbl', () => c.pushLine(c.page, markerLine, x + STYLE.listIndent - mw - 6, mw, c.y, lh));
              c.tagged('LBody', () => layoutBlocks(c, item, x + STYLE.listIndent, width - STYLE.listIndent, align, top));
            });
          }),
        );
        break;
      }
      case 'quote':
        c.tagged('BlockQuote', () => layoutBlocks(c, block.blocks, x + STYLE.listIndent, width - 2 * STYLE.listIndent, align, top));
        break;
      case 'rule':
        c.rule(x, width, c.y + 4, 0.5, STYLE.colors.muted);
        c.y += 8;
        break;
    }
    afterEach?.(index);
  });
}

/** What the placing of one part leaves for the parts after it. */
interface Flow {
  /** The label column of the reference block, which the subject's label lines up with. */
  refLabelW: number;
  /** The top of the reference and addressee blocks, which stand side by side. */
  blockTop: number;
  /** The bottom of the reference block. */
  refBottom: number;
  /** The closing, signature, signatory and annex, laid out ahead: they are kept together. */
  closing: ClosingGroup;
}

interface ClosingGroup {
  closing: Line[];
  name: Line[];
  title: Line[];
  annexLabelW: number;
  annex: Line[];
  /** The height of the whole group, for keeping it together (and with a short last paragraph). */
  height: number;
}

function layOutClosingGroup(c: Composer, parts: LetterPart[]): ClosingGroup {
  const { width, size, lh, small, smallLh } = c;
  const closing = partOf(parts, 'closing');
  const signatory = partOf(parts, 'signatory');
  const annex = partOf(parts, 'annex');
  const closingLines = closing ? c.lines([c.run(closing.text, false, false, size)], width, 'start') : [];
  const name = signatory ? c.lines([c.run(signatory.name, true, false, size)], width / 2, 'start') : [];
  const title = signatory?.title ? c.lines([c.run(signatory.title, false, false, size)], width / 2, 'start') : [];
  const annexLabelW = annex ? labelWidth(c, [annex.label], small) : 0;
  const annexLines = annex ? c.lines([c.run(annex.text, false, false, small)], width - annexLabelW, 'start') : [];
  const annexH = annexLines.length ? 22 + annexLines.length * smallLh : 0;
  const height = 14 + (closingLines.length + name.length + title.length) * lh + STYLE.signature.height + 14 + annexH;
  return { closing: closingLines, name, title, annexLabelW, annex: annexLines, height };
}

/** Letterhead: the organisation and a rule. */
function placeLetterhead(c: Composer, part: PartOf<'letterhead'>): void {
  const headSize = STYLE.letterhead.size * STYLE.script[c.family].scale;
  c.tagged('P', () => c.placeLines(c.lines([c.run(part.organization, true, false, headSize, STYLE.colors.accent)], c.width, 'start'), c.left, c.width, headSize * 1.35));
  c.y += 4;
  c.rule(c.left, c.width, c.y, 1, STYLE.colors.accent);
  c.y += 14;
}

/** The office (start side) and the place and date (end side), on one line when they fit. */
function placeDateline(c: Composer, part: PartOf<'dateline'>): void {
  const { left, width } = c;
  const officeSize = STYLE.office.size * STYLE.script[c.family].scale;
  const officeLh = officeSize * 1.4;
  const [dateLine] = c.lines([c.run(part.dateLine, false, false, c.size)], width, 'end');
  const officeW = width - dateLine.naturalWidth - 24;
  const officeLines = part.office ? c.lines([c.run(part.office, true, false, officeSize)], officeW, 'start') : [];
  const top = c.y;
  if (officeLines.length) {
    c.tagged('P', () => {
      for (const line of officeLines) {
        c.pushLine(c.page, line, left, officeW, c.y, officeLh);
        c.y += officeLh;
      }
    });
  }
  c.tagged('P', () => c.pushLine(c.page, dateLine, left, width, top, officeLh));
  c.y = Math.max(c.y, top + officeLh) + 18;
}

const BLOCK_GAP = 18;
const startColumn = (c: Composer) => Math.round(c.width * 0.5);

/** Reference and contact block, on the start side. */
function placeReference(c: Composer, part: PartOf<'reference'>, flow: Flow): void {
  c.laying('the reference and contact block');
  flow.refLabelW = labelWidth(c, part.rows.map((r) => r.label), c.small);
  flow.blockTop = c.y;
  const box = { x: c.left, width: startColumn(c), labelW: flow.refLabelW, top: flow.blockTop, size: c.small, lineHeight: c.smallLh };
  flow.refBottom = part.rows.length ? c.tagged('Table', () => labelledRows(c, part.rows, box, 'table')) : flow.blockTop;
  c.y = flow.refBottom;
}

/** The addressee block, on the end side beside the reference block. */
function placeAddressee(c: Composer, part: PartOf<'addressee'>, flow: Flow): void {
  const startW = startColumn(c);
  const endW = c.width - startW - BLOCK_GAP;
  const toLabelW = labelWidth(c, [part.label], c.small);
  c.laying('the addressee block (name, position, organization, address and country)', 'address');
  const rows = part.lines.map((value, i) => ({ label: i === 0 ? part.label : '', value, bold: i === 0 }));
  const box = { x: c.left + startW + BLOCK_GAP, width: endW, labelW: toLabelW, top: flow.blockTop, size: c.small, lineHeight: c.smallLh };
  c.recipientsOwn = true;
  let endBottom: number;
  try {
    endBottom = c.tagged('Div', () => labelledRows(c, rows, box, 'paragraphs'));
  } finally {
    c.recipientsOwn = false;
  }
  c.y = Math.max(flow.refBottom, endBottom) + 22;
  // The blocks must leave room for the subject on the first page; if they do not, they are to blame.
  if (endBottom > flow.refBottom) c.guard(c.y + c.lh);
}

/** Subject: the label, then the subject in bold with a hanging indent. */
function placeSubject(c: Composer, part: PartOf<'subject'>, flow: Flow): void {
  const { left, width, size, lh } = c;
  c.laying('the subject');
  const labelW = Math.max(flow.refLabelW, labelWidth(c, [part.label], size));
  const lines = c.lines([c.run(part.text, true, false, size)], width - labelW, 'start');
  const [labelLine] = c.lines([c.run(part.label, false, false, size)], labelW, 'start');
  c.tagged('H1', () => {
    c.pushLine(c.page, spacedLabel(labelLine, true), left, labelW, c.y, lh);
    c.placeLines(lines, left + labelW, width - labelW, lh);
  });
  c.y += 16;
}

/** Body. A short last paragraph goes with the closing, so the signature never stands alone. */
function placeBody(c: Composer, part: PartOf<'body'>, flow: Flow, align: Align): void {
  const { left, width, size, lh } = c;
  c.laying('the letter body');
  const body = part.blocks;
  const last = body[body.length - 1];
  // The first block is the salutation, in the letters of most campaigns: the last of the items that
  // change with the recipient.
  layoutBlocks(c, body.slice(0, -1), left, width, align, undefined, (i) => i === 0 && c.variableTo());
  if (last) {
    if (body.length > 1) c.y += STYLE.paragraphGap;
    if (last.kind === 'paragraph') {
      const lines = c.lines(c.runs(last.runs, size), width, align);
      if (lines.length <= 3 && c.fits(lines.length * lh) && !c.fits(lines.length * lh + flow.closing.height)) c.newPage();
    }
    layoutBlocks(c, [last], left, width, align);
  }
  c.y += 14;
}

/** The closing formula, starting the group that is kept together on one page. */
function placeClosing(c: Composer, flow: Flow): void {
  c.laying('the closing, signature and annex line');
  if (!c.fits(flow.closing.height - 14)) c.newPage();
  c.tagged('P', () => c.placeLines(flow.closing.closing, c.left, c.width, c.lh));
  c.y += 6;
}

function placeSignature(c: Composer, part: PartOf<'signature'>): void {
  const sigH = STYLE.signature.height;
  if (part.image) {
    const w = STYLE.signature.width;
    c.guard(c.y + sigH);
    const item: Item = { kind: 'signature', image: part.image, x: c.boxLeft(c.left, w), y: c.y, width: w, height: sigH };
    c.page.items.push(item);
    const bbox: [number, number, number, number] = [item.x, item.y, item.x + w, item.y + sigH];
    c.tagged('Figure', () => c.container.children.push(item), { alt: c.signatureAlt(part.name), bbox });
  }
  c.y += sigH + 8;
}

function placeSignatory(c: Composer, flow: Flow): void {
  c.tagged('P', () => c.placeLines(flow.closing.name, c.left, c.width / 2, c.lh));
  if (flow.closing.title.length) c.tagged('P', () => c.placeLines(flow.closing.title, c.left, c.width / 2, c.lh));
}

/** The annex line, on the page of the signature. */
function placeAnnex(c: Composer, part: PartOf<'annex'>, flow: Flow): void {
  const { annex, annexLabelW } = flow.closing;
  if (!annex.length) return;
  c.y += 22;
  const [label] = c.lines([c.run(part.label, false, false, c.small)], annexLabelW, 'start');
  c.tagged('P', () => {
    c.pushLine(c.page, label, c.left, annexLabelW, c.y, c.smallLh);
    c.placeLines(annex, c.left + annexLabelW, c.width - annexLabelW, c.smallLh);
  });
}

/** Lays a merged letter out on A4 pages. Pure: returns positioned data, draws nothing. */
/** What a document that is not a letter (an annex) is set from. */
export interface DocumentSource extends Pick<MergedLetter, 'lang' | 'labels' | 'organization' | 'footer'> {
  title: string;
  /** Set the text ragged, not justified (a list of figures reads better so). */
  ragged?: boolean;
}

/**
 * A document that is not a letter, such as an annex: the letterhead, its title (H1), its text
 * (headings in it from H2), and the footer on every page; pages numbered from the second, as a
 * letter's are.
 */
export function layoutDocument(doc: DocumentSource, body: readonly Block[]): LetterLayout {
  const c = new Composer(doc);
  placeLetterhead(c, { kind: 'letterhead', organization: doc.organization });
  c.laying('the title');
  const size = STYLE.letterhead.size * 1.2 * STYLE.script[c.family].scale;
  c.tagged('H1', () => c.placeLines(c.lines([c.run(doc.title, true, false, size, STYLE.colors.accent)], c.width, 'start'), c.left, c.width, size * 1.3, true));
  c.y += 10;
  c.laying('the text');
  const align: Align = doc.lang.justify && !doc.ragged ? (c.family === 'han' ? 'distribute' : 'justify') : 'start';
  layoutBlocks(c, body, c.left, c.width, align);
  if (doc.footer) for (const page of c.pages) c.footer(page, doc.footer);
  return { width: A4.width, height: A4.height, pages: c.pages, structure: c.structure };
}

export function layoutLetter(letter: MergedLetter, body: readonly Block[]): LetterLayout {
  const parts = letterParts(letter, body);
  const c = new Composer(letter);
  const bodyAlign: Align = letter.lang.justify ? (c.family === 'han' ? 'distribute' : 'justify') : 'start';
  const flow: Flow = { refLabelW: 0, blockTop: 0, refBottom: 0, closing: layOutClosingGroup(c, parts) };
  for (const part of parts) {
    switch (part.kind) {
      case 'letterhead':
        placeLetterhead(c, part);
        break;
      case 'dateline':
        placeDateline(c, part);
        break;
      case 'reference':
        placeReference(c, part, flow);
        break;
      case 'addressee':
        c.variableFrom();
        placeAddressee(c, part, flow);
        break;
      case 'subject':
        placeSubject(c, part, flow);
        break;
      case 'body':
        placeBody(c, part, flow, bodyAlign);
        break;
      case 'closing':
        placeClosing(c, flow);
        break;
      case 'signature':
        placeSignature(c, part);
        break;
      case 'signatory':
        placeSignatory(c, flow);
        break;
      case 'annex':
        placeAnnex(c, part, flow);
        break;
      case 'footer':
        // Last on each page, so the text layer reads it after the letter.
        for (const page of c.pages) c.footer(page, part.text);
        break;
    }
  }
  return { width: A4.width, height: A4.height, pages: c.pages, structure: c.structure, commonCharacters: letter.lang.commonCharacters };
}
