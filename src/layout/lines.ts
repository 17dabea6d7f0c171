import LineBreaker from 'linebreak';
import bidiFactory from 'bidi-js';
import { fontkitReverses } from '../adapter';
import { LetterMergeError } from '../errors';
import { MISSING_GLYPH_HINT, measure, metrics } from '../fonts/fonts';
import { BIDI_CONTROL_CLASS, WORD_JOINER, codePointName, isBidiControl, isInvisible } from '../text/unicode';
import type { FontFace } from '../fonts/fonts';
import type { Hyphenator } from './hyphenate';

const bidi = bidiFactory();

/** A run of text with one style. `faces` is the font fallback chain: each character takes the first that has it. */
export interface StyledRun {
  text: string;
  faces: FontFace[];
  size: number;
  color: string;
  link?: string;
}

/** A piece of a line, positioned relative to the line box's left edge. `text` is what is drawn. */
export interface Segment {
  text: string;
  x: number;
  width: number;
  face: FontFace;
  size: number;
  color: string;
  link?: string;
  /** Extra space added to each space character (justification). */
  wordSpacing: number;
  /** Extra space added after every character (justification by distribution). */
  charSpacing?: number;
  /** Where the segment starts in the paragraph's text (reading order). */
  logical: number;
  /** Drawn mirrored left to right (a bracket in right-to-left text). */
  flip?: boolean;
  /**
   * Its glyphs are drawn in another order than its characters are read: Devanagari draws the
   * vowel sign ि before the consonant it follows, and a reph above the syllable after it. Read
   * from the glyphs, the name प्रिया came out "िप्रया"; the PDF gives the segment its text
   * (ActualText).
   */
  reordered?: boolean;
}

export interface Line {
  /** Segments in visual order, left to right. */
  segments: Segment[];
  /**
   * For a line drawn in visual order (it holds right-to-left text): its text in reading order,
   * without bidi controls, for the PDF's structure tree (ActualText).
   */
  logical?: string;
  /**
   * The line ends where the text had a space or a line break: the text that screen readers and
   * extractors follow gets a space there, so the last word of one line and the first of the next
   * do not run together.
   */
  spaceAfter?: boolean;
  /** Width of the text without justification. */
  naturalWidth: number;
  ascent: number;
  descent: number;
}

/** `distribute` justifies by spacing every character (Chinese), not the spaces between words. */
export type Align = 'start' | 'end' | 'left' | 'right' | 'center' | 'justify' | 'distribute';
export type Direction = 'ltr' | 'rtl';

/** A run with a single font, after font fallback. */
interface FontRun {
  text: string;
  face: FontFace;
  size: number;
  color: string;
  link?: string;
}

interface Piece {
  start: number;
  end: number;
  /** Width with trailing spaces, and without them. */
  width: number;
  trimmedWidth: number;
  required: boolean;
  /** A piece that ends inside a word, at a hyphenation point: the hyphen's width when the line ends there. */
  hyphen?: number;
}

/** Hyphenation of a justified paragraph: the language's break points, and the words never broken. */
export interface Hyphenation {
  hyphenator: Hyphenator;
  /** Lower-case words never hyphenated: the recipient's own (names, organisations, addresses). */
  keep: ReadonlySet<string>;
}

/** The visible hyphen written at a hyphenated line end: U+00AD, so that extracted text rejoins the word. */
export const SOFT_HYPHEN = '\u00ad';

/** The format characters a paragraph keeps for the bidi algorithm and the line breaker (see isControl). */
const KEPT_CONTROLS = new RegExp(`[${BIDI_CONTROL_CLASS}${WORD_JOINER}]`, 'g');

/** The text as drawn: without the bidi controls and word joiners kept in a paragraph. */
function stripControls(s: string): string {
  return s.replace(KEPT_CONTROLS, '');
}

const RTL_CHAR = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]|\ud802[\udc00-\udfff]|\ud83a[\udc00-\udfff]/;

function reverseCodePoints(s: string): string {
  return Array.from(s).reverse().join('');
}

/** A paragraph ready to be broken: its text, its runs of one font each, and its bidi levels. */
interface Paragraph {
  text: string;
  runs: FontRun[];
  /** The run of each UTF-16 position, and where each run starts. */
  runAt: Uint32Array;
  runStart: number[];
  direction: Direction;
  /** Bidi embedding levels, when the paragraph holds right-to-left text or is right-to-left. */
  levels: ReturnType<typeof bidi.getEmbeddingLevels> | null;
  /**
   * Space set before each position, in points: a quarter em between an ideograph and a Latin
   * letter or digit, either way round ("2011 年", "WSIS 信托"), as Chinese is set; null when there
   * is none. It is space, not a character: the text reads as written.
   */
  gapBefore: Float32Array | null;
}

const IDEOGRAPH = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const LATIN_OR_DIGIT = /[\p{Script=Latin}\p{Nd}]/u;

