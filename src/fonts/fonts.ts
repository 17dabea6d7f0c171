import path from 'node:path';
import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';
import { LetterMergeError } from '../errors';

/**
 * The fonts lettermerge embeds, all from npm packages (never from the system). Each file is
 * parsed once per process: parsing is most of the cost of a letter when done per document.
 */
export type FontStyle = 'regular' | 'bold' | 'italic' | 'boldItalic';

export interface FontFace {
  /** A stable name, used as the PDF resource name and cache key. */
  key: string;
  font: Font;
}

/** Where an @embedpdf font package keeps its files (its exports do not list them). */
function packageFonts(pkg: string): string {
  return path.join(path.dirname(require.resolve(pkg)), '..', 'fonts');
}

export type Family = 'latin' | 'arabic' | 'han';

const FILES: Record<Family, { pkg: string; files: Record<FontStyle, string> }> = {
  latin: {
    pkg: '@embedpdf/fonts-latin',
    files: {
      regular: 'NotoSans-Regular.ttf',
      bold: 'NotoSans-Bold.ttf',
      italic: 'NotoSans-Italic.ttf',
      boldItalic: 'NotoSans-BoldItalic.ttf',
    },
  },
  // No italic in Naskh or Sans SC: italic text uses the upright face of its weight.
  arabic: {
    pkg: '@embedpdf/fonts-arabic',
    files: {
      regular: 'NotoNaskhArabic-Regular.ttf',
      bold: 'NotoNaskhArabic-Bold.ttf',
      italic: 'NotoNaskhArabic-Regular.ttf',
      boldItalic: 'NotoNaskhArabic-Bold.ttf',
    },
  },
  han: {
    pkg: '@embedpdf/fonts-sc',
    files: {
      regular: 'NotoSansHans-Regular.otf',
      bold: 'NotoSansHans-Bold.otf',
      italic: 'NotoSansHans-Regular.otf',
      boldItalic: 'NotoSansHans-Bold.otf',
    },
  },
};

const cache = new Map<string, FontFace>();

/**
 * fontkit's CFF subsetter (used for Noto Sans SC) keeps every subroutine of the font: one font
 * dictionary of Noto Sans SC has 22,293 local subroutines, so each Chinese letter carried an index
 * of them (unused ones as one-byte stubs) and spent most of its time writing it. Instead, each
 * glyph's charstring is written with its subroutine calls inlined ("desubroutinized"), and the
 * subset has no subroutines at all: the same outlines, in a smaller file, made faster. Inlined
 * charstrings are kept per glyph for the life of the process.
 */
interface CffEntry {
  offset: number;
  length: number;
}
interface CffTable {
  stream: { pos: number; readBuffer(n: number): Uint8Array };
  globalSubrIndex: CffEntry[];
  topDict: { FDArray?: { Private?: { Subrs?: CffEntry[] } }[]; Private?: { Subrs?: CffEntry[] } };
  fdForGlyph(gid: number): number | null;
  getCharString(gid: number): Uint8Array;
}

const inlined = new WeakMap<CffTable, Map<number, Uint8Array>>();

function subrBias(count: number): number {
  return count < 1240 ? 107 : count < 33900 ? 1131 : 32768;
}