function cjkGaps(text: string, runs: FontRun[], runAt: Uint32Array): Float32Array | null {
  if (!IDEOGRAPH.test(text)) return null;
  const gaps = new Float32Array(text.length);
  let any = false;
  for (let i = 1; i < text.length; i++) {
    const a = text[i - 1];
    const b = text[i];
    if ((IDEOGRAPH.test(a) && LATIN_OR_DIGIT.test(b)) || (LATIN_OR_DIGIT.test(a) && IDEOGRAPH.test(b))) {
      gaps[i] = runs[runAt[i]].size / 4;
      any = true;
    }
  }
  return any ? gaps : null;
}

function paragraphOf(input: StyledRun[], direction: Direction): Paragraph | null {
  const runs = itemize(normaliseRuns(input));
  if (runs.length === 0) return null;
  const text = runs.map((r) => r.text).join('');
  const runAt = new Uint32Array(text.length);
  const runStart: number[] = [];
  let offset = 0;
  runs.forEach((r, i) => {
    runStart.push(offset);
    runAt.fill(i, offset, offset + r.text.length);
    offset += r.text.length;
  });
  const levels = direction === 'rtl' || RTL_CHAR.test(text) ? bidi.getEmbeddingLevels(text, direction) : null;
  return { text, runs, runAt, runStart, direction, levels, gapBefore: levels ? null : cjkGaps(text, runs, runAt) };
}

/** The drawn width of text[start, end), run by run. */
function widthOf(p: Paragraph, start: number, end: number): number {
  let w = 0;
  if (p.gapBefore) for (let k = start + 1; k < end; k++) w += p.gapBefore[k];
  let i = start;
  while (i < end) {
    const r = p.runAt[i];
    const runEnd = Math.min(end, p.runStart[r] + p.runs[r].text.length);
    w += measure(p.runs[r].face, stripControls(p.text.slice(i, runEnd)), p.runs[r].size);
    i = runEnd;
  }
  return w;
}

function pieceOf(p: Paragraph, start: number, end: number, required: boolean): Piece {
  let trimmedEnd = end;
  while (trimmedEnd > start && isSpace(p.text[trimmedEnd - 1])) trimmedEnd--;
  // The space before the piece, when there is one, is counted with it (a piece that starts a
  // line does not draw it: that line is a little short of full, never over).
  const before = p.gapBefore && start > 0 ? p.gapBefore[start] : 0;
  return {
    start,
    end,
    width: before + widthOf(p, start, end),
    trimmedWidth: before + widthOf(p, start, trimmedEnd),
    required: required && p.text[end - 1] === '\n',
  };
}

/**
 * Whether a line may not end after text[at - 1]: a hyphen inside a link or an address written
 * out ("wsis-|fund@example.org", "www.example.org/wsis-|forum"), which a reader would take for a
 * hyphen of the line's own and leave out of the address. The address is broken elsewhere, or cut
 * where it must be (splitPoint). A hyphen of a word ("co-|operation") still ends a line.
 */
function hyphenInAddress(p: Paragraph, at: number): boolean {
  if (p.text[at - 1] !== '-' || at >= p.text.length) return false;
  const link = p.runs[p.runAt[at - 1]].link;
  if (link !== undefined && p.runs[p.runAt[at]].link === link) return true;
  let start = at - 1;
  while (start > 0 && !/\s/.test(p.text[start - 1])) start--;
  let end = at;
  while (end < p.text.length && !/\s/.test(p.text[end])) end++;
  return ADDRESS.test(p.text.slice(start, end));
}

/** A word that is an e-mail address or a web address. */
const ADDRESS = /\S@\S|:\/\/|^\W*www\./i;

/** The pieces between break opportunities (UAX #14), measured. */
function piecesOf(p: Paragraph): Piece[] {
  const pieces: Piece[] = [];
  const breaker = new LineBreaker(p.text);
  let last = 0;
  for (let bk = breaker.nextBreak(); bk; bk = breaker.nextBreak()) {
    if (bk.position <= last || (!bk.required && hyphenInAddress(p, bk.position))) continue;
    pieces.push(pieceOf(p, last, bk.position, bk.required));
    last = bk.position;
  }
  if (last < p.text.length) pieces.push(pieceOf(p, last, p.text.length, false));
  return pieces;
}

/** Where a piece too long for its line is cut, before one of these (see splitPoint). */
const CUT_BEFORE = new Set(['.', '-', '_', '@']);