/** A Type 2 charstring with every callsubr and callgsubr replaced by the subroutine's code. */
export function desubroutinize(cff: CffTable, gid: number): Uint8Array {
  let perFont = inlined.get(cff);
  if (!perFont) {
    perFont = new Map();
    inlined.set(cff, perFont);
  }
  const known = perFont.get(gid);
  if (known) return known;

  const fd = cff.fdForGlyph(gid);
  const local = (fd !== null && cff.topDict.FDArray ? cff.topDict.FDArray[fd]?.Private?.Subrs : cff.topDict.Private?.Subrs) ?? [];
  const global = cff.globalSubrIndex ?? [];
  const read = (e: CffEntry) => {
    cff.stream.pos = e.offset;
    return cff.stream.readBuffer(e.length);
  };
  const out: number[] = [];
  let stack: number[] = [];
  let starts: number[] = [];
  let stems = 0;
  let ended = false;
  let depth = 0;

  const run = (code: Uint8Array): void => {
    if (++depth > 10) throw new Error(`charstring of glyph ${gid} nests subroutines too deeply`);
    let i = 0;
    while (i < code.length && !ended) {
      const b = code[i];
      if (b === 28 || b >= 32) {
        let len: number;
        let value: number;
        if (b === 28) {
          value = ((code[i + 1] << 24) >> 16) | code[i + 2];
          len = 3;
        } else if (b <= 246) {
          value = b - 139;
          len = 1;
        } else if (b <= 250) {
          value = (b - 247) * 256 + code[i + 1] + 108;
          len = 2;
        } else if (b <= 254) {
          value = -(b - 251) * 256 - code[i + 1] - 108;
          len = 2;
        } else {
          value = ((code[i + 1] << 24) | (code[i + 2] << 16) | (code[i + 3] << 8) | code[i + 4]) / 65536;
          len = 5;
        }
        starts.push(out.length);
        stack.push(value);
        for (let k = 0; k < len; k++) out.push(code[i + k]);
        i += len;
        continue;
      }
      if (b === 10 || b === 29) {
        // callsubr / callgsubr: drop the index operand, run the subroutine in place.
        const index = stack.pop() as number;
        out.length = starts.pop() as number;
        const subrs = b === 10 ? local : global;
        const entry = subrs[index + subrBias(subrs.length)];
        if (!entry) throw new Error(`charstring of glyph ${gid} calls a missing subroutine`);
        run(read(entry));
        i++;
        continue;
      }
      if (b === 11) break; // return
      if (b === 14) {
        out.push(14); // endchar
        ended = true;
        break;
      }
      if (b === 1 || b === 3 || b === 18 || b === 23) stems += stack.length >> 1; // stem hints
      if (b === 19 || b === 20) {
        // hintmask / cntrmask: operands left on the stack are implicit vertical stems; the mask
        // that follows has one bit per stem.
        stems += stack.length >> 1;
        const n = (stems + 7) >> 3;
        out.push(b);
        for (let k = 1; k <= n; k++) out.push(code[i + k]);
        i += 1 + n;
      } else if (b === 12) {
        out.push(12, code[i + 1]);
        i += 2;
      } else {
        out.push(b);
        i++;
      }
      stack = [];
      starts = [];
    }
    depth--;
  };
  run(cff.getCharString(gid));
  const result = Uint8Array.from(out);
  perFont.set(gid, result);
  return result;
}

interface CffSubset {
  cff: CffTable;
  glyphs: number[];
  charstrings: Uint8Array[];
  gsubrs: Uint8Array[];
  subsetCharstrings(): void;
  subsetFontdict(topDict: Record<string, unknown>): void;
  createCIDFontdict(topDict: Record<string, unknown>): unknown;
}

const patchedSubsets = new WeakSet<object>();
let inlineSubroutines = true;

/** Turns subroutine inlining off or on (it is on); for tests that compare both ways. */
export function setSubroutineInlining(on: boolean): void {
  inlineSubroutines = on;
}

function patchCffSubset(font: Font): void {
  const proto = Object.getPrototypeOf(font.createSubset()) as CffSubset;
  if (patchedSubsets.has(proto) || typeof proto.subsetCharstrings !== 'function') return;
  patchedSubsets.add(proto);
  const original = {
    subsetCharstrings: proto.subsetCharstrings,
    subsetFontdict: proto.subsetFontdict,
  };
  proto.subsetCharstrings = function (this: CffSubset) {
    if (!inlineSubroutines) return original.subsetCharstrings.call(this);
    this.charstrings = this.glyphs.map((gid) => desubroutinize(this.cff, gid));
    this.gsubrs = [];
  };
  const withoutSubrs = (dict: { Private?: Record<string, unknown> }) => {
    if (dict.Private) {
      dict.Private = { ...dict.Private };
      delete dict.Private.Subrs;
    }
  };
  proto.subsetFontdict = function (this: CffSubset, topDict) {
    if (!inlineSubroutines) return original.subsetFontdict.call(this, topDict);
    const fdArray: { Private?: Record<string, unknown>; FontName?: unknown }[] = [];
    const fdSelect = { version: 0, fds: [] as number[] };
    const index = new Map<number, number>();
    const source = this.cff.topDict.FDArray as { Private?: Record<string, unknown> }[];
    for (const gid of this.glyphs) {
      const fd = this.cff.fdForGlyph(gid);
      if (fd === null || fd === undefined) continue;
      if (!index.has(fd)) {
        const dict: { Private?: Record<string, unknown>; FontName?: unknown } = { ...source[fd] };
        delete dict.FontName;
        withoutSubrs(dict);
        fdArray.push(dict);
        index.set(fd, fdArray.length - 1);
      }
      fdSelect.fds.push(index.get(fd) as number);
    }
    topDict.FDArray = fdArray;
    topDict.FDSelect = fdSelect;
  };
  const createCIDFontdict = proto.createCIDFontdict;
  proto.createCIDFontdict = function (this: CffSubset, topDict) {
    const result = createCIDFontdict.call(this, topDict);
    if (!inlineSubroutines) return result;
    for (const dict of (topDict.FDArray as { Private?: Record<string, unknown> }[]) ?? []) withoutSubrs(dict);
    return result;
  };
}