/** The longest prefix of text[start, end) (at least one character) that fits in `width`, cut at a seemly place where there is one. */
function splitPoint(p: Paragraph, start: number, end: number, width: number): number {
  let lo = start + 1;
  let hi = end;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (widthOf(p, start, mid) <= width) lo = mid;
    else hi = mid - 1;
  }
  let cut = lo;
  // Do not split a surrogate pair.
  if (cut < end && /[\udc00-\udfff]/.test(p.text[cut])) cut--;
  if (cut < end) {
    // A piece joined by no-break spaces (a long run of digit groups) is cut after one of them
    // rather than inside a group.
    const space = p.text.lastIndexOf('\u00a0', cut - 1);
    if (space > start) cut = space + 1;
    // An address or a link is cut as the Chicago Manual of Style cuts one: after a slash, or
    // before a dot, hyphen, underscore or @, which then begins the next line and shows that the
    // address goes on ("trust-fund" | "-secretariat" | "@example.org"), where that keeps at least
    // a third of what fits.
    else {
      for (let k = cut; k > start + (cut - start) / 3; k--) {
        if (CUT_BEFORE.has(p.text[k]) || p.text[k - 1] === '/') {
          cut = k;
          break;
        }
      }
    }
  }
  return Math.max(cut, start + 1);
}

interface LineSpan {
  start: number;
  end: number;
  /** The last line of its paragraph (or before a hard break): not stretched when justifying. */
  last: boolean;
  /** The line ends inside a word, at a hyphenation point: a hyphen is drawn after it. */
  hyphen?: boolean;
}

/** Greedy fill: as many pieces on a line as fit, with an emergency break for a piece wider than the line. */
function fillLines(p: Paragraph, pieces: Piece[], width: number): LineSpan[] {
  const spans: LineSpan[] = [];
  let lineStart = -1;
  let lineEnd = -1;
  let lineWidth = 0;
  const flush = (last: boolean) => {
    if (lineStart >= 0) spans.push({ start: lineStart, end: lineEnd, last });
    lineStart = -1;
    lineWidth = 0;
  };
  const queue = [...pieces].reverse();
  while (queue.length > 0) {
    const piece = queue.pop() as Piece;
    if (lineStart >= 0 && lineWidth + piece.trimmedWidth > width + 0.001) flush(false);
    if (lineStart < 0 && piece.trimmedWidth > width + 0.001) {
      const cut = splitPoint(p, piece.start, piece.end, width);
      if (cut < piece.end) {
        queue.push(pieceOf(p, cut, piece.end, piece.required));
        lineStart = piece.start;
        lineEnd = cut;
        flush(false);
        continue;
      }
    }
    if (lineStart < 0) lineStart = piece.start;
    lineEnd = piece.end;
    lineWidth += piece.width;
    if (piece.required) flush(true);
  }
  flush(true);
  return spans;
}

/** Left-to-right lines: one segment per font run, spaces kept inside segments. */
function logicalSegments(p: Paragraph, start: number, end: number): Segment[] {
  const segments: Segment[] = [];
  let i = start;
  let x = 0;
  while (i < end) {
    const run = p.runs[p.runAt[i]];
    let runEnd = Math.min(end, p.runStart[p.runAt[i]] + run.text.length);
    if (p.gapBefore) {
      if (i > start) x += p.gapBefore[i];
      for (let k = i + 1; k < runEnd; k++) {
        if (p.gapBefore[k]) {
          runEnd = k;
          break;
        }
      }
    }
    const from = i;
    const t = stripControls(p.text.slice(i, runEnd));
    i = runEnd;
    if (!t) continue;
    const w = measure(run.face, t, run.size);
    segments.push({ text: t, x, width: w, face: run.face, size: run.size, color: run.color, link: run.link, wordSpacing: 0, logical: from });
    x += w;
  }
  return segments;
}

/**
 * How far a token of one font and one level extends in visual order from `k`: words and the
 * single spaces between them, up to a change of font or level, a bidi control, a tab or a
 * mirrored bracket.
 */
function tokenEnd(p: Paragraph, order: number[], mirrored: Map<number, string>, k: number): number {
  const lv = p.levels!;
  const first = order[k];
  const level = lv.levels[first];
  const step = level & 1 ? -1 : 1;
  let j = k;
  while (
    j + 1 < order.length &&
    order[j + 1] === order[j] + step &&
    p.runAt[order[j + 1]] === p.runAt[first] &&
    lv.levels[order[j + 1]] === level &&
    p.text[order[j + 1]] !== '\t' &&
    !isControl(p.text[order[j + 1]]) &&
    !mirrored.has(order[j + 1])
  ) {
    j++;
  }
  // A token does not end with a space: the space is a gap of its own between it and what follows.
  while (j > k && p.text[order[j]] === ' ') j--;
  return j;
}

/**
 * Lines with right-to-left text: characters in visual order (UAX #9 L1–L2 via bidi-js), cut into
 * tokens of one font and one level, each as many words as that allows: one text operator for a
 * stretch of Arabic words (an Arabic letter has a third of the text operators it had with a
 * token per word). Each token's string is what fontkit needs to draw it in visual order: fontkit
 * lays a run of Arabic out right to left itself (and must get it in logical order to join the
 * letters); anything else at an odd level is reversed here, with its brackets mirrored. Spaces
 * are drawn too, inside tokens and between them, so text extractors see word boundaries.
 */
function visualSegments(p: Paragraph, start: number, end: number): Segment[] {
  const lv = p.levels!;
  const order = bidi.getReorderedIndices(p.text, lv, start, end - 1).slice(start, end);
  // bidi-js wants the levels array here, not the result object.
  const mirrored = bidi.getMirroredCharactersMap(p.text, lv.levels as never, start, end - 1);
  const segments: Segment[] = [];
  let x = 0;
  const add = (text: string, at: number, extra: Partial<Segment> = {}) => {
    const run = p.runs[p.runAt[at]];
    const w = measure(run.face, text, run.size);
    segments.push({ text, x, width: w, face: run.face, size: run.size, color: run.color, link: run.link, wordSpacing: 0, logical: at, ...extra });
    x += w;
  };
  let k = 0;
  while (k < order.length) {
    const first = order[k];
    if (isControl(p.text[first])) {
      k++;
    } else if (isSpace(p.text[first])) {
      // A gap between words; justification widens it.
      add(' ', first);
      k++;
    } else if (mirrored.has(first)) {
      // A bracket at a right-to-left level: its own glyph drawn flipped. It looks like its mirror
      // image and still reads as the character written, so extractors that put the line back in
      // reading order get "(WSIS)", not ")WSIS(".
      add(p.text[first], first, { flip: true });
      k++;
    } else {
      const j = tokenEnd(p, order, mirrored, k);
      const lo = Math.min(order[k], order[j]);
      const hi = Math.max(order[k], order[j]) + 1;
      const logical = p.text.slice(lo, hi);
      const visual = lv.levels[first] & 1 ? reverseCodePoints(logical) : logical;
      add(fontkitReverses(logical) ? reverseCodePoints(visual) : visual, lo);
      k = j + 1;
    }
  }
  return segments;
}

/** A line's segments, measured and aligned. */
function buildLine(p: Paragraph, span: LineSpan, width: number, align: Align): Line {
  let end = span.end;
  while (end > span.start && (isSpace(p.text[end - 1]) || p.text[end - 1] === '\n')) end--;
  const segments = p.levels ? visualSegments(p, span.start, end) : logicalSegments(p, span.start, end);
  for (const s of segments) if (REORDERED.test(s.text)) s.reordered = true;
  if (span.hyphen && segments.length > 0) {
    const s = segments[segments.length - 1];
    s.text += SOFT_HYPHEN;
    s.width = measure(s.face, s.text, s.size);
  }
  let ascent = 0;
  let descent = 0;
  for (const s of segments) {
    const m = metrics(s.face, s.size);
    ascent = Math.max(ascent, m.ascent);
    descent = Math.max(descent, m.descent);
  }
  if (segments.length === 0) {
    const m = metrics(p.runs[0].face, p.runs[0].size);
    return { segments, naturalWidth: 0, ascent: m.ascent, descent: m.descent };
  }
  // The extent of the line: in visual lines spaces are gaps between segments, not inside them.
  const natural = segments.reduce((w, s) => Math.max(w, s.x + s.width), 0);
  const aligned = alignSegments(segments, width - natural, lineAlign(align, p.direction, span.last), p.levels !== null);
  const line: Line = { segments: aligned, naturalWidth: natural, ascent, descent };
  if (end < span.end && span.end < p.text.length) line.spaceAfter = true;
  if (p.levels) line.logical = stripControls(p.text.slice(span.start, end)) + (line.spaceAfter ? ' ' : '');
  return line;
}

/** A character of a script lettermerge draws whose glyphs shaping reorders: Devanagari. */
const REORDERED = /[\u0900-\u097f\ua8e0-\ua8ff]/;

type VisualAlign = 'left' | 'right' | 'center' | 'justify' | 'distribute';

/** The alignment of one line: start and end resolved by direction; the last line of a justified paragraph is not stretched. */
function lineAlign(align: Align, direction: Direction, last: boolean): VisualAlign {
  const visual: VisualAlign =
    align === 'start' ? (direction === 'rtl' ? 'right' : 'left') : align === 'end' ? (direction === 'rtl' ? 'left' : 'right') : align;
  if ((visual === 'justify' || visual === 'distribute') && last) return direction === 'rtl' ? 'right' : 'left';
  return visual;
}

function alignSegments(segments: Segment[], slack: number, align: VisualAlign, bidiLine: boolean): Segment[] {
  if (align === 'distribute' && slack > 0 && !bidiLine) return distribute(segments, slack);
  // A justified line may also come out a little wider than the box (spaces shrunk to fit it: see evenBlock).
  if (align === 'justify' && (slack > 0 || (slack < 0 && !bidiLine))) justify(segments, slack, bidiLine);
  else if (align === 'right' || align === 'center') {
    const shift = align === 'right' ? slack : slack / 2;
    for (const s of segments) s.x += shift;
  }
  return segments;
}