/**
 * Building a font subset (fontkit decodes and re-encodes each glyph) is a large share of a small
 * letter's cost, and letters that use the same glyphs in the same order get the same subset. The
 * bytes are kept per font and glyph list; pdfkit only reads them.
 */
const subsetBytes = new WeakMap<object, Map<string, Uint8Array>>();
const SUBSETS_PER_FONT = 16;
const patchedEncoders = new WeakSet<object>();

function cacheSubsetEncoding(font: Font): void {
  const proto = Object.getPrototypeOf(font.createSubset()) as { encode(this: { font: object; glyphs: number[] }): Uint8Array };
  if (patchedEncoders.has(proto)) return;
  patchedEncoders.add(proto);
  const encode = proto.encode;
  proto.encode = function (this: { font: object; glyphs: number[] }) {
    let perFont = subsetBytes.get(this.font);
    if (!perFont) subsetBytes.set(this.font, (perFont = new Map()));
    const key = `${inlineSubroutines ? 'i' : 's'}:${this.glyphs.join(',')}`;
    let bytes = perFont.get(key);
    if (!bytes) {
      bytes = encode.call(this);
      if (perFont.size >= SUBSETS_PER_FONT) perFont.delete(perFont.keys().next().value as string);
      perFont.set(key, bytes);
    }
    return bytes;
  };
}

/** A glyph as it stands in one run: the font's shared glyph object, with the characters it came from in this run. */
function inRun<G extends { codePoints: number[] }>(glyph: G, codePoints: number[]): G {
  return Object.create(glyph, { codePoints: { value: codePoints, enumerable: true } }) as G;
}

interface LayoutInternals {
  glyphsForString(s: string): { codePoints: number[] }[];
  _layoutEngine: { engine?: { position(run: { direction: string; glyphs: { codePoints: number[] }[] }): unknown; glyphInfos: { codePoints: number[] }[] } };
}

/**
 * fontkit keeps one glyph object per glyph id for the life of the font, with the characters of
 * the first run it appeared in. A glyph reached from other characters later (a contextual form,
 * the second glyph of a multiple substitution) keeps the first ones, so the text a PDF maps it
 * to would depend on which letters a worker thread happened to make before: the same letter could
 * come out with different bytes, or with a character missing from its extracted text. Every run
 * therefore gets its glyphs with the characters they came from in that run, as fontkit's shaper
 * tracks them (its glyph infos), and nothing reads the shared objects' characters.
 */