/**
 * Characters set "solid" in Chinese justification are the others: Latin letters, digits and their
 * punctuation. These are the ones around which a line may stretch: ideographs, kana, and CJK and
 * full-width punctuation (、，。：《》（）——…“”), as CLREQ describes.
 */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\u3000-\u303f\uff00-\uffef\u2014\u2026\u2018\u2019\u201c\u201d]/u;

/**
 * Breaks styled runs into lines no wider than `width` (UAX #14 break opportunities, greedy fill,
 * logical order) and positions each line's segments for the alignment. Lines holding right-to-left
 * text are reordered for display with the Unicode bidirectional algorithm (UAX #9).
 */
export function breakLines(input: StyledRun[], width: number, align: Align = 'start', direction: Direction = 'ltr', hyphenation?: Hyphenation, broken?: string[]): Line[] {
  const p = paragraphOf(input, direction);
  if (!p) return [];
  const pieces = piecesOf(p);
  // A justified paragraph is broken as a whole, for even spacing, and hyphenated when its
  // language is; anything else line by line.
  const even = align === 'justify' && !p.levels && pieces.every((x) => x.trimmedWidth <= width + 0.001);
  const spans = even ? evenLines(p, hyphenation ? hyphenated(p, pieces, hyphenation) : pieces, width) : fillLines(p, pieces, width);
  if (broken) for (const span of spans) if (span.hyphen) broken.push(wordAt(p.text, span.end));
  return spans.map((span) => buildLine(p, span, width, align));
}

/** The word (as hyphenationPoints reads it, in lower case) that a hyphenation point at `at` falls in. */
function wordAt(text: string, at: number): string {
  const letter = /[\p{L}\p{M}'’]/u;
  let start = at;
  let end = at;
  while (start > 0 && letter.test(text[start - 1])) start--;
  while (end < text.length && letter.test(text[end])) end++;
  return (WORD.exec(text.slice(start, end))?.[2] ?? text.slice(start, end)).toLowerCase();
}

/** A word as hyphenation sees it: letters (apostrophes inside), with any punctuation around it. */
const WORD = /^(\P{L}*)(\p{L}[\p{L}\p{M}'’]*\p{L})(\P{L}*)$/u;
/** A capital after the first letter: an acronym ("UNESCO") or a name written so ("McKay"). */
const INNER_CAPITAL = /^.[^]*\p{Lu}/u;

/**
 * The pieces with each hyphenable word cut at its hyphenation points. Never hyphenated: the
 * recipient's own words (names, organisation, address), acronyms and other words with a capital
 * inside, links (URLs, e-mail addresses), and anything that is not letters (numbers, words with
 * dots or @). Widths of a word's parts are differences of its
 * prefixes' widths, so a word not broken measures what it did whole.
 */
function hyphenated(p: Paragraph, pieces: Piece[], h: Hyphenation): Piece[] {
  const out: Piece[] = [];
  const tied = p.text.includes(WORD_JOINER);
  for (const piece of pieces) {
    const points = hyphenationPoints(p, piece, h, tied);
    if (points.length === 0) {
      out.push(piece);
      continue;
    }
    const run = p.runs[p.runAt[piece.start]];
    const hyphen = measure(run.face, SOFT_HYPHEN, run.size);
    let from = piece.start;
    let before = 0;
    for (const at of points) {
      const w = widthOf(p, piece.start, at);
      out.push({ start: from, end: at, width: w - before, trimmedWidth: w - before, required: false, hyphen });
      from = at;
      before = w;
    }
    out.push({ ...piece, start: from, width: piece.width - before, trimmedWidth: piece.trimmedWidth - before });
  }
  return out;
}

/**
 * A piece's hyphenation points. In a paragraph with words tied together ("Resolution 140", "в
 * Целевой": see keepTogether and glueWords), each word of a tied piece may be hyphenated, as it
 * could be alone.
 */
function hyphenationPoints(p: Paragraph, piece: Piece, h: Hyphenation, tied: boolean): readonly number[] {
  if (!tied) return wordPoints(p, piece.start, piece.end, h);
  const points: number[] = [];
  let from = piece.start;
  for (let k = piece.start; k <= piece.end; k++) {
    if (k === piece.end || p.text[k] === WORD_JOINER) {
      points.push(...wordPoints(p, from, k, h));
      from = k + 1;
    }
  }
  return points;
}

/** The hyphenation points of the word in text[start, end), with what may stand around it. */
function wordPoints(p: Paragraph, start: number, end: number, h: Hyphenation): readonly number[] {
  if (end <= start) return [];
  const r = p.runAt[start];
  if (p.runAt[end - 1] !== r || p.runs[r].link) return [];
  if (!p.runs[r].face.font.hasGlyphForCodePoint(0xad)) return [];
  const m = WORD.exec(p.text.slice(start, end));
  if (!m || INNER_CAPITAL.test(m[2])) return [];
  const word = m[2].toLowerCase();
  // A word typed with combining accents (e + U+0301) is left whole: a break could part a letter from its accent.
  if (h.keep.has(word) || /\p{M}/u.test(word)) return [];
  const at = start + m[1].length;
  return h.hyphenator.points(word).map((k) => at + k);
}

/** How far a justified line's spaces may shrink, as a share of the normal space. */
const SHRINK = 1 / 3;

/** What a hyphenated line end adds to its cost, and a second one in a row on top of that. */
const HYPHEN_COST = 1;
const HYPHENS_IN_A_ROW_COST = 2;

/**
 * Line breaks chosen for the paragraph as a whole (an optimum fit, after Knuth and Plass): of all
 * ways to break it, the one whose lines' stretched spaces are most even, counting each line's
 * space as a multiple of the normal space, cubed, so that one very loose line costs more than
 * several a little loose. Spaces may also shrink, to two thirds of the normal space at most (as
 * TeX's do); a shrunk line costs as much as one stretched one and a half times as far. A line
 * that ends with a hyphen costs a little more, and two such lines in a row more again. The last
 * line (and a line before a hard break) is neither stretched nor shrunk and costs nothing.
 * Greedy filling puts as much as fits on each line and leaves the next one to stretch as it may.
 */
function evenLines(p: Paragraph, pieces: Piece[], width: number): LineSpan[] {
  const spans: LineSpan[] = [];
  let from = 0;
  for (let i = 0; i < pieces.length; i++) {
    if (pieces[i].required || i === pieces.length - 1) {
      spans.push(...evenBlock(p, pieces.slice(from, i + 1), width));
      from = i + 1;
    }
  }
  return spans;
}

/** Pieces up to a hard break (or the end): the best breaks by dynamic programming. */
function evenBlock(p: Paragraph, pieces: Piece[], width: number): LineSpan[] {
  const n = pieces.length;
  // Per piece: its spaces, and those at its end (not stretched when the line ends there).
  const spacesIn = new Int32Array(n);
  const trailing = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    for (let k = pieces[j].start; k < pieces[j].end; k++) if (p.text[k] === ' ') spacesIn[j]++;
    for (let k = pieces[j].end - 1; k >= pieces[j].start && p.text[k] === ' '; k--) trailing[j]++;
  }
  const best = new Float64Array(n + 1).fill(Infinity);
  const prev = new Int32Array(n + 1).fill(-1);
  best[0] = 0;
  for (let i = 0; i < n; i++) {
    if (best[i] === Infinity) continue;
    const run = p.runs[p.runAt[pieces[i].start]];
    const normal = measure(run.face, ' ', run.size) || run.size / 4;
    let natural = 0;
    let spaces = 0;
    for (let j = i; j < n; j++) {
      // The line holds pieces i..j: widths with their spaces, the last without (or with its hyphen).
      const hyphen = pieces[j].hyphen;
      const text = natural + pieces[j].trimmedWidth;
      const stretched = spaces + spacesIn[j] - trailing[j];
      // Nothing more fits, even with the spaces shrunk as far as they go.
      if (text - SHRINK * normal * stretched > width + 0.001 && j > i) break;
      natural += pieces[j].width;
      spaces += spacesIn[j];
      const last = j === n - 1;
      const slack = width - text - (hyphen ?? 0);
      // A line that fits only with its spaces shrunk (never the last), or not at all (a word's
      // part with its hyphen; a longer part may still fit): it cannot end here.
      if (slack < -0.001 && (last || stretched === 0 || -slack > SHRINK * normal * stretched + 0.001)) continue;
      let cost = 0;
      if (!last) {
        const space = stretched > 0 ? 1 + slack / stretched / normal : 1;
        cost = stretched > 0 ? (space >= 1 ? space : 1 + (1 - space) * 1.5) ** 3 : slack > 0.5 ? 1e6 : 0;
        if (hyphen !== undefined) cost += HYPHEN_COST + (i > 0 && pieces[i - 1].hyphen !== undefined ? HYPHENS_IN_A_ROW_COST : 0);
      }
      if (best[i] + cost < best[j + 1]) {
        best[j + 1] = best[i] + cost;
        prev[j + 1] = i;
      }
    }
  }
  if (best[n] === Infinity) return fillLines(p, pieces, width);
  const spans: LineSpan[] = [];
  for (let j = n; j > 0; j = prev[j]) {
    const i = prev[j];
    spans.unshift({ start: pieces[i].start, end: pieces[j - 1].end, last: j === n, ...(pieces[j - 1].hyphen !== undefined ? { hyphen: true } : {}) });
  }
  return spans;
}

/**
 * Stretches a Chinese line to the full width: the same extra space goes into every gap next to an
 * ideograph or a CJK punctuation mark; Latin words, numbers and URLs stay set solid ("WSIS" is not
 * spread letter by letter). Each segment is cut where the text turns from one kind to the other;
 * a CJK piece gets the extra after each character (Tc), a solid piece none, and the gap between a
 * solid piece and an ideograph is added to the position. A line that would need more than half an
 * em per gap (one cut short before a long unbreakable run) is left as it is.
 */
function distribute(segments: Segment[], slack: number): Segment[] {
  const chars = segments.flatMap((s) => Array.from(s.text));
  let gaps = 0;
  for (let i = 0; i + 1 < chars.length; i++) if (CJK.test(chars[i]) || CJK.test(chars[i + 1])) gaps++;
  if (gaps === 0) return segments;
  const extra = slack / gaps;
  if (segments.some((s) => extra > s.size / 2)) return segments;
  const out: Segment[] = [];
  let pos = 0;
  let at = 0; // index in chars of the piece's first character
  let end = 0; // where the previous segment ended, as laid out
  for (const s of segments) {
    // A fixed space before the segment (a quarter em between an ideograph and Latin text) stays.
    if (s.x - end > 0.001) pos += s.x - end;
    end = s.x + s.width;
    const text = Array.from(s.text);
    let offset = 0; // UTF-16 offset in the segment, for the piece's place in reading order
    for (let i = 0; i < text.length; ) {
      const cjk = CJK.test(text[i]);
      let j = i + 1;
      while (j < text.length && CJK.test(text[j]) === cjk) j++;
      const piece = text.slice(i, j).join('');
      const width = measure(s.face, piece, s.size);
      const last = at + (j - i) - 1; // its last character, in chars
      const after = last + 1 < chars.length && (cjk || CJK.test(chars[last + 1])) ? extra : 0;
      out.push({ ...s, text: piece, x: pos, width: cjk ? width + extra * (j - i) : width + after, logical: s.logical + offset, ...(cjk ? { charSpacing: extra } : { charSpacing: undefined }) });
      pos += cjk ? width + extra * (j - i - 1) + after : width + after;
      offset += piece.length;
      at += j - i;
      i = j;
    }
  }
  return out;
}

/** Stretches a line to the full width by widening its spaces. */
function justify(segments: Segment[], slack: number, tokens: boolean): void {
  if (tokens) {
    // Bidi lines are cut into tokens of words and into spaces between them: widen every space, a
    // token's own by its word spacing, a space between tokens by its width.
    const spaces = segments.reduce((n, s) => n + countSpaces(s.text), 0);
    if (spaces === 0) return;
    const extra = slack / spaces;
    let shift = 0;
    for (const s of segments) {
      s.x += shift;
      const n = countSpaces(s.text);
      if (n === 0) continue;
      if (s.text !== ' ') s.wordSpacing = extra;
      s.width += extra * n;
      shift += extra * n;
    }
    return;
  }
  const spaces = segments.reduce((n, s) => n + countSpaces(s.text), 0);
  if (spaces === 0) return;
  // The renderer widens every space glyph by the extra, leading spaces of a segment included.
  const extra = slack / spaces;
  if (extra < 0 && -extra > SHRINK * measure(segments[0].face, ' ', segments[0].size) + 0.001) return;
  let pos = 0;
  for (const s of segments) {
    s.x = pos;
    s.wordSpacing = extra;
    s.width = measure(s.face, s.text, s.size) + extra * countSpaces(s.text);
    pos = s.x + s.width;
  }
}

/** A format character kept in the paragraph's text, never drawn: a bidi control, or a word joiner (for the line breaker). */
function isControl(ch: string): boolean {
  return ch === WORD_JOINER || isBidiControl(ch.charCodeAt(0));
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

function countSpaces(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === ' ') n++;
  return n;
}

/**
 * Spaces that a line never breaks at and justification never widens: each becomes a no-break
 * space (U+00A0, as wide as a space in the bundled fonts) before the text is laid out.
 * - Between groups of digits, "50 000", "1 000 000" (French, Russian and Spanish group thousands
 *   with a space): broken there, a line ended "50" and the next began "000", two numbers.
 * - Between a number and a percent or currency sign or code after it, "10 %", "5 €", "120 000
 *   CHF", and between a number sign and its number, "n° 140", "№ 140": a line began with "%".
 * - Inside French guillemets, "« texte »": a line ended with « or began with ».
 * - Before a dash set between spaces, "Fondo – 2022": a line began with the dash, as a list
 *   item or a line of dialogue does; it ends the line before instead.
 * A space typed as a no-break space stays as it is. And a capitalised word stays with the number
 * of up to four digits after it, "Resolution 140", "May 2016", "Studies 12": not with a no-break
 * space but tied, as glueWords ties words, so that the space is widened with the others.
 */
const KEPT_TOGETHER = /(?<=\d) (?=\d{3}(?!\d)|[%‰€$£¥₽]|(?:CHF|EUR|USD)\b)|(?<=[№°º]) (?=\d)|(?<=«) | (?=»)|(?<=\S) (?=[-–—](?: |$))/g;

export function keepTogether(text: string): string {
  return text.replace(KEPT_TOGETHER, '\u00a0').replace(BEFORE_NUMBER, tieToNumber);
}

/** A space before a number of up to four digits (see tieToNumber). */
const BEFORE_NUMBER = / (?=\d{1,4}(?![\d\u00a0]))/g;
const LOWER = /\p{Ll}/u;
const UPPER = /\p{Lu}/u;
const LETTER = /[\p{L}\p{M}]/u;

/**
 * The space at `at` before a number, tied when a capitalised word comes before it ("Resolution
 * 140", "May 2016"). Looked at from the space back, rather than by a regular expression's
 * look-behind, which tried it at every character of every paragraph: ten times the cost of
 * keepTogether's other rules.
 */
function tieToNumber(space: string, at: number, text: string): string {
  let k = at - 1;
  while (k >= 0 && LOWER.test(text[k])) k--;
  const capitalised = k < at - 1 && k >= 0 && UPPER.test(text[k]) && (k === 0 || !LETTER.test(text[k - 1]));
  return capitalised ? ` ${WORD_JOINER}` : space;
}

/**
 * A language's words that a line must not end with (LanguageInfo.noBreakAfter, matched with the
 * spaces after each) tied to the next word, as TeX's "~" ties them: the space stays a space, which
 * justification widens as any other, and a word joiner after it (U+2060, never drawn) forbids the
 * line break there (UAX #14, LB11). The runs of a paragraph are taken together: the word and the
 * next one may lie in two runs ("в [Резолюции 1332](…)").
 */
export function glueWords(runs: StyledRun[], pattern: RegExp): StyledRun[] {
  const text = runs.length === 1 ? runs[0].text : runs.map((r) => r.text).join('');
  if (text.search(pattern) < 0) return runs;
  // The gaps after the words, [start, end) in the paragraph's text: each becomes one space and a joiner.
  const gaps: [number, number][] = [];
  for (const m of text.matchAll(pattern)) {
    const end = (m.index as number) + m[0].length;
    gaps.push([end - (m[0].length - m[0].replace(/[ \t]+$/, '').length), end]);
  }
  let offset = 0;
  let g = 0;
  return runs.map((r) => {
    const from = offset;
    const to = (offset += r.text.length);
    let t = '';
    let k = from;
    // A gap may begin in one run and end in the next: each run keeps its part, the tie in the first.
    for (; g < gaps.length && gaps[g][0] < to; g++) {
      const [start, end] = gaps[g];
      t += text.slice(k, Math.max(k, start));
      if (start >= from) t += ` ${WORD_JOINER}`;
      k = Math.min(end, to);
      if (end > to) break;
    }
    if (k === from) return r;
    t += text.slice(k, to);
    return { ...r, text: t };
  });
}

/**
 * Collapses white space as HTML does (a no-break space is kept: it is not white space here) and
 * drops empty runs; "\n" stays a hard break. Spaces that must not break become no-break spaces
 * (keepTogether).
 */
function normaliseRuns(input: StyledRun[]): StyledRun[] {
  const out: StyledRun[] = [];
  let prevSpace = true;
  for (const r of input) {
    let t = '';
    for (const ch of r.text) {
      if (ch === '\n') {
        t = t.replace(/ $/, '');
        t += '\n';
        prevSpace = true;
      } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
        if (!prevSpace) t += ' ';
        prevSpace = true;
      } else if (isControl(ch)) {
        t += ch; // kept for the bidi algorithm, never drawn
      } else if (isInvisible(ch.codePointAt(0) as number)) {
        // Other format characters (zero-width spaces, BOM) are never drawn.
        continue;
      } else {
        t += ch;
        prevSpace = false;
      }
    }
    if (t) out.push({ ...r, text: keepTogether(t) });
  }
  return out;
}

/**
 * Font fallback: each character takes the first face of its run's chain that has a glyph for it.
 * Spaces and punctuation stay in the font of the text around them where that font has them, so
 * a run of Arabic words is not cut at every space.
 */
function itemize(runs: StyledRun[]): FontRun[] {
  const out: FontRun[] = [];
  for (const r of runs) {
    let current: FontFace | undefined;
    let buf = '';
    const push = () => {
      if (buf && current) out.push({ text: buf, face: current, size: r.size, color: r.color, link: r.link });
      buf = '';
    };
    for (const ch of r.text) {
      const cp = ch.codePointAt(0) as number;
      let chosen: FontFace | undefined;
      if (ch === '\n' || isInvisible(cp)) {
        chosen = current ?? r.faces[0];
      } else if (current && /[\p{P}\p{Z}\p{S}]/u.test(ch) && current.font.hasGlyphForCodePoint(cp)) {
        chosen = current;
      } else {
        chosen = r.faces.find((f) => f.font.hasGlyphForCodePoint(cp));
      }
      if (!chosen) {
        throw new LetterMergeError('MISSING_GLYPH', `no bundled font can draw the character "${ch}" (${codePointName(ch)})`, {
          kind: 'row',
          hint: MISSING_GLYPH_HINT,
        });
      }
      if (chosen !== current) {
        push();
        current = chosen;
      }
      buf += ch;
    }
    push();
  }
  return out;
}