function trackRunCharacters(font: Font): void {
  const f = font as unknown as LayoutInternals;
  const glyphsForString = f.glyphsForString.bind(f);
  f.glyphsForString = (s: string) => {
    const glyphs = glyphsForString(s);
    const groups: number[][] = [];
    for (const ch of s) {
      const cp = ch.codePointAt(0) as number;
      const selector = (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
      if (selector && groups.length) groups[groups.length - 1].push(cp);
      else groups.push([cp]);
    }
    return groups.length === glyphs.length ? glyphs.map((g, i) => inRun(g, groups[i])) : glyphs;
  };
  const engine = f._layoutEngine.engine;
  if (!engine || typeof engine.position !== 'function') throw new Error('fontkit: the OpenType layout engine is not where lettermerge expects it');
  const position = engine.position;
  engine.position = function (this: typeof engine, run) {
    const result = position.call(this, run);
    const characters = this.glyphInfos.map((info) => info.codePoints.slice());
    if (run.direction === 'rtl') characters.reverse();
    run.glyphs = run.glyphs.map((g, i) => inRun(g, characters[i] ?? g.codePoints));
    return result;
  };
}

/** The face of a family in a style, parsed on first use and kept for the life of the process. */
export function face(family: Family, style: FontStyle): FontFace {
  const file = FILES[family].files[style];
  let f = cache.get(file);
  if (!f) {
    const font = fontkit.create(readFileSync(path.join(packageFonts(FILES[family].pkg), file))) as Font;
    if (/\.otf$/.test(file)) patchCffSubset(font);
    cacheSubsetEncoding(font);
    trackRunCharacters(font);
    f = { key: file.replace(/\.[ot]tf$/, ''), font };
    cache.set(file, f);
  }
  return f;
}

export function latinFace(style: FontStyle): FontFace {
  return face('latin', style);
}

const ORDER: Record<Family, Family[]> = {
  latin: ['latin', 'arabic', 'han'],
  arabic: ['arabic', 'latin', 'han'],
  han: ['han', 'latin', 'arabic'],
};

/** The fonts to try, in order, for text in a letter whose language is set in `primary`. */
export function fallbackChain(primary: Family, style: FontStyle): FontFace[] {
  return ORDER[primary].map((family) => face(family, style));
}

/** Characters that are never drawn and need no glyph. */
export function isInvisible(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x09 || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfeff || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/** The first character of `text` that no bundled font can draw, if any. */
export function firstMissingCharacter(text: string): string | undefined {
  const chain = fallbackChain('latin', 'regular');
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (isInvisible(cp)) continue;
    if (!chain.some((f) => f.font.hasGlyphForCodePoint(cp))) return ch;
  }
  return undefined;
}

/** A value no bundled font can draw fails the recipient, naming the field: never an empty box. */
export function glyphError(fields: Record<string, string>): LetterMergeError | undefined {
  for (const [field, value] of Object.entries(fields)) {
    const ch = firstMissingCharacter(value);
    if (ch !== undefined) {
      return new LetterMergeError('MISSING_GLYPH', `${field} holds the character "${ch}" (${codePointName(ch)}), which no bundled font can draw`, {
        kind: 'row',
        location: { field },
        hint: 'Replace or remove the character; the bundled fonts cover Latin, Cyrillic, Greek, Arabic and Chinese.',
      });
    }
  }
  return undefined;
}

/** "U+1F600" */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

export function styleOf(bold: boolean, italic: boolean): FontStyle {
  if (bold && italic) return 'boldItalic';
  if (bold) return 'bold';
  if (italic) return 'italic';
  return 'regular';
}

/** Vertical metrics in points for a face at a size. */
export function metrics(face: FontFace, size: number): { ascent: number; descent: number } {
  const s = size / face.font.unitsPerEm;
  return { ascent: face.font.ascent * s, descent: -face.font.descent * s };
}

const widthCache = new WeakMap<Font, Map<string, number>>();

/**
 * Width of `text` in points, measured exactly as pdfkit measures what it draws: the text is laid
 * out in chunks that end after each space or tab, so kerning never spans a space.
 */
export function measure(face: FontFace, text: string, size: number): number {
  let words = widthCache.get(face.font);
  if (!words) {
    words = new Map();
    widthCache.set(face.font, words);
  }
  let units = 0;
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    const end = i === text.length;
    if ((end && last < i) || (!end && (text[i] === ' ' || text[i] === '\t'))) {
      const chunk = text.slice(last, i + 1);
      let w = words.get(chunk);
      if (w === undefined) {
        w = face.font.layout(chunk).advanceWidth;
        words.set(chunk, w);
      }
      units += w;
      last = i + 1;
    }
  }
  return (units * size) / face.font.unitsPerEm;
}
