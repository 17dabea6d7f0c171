/**
 * The adapter: the one place that knows pdfkit's and fontkit's internals.
 *
 * lettermerge reaches into them for speed (a layout cache shared across documents, font subsets
 * and compressed streams reused from letter to letter, Chinese subsets without fontkit's 22,000
 * subroutines) and for correctness (the characters each glyph of a run came from; right-to-left
 * ligatures in ToUnicode maps). Everything here is scoped to lettermerge's own objects: the fonts
 * it parses (instance properties, never a prototype) and the documents it makes (a subclass of
 * PDFDocument). A library user's own pdfkit documents and fontkit fonts are untouched.
 *
 * installAdapter() checks, once, the exact versions of both packages and every internal named
 * here, and fails loudly with a message if one is missing: an upgrade cannot silently turn an
 * optimisation into a no-op or a wrong letter. test/adapter/ renders the sample letters with and
 * without the adapter and compares them as pixels, so an upgrade shows at once what moved.
 *
 * This folder (index.ts, cff.ts) is the boundary: no other module uses a private name of either.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';
import PDFDocument from 'pdfkit';
import { LetterMergeError } from '../errors';
import { desubroutinize } from './cff';
import type { CffTable } from './cff';

export const PDFKIT_VERSION = '0.20.2';
export const FONTKIT_VERSION = '2.0.4';

// ---------------------------------------------------------------------------------------------
// The internals lettermerge uses, as types. Each is checked by installAdapter().

interface GlyphLike {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
interface GlyphRunLike {
  direction: string;
  glyphs: GlyphLike[];
}
interface FontInternals {
  glyphsForString(s: string): GlyphLike[];
  createSubset(): SubsetInternals;
  _layoutEngine: { engine?: { position(run: GlyphRunLike): unknown; glyphInfos: { codePoints: number[] }[] } };
}
interface SubsetInternals {
  font: object;
  glyphs: number[];
  cff?: CffTable;
  charstrings: Uint8Array[];
  gsubrs: Uint8Array[];
  encode(): Uint8Array;
  subsetCharstrings?(): void;
  subsetFontdict?(topDict: Record<string, unknown>): void;
  createCIDFontdict?(topDict: Record<string, unknown>): unknown;
}
/** pdfkit's EmbeddedFont: a font as one document uses it. */
interface EmbeddedFontInternals {
  layoutCache?: Record<string, unknown>;
  subset: { includeGlyph(id: number): number };
  widths: number[];
  unicode: number[][];
  scale: number;
  layout(text: string): { glyphs: GlyphLike[] };
}
interface ReferenceInternals {
  compress: boolean;
  buffer: Uint8Array[];
  data: Record<string, unknown>;
  finalize(): void;
  end(chunk?: Uint8Array): void;
}
interface DocumentInternals {
  _font: EmbeddedFontInternals;
  _fontFamilies: Record<string, EmbeddedFontInternals>;
  ref(data?: Record<string, unknown>): ReferenceInternals;
}

// ---------------------------------------------------------------------------------------------
// Installation: versions and internals checked once.

let installed = false;

function versionOf(pkg: string): string {
  const entry = require.resolve(pkg);
  let dir = path.dirname(entry);
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (json.name === pkg) return json.version ?? 'unknown';
    } catch {
      // go up
    }
  }
  return 'unknown';
}

function broken(what: string): never {
  throw new LetterMergeError('INTERNAL', `lettermerge cannot work with the installed pdfkit ${versionOf('pdfkit')} and fontkit ${versionOf('fontkit')}: ${what}`, {
    kind: 'internal',
    hint: `lettermerge relies on internals of pdfkit ${PDFKIT_VERSION} and fontkit ${FONTKIT_VERSION} (src/adapter/). Reinstall with "npm ci", or, when upgrading, update the adapter and run its tests.`,
  });
}

function need(ok: unknown, what: string): void {
  if (!ok) broken(`${what} is missing`);
}

/**
 * Checks the versions of pdfkit and fontkit and every internal the adapter uses, on a probe
 * document and font, and remembers that it did. Call it before rendering; it is cheap after the
 * first call. Throws a LetterMergeError (an internal error, exit 1) naming what is missing.
 */
export function installAdapter(): void {
  if (installed) return;
  const pv = versionOf('pdfkit');
  const fv = versionOf('fontkit');
  if (pv !== PDFKIT_VERSION || fv !== FONTKIT_VERSION) broken(`exactly pdfkit ${PDFKIT_VERSION} and fontkit ${FONTKIT_VERSION} are needed`);

  const probeFont = fontkit.create(readFileSync(LATIN_PROBE)) as unknown as FontInternals & Font;
  need(typeof probeFont.glyphsForString === 'function', "fontkit's Font.glyphsForString");
  need(typeof probeFont.createSubset === 'function', "fontkit's Font.createSubset");
  const engine = probeFont._layoutEngine?.engine;
  need(engine && typeof engine.position === 'function', "fontkit's OpenType layout engine (Font._layoutEngine.engine.position)");
  (probeFont as unknown as Font).layout('fi');
  const subset = probeFont.createSubset();
  need(typeof subset.encode === 'function' && Array.isArray(subset.glyphs), "fontkit's Subset.encode and Subset.glyphs");

  const doc = new PDFDocument({ autoFirstPage: false }) as unknown as DocumentInternals & PDFKit.PDFDocument;
  const ref = doc.ref({});
  need(typeof ref.finalize === 'function' && 'compress' in ref && Array.isArray(ref.buffer), "pdfkit's PDFReference (finalize, compress, buffer)");
  doc.addPage();
  doc.font(probeFont as unknown as string);
  const embedded = doc._font;
  need(embedded && 'layoutCache' in embedded, "pdfkit's EmbeddedFont.layoutCache");
  need(embedded && typeof embedded.subset?.includeGlyph === 'function', "pdfkit's EmbeddedFont.subset.includeGlyph");
  need(embedded && Array.isArray(embedded.widths) && Array.isArray(embedded.unicode) && typeof embedded.scale === 'number', "pdfkit's EmbeddedFont.widths, unicode and scale");
  need(doc._fontFamilies && typeof doc._fontFamilies === 'object', "pdfkit's PDFDocument._fontFamilies");
  installed = true;
}

/** A font file to probe fontkit's and pdfkit's internals with. */
const LATIN_PROBE = path.join(path.dirname(require.resolve('@embedpdf/fonts-latin')), '..', 'fonts', 'NotoSans-Regular.ttf');

// ---------------------------------------------------------------------------------------------
// Fonts: each font lettermerge parses is prepared once, through instance properties only.

/** A glyph as it stands in one run: the font's shared glyph object, with the characters it came from in this run. */
function inRun<G extends GlyphLike>(glyph: G, codePoints: number[]): G {
  return Object.create(glyph, { codePoints: { value: codePoints, enumerable: true } }) as G;
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
function trackRunCharacters(f: FontInternals): void {
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
  if (!engine) return;
  const position = engine.position;
  engine.position = function (this: typeof engine, run: GlyphRunLike) {
    const result = position.call(this, run);
    const characters = this.glyphInfos.map((info) => info.codePoints.slice());
    if (run.direction === 'rtl') characters.reverse();
    run.glyphs = run.glyphs.map((g, i) => inRun(g, characters[i] ?? g.codePoints));
    return result;
  };
}

/** Whether fonts' CFF subsets are written without subroutines (on); for tests that compare both ways. */
let inlineSubroutines = true;
export function setSubroutineInlining(on: boolean): void {
  inlineSubroutines = on;
}

function withoutSubrs(dict: { Private?: Record<string, unknown> }): void {
  if (dict.Private) {
    dict.Private = { ...dict.Private };
    delete dict.Private.Subrs;
  }
}

/**
 * fontkit's CFF subsetter (used for Noto Sans SC) keeps every subroutine of the font: 22,293 for
 * one font dictionary of Noto Sans SC, written into every Chinese letter. These overrides (set on
 * each subset object, not on fontkit's class) write each glyph with its subroutines inlined
 * (cff.ts) and the subset with none: the same outlines, smaller and faster.
 */
function inlineCffSubroutines(subset: SubsetInternals): void {
  const original = { charstrings: subset.subsetCharstrings, fontdict: subset.subsetFontdict, cid: subset.createCIDFontdict };
  if (!subset.cff || !original.charstrings || !original.fontdict || !original.cid) broken("fontkit's CFFSubset (subsetCharstrings, subsetFontdict, createCIDFontdict)");
  subset.subsetCharstrings = function (this: SubsetInternals) {
    if (!inlineSubroutines) return original.charstrings!.call(this);
    this.charstrings = this.glyphs.map((gid) => desubroutinize(this.cff!, gid));
    this.gsubrs = [];
  };
  subset.subsetFontdict = function (this: SubsetInternals, topDict) {
    if (!inlineSubroutines) return original.fontdict!.call(this, topDict);
    const fdArray: { Private?: Record<string, unknown>; FontName?: unknown }[] = [];
    const fdSelect = { version: 0, fds: [] as number[] };
    const index = new Map<number, number>();
    const source = (this.cff!.topDict as { FDArray: { Private?: Record<string, unknown> }[] }).FDArray;
    for (const gid of this.glyphs) {
      const fd = this.cff!.fdForGlyph(gid);
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
  subset.createCIDFontdict = function (this: SubsetInternals, topDict) {
    const result = original.cid!.call(this, topDict);
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

function cacheSubsetBytes(subset: SubsetInternals): void {
  const encode = subset.encode;
  subset.encode = function (this: SubsetInternals) {
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

/**
 * Prepares a font lettermerge parsed: every run carries its glyphs' characters, and every subset
 * pdfkit makes of it inlines CFF subroutines and reuses its bytes. Only this font object changes.
 */
export function prepareFont(font: Font): void {
  installAdapter();
  const f = font as unknown as FontInternals;
  trackRunCharacters(f);
  const createSubset = f.createSubset.bind(f);
  f.createSubset = () => {
    const subset = createSubset();
    if (subset.cff) inlineCffSubroutines(subset);
    cacheSubsetBytes(subset);
    return subset;
  };
}

/** Parses a font file into a prepared fontkit font. */
export function openFont(bytes: Buffer): Font {
  const font = fontkit.create(bytes) as Font;
  prepareFont(font);
  return font;
}

// ---------------------------------------------------------------------------------------------
// pdfkit's text measuring, as pdfkit itself does it.

/** fontkit lays a run out right to left when its first character of a real script is right-to-left. */
const RTL_SCRIPT = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const REAL_SCRIPT = /[^\p{Script=Common}\p{Script=Inherited}\p{Script=Unknown}]/u;

export function fontkitReverses(s: string): boolean {
  const m = REAL_SCRIPT.exec(s);
  return m !== null && RTL_SCRIPT.test(m[0]);
}

const widthCache = new WeakMap<Font, Map<string, number>>();

/**
 * Width of `text` in font units, measured exactly as pdfkit measures what it draws: the text is
 * laid out in chunks that end after each space or tab (EmbeddedFont.layout), so kerning never
 * spans a space. Chunk widths are kept per font.
 */
export function advanceUnits(font: Font, text: string): number {
  let chunks = widthCache.get(font);
  if (!chunks) widthCache.set(font, (chunks = new Map()));
  let units = 0;
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    const end = i === text.length;
    if ((end && last < i) || (!end && (text[i] === ' ' || text[i] === '\t'))) {
      const chunk = text.slice(last, i + 1);
      let w = chunks.get(chunk);
      if (w === undefined) {
        w = font.layout(chunk).advanceWidth;
        chunks.set(chunk, w);
      }
      units += w;
      last = i + 1;
    }
  }
  return units;
}

// ---------------------------------------------------------------------------------------------
// Documents: lettermerge's own pdfkit documents.

/**
 * Compressed streams by content hash. Font subsets and their ToUnicode maps repeat from letter to
 * letter (same glyphs, same bytes: see orderGlyphs), so they are deflated once. zlib is
 * deterministic: the bytes are what pdfkit would have written.
 */
const deflated = new Map<string, Buffer>();
const DEFLATED_MAX = 64;

function cachedDeflate(ref: ReferenceInternals): void {
  const finalize = ref.finalize;
  ref.finalize = function (this: ReferenceInternals) {
    if (this.compress && this.buffer.length > 0) {
      const data = Buffer.concat(this.buffer);
      if (data.length >= 2048) {
        const key = `${data.length}:${createHash('sha1').update(data).digest('base64')}`;
        let z = deflated.get(key);
        if (!z) {
          z = deflateSync(data);
          if (deflated.size >= DEFLATED_MAX) deflated.delete(deflated.keys().next().value as string);
          deflated.set(key, z);
        }
        this.buffer = [z];
        this.compress = false; // already compressed; the stream keeps its /Filter /FlateDecode
      }
    }
    finalize.call(this);
  };
}

/**
 * pdfkit keeps, per document and font, a cache from each word to its shaped glyphs; shaping is most
 * of the cost of a letter. Letters repeat words, so the cache is kept per font for the process.
 * Safe because pdfkit reads the cached runs and never changes them after making them.
 */
const layoutCaches = new WeakMap<object, Record<string, unknown>>();

/** What a document needs of a font: its key, and the parsed font. */
export interface FaceLike {
  key: string;
  font: Font;
}

export interface LetterDocumentOptions {
  /**
   * Use lettermerge's reuse across documents (shared layout cache, cached streams, glyphs in
   * canonical order, cached subsets). Off, the document is what plain pdfkit makes from the same
   * drawing calls, with fonts read from their files: the reference in the adapter's tests.
   */
  reuse: boolean;
  /** The file of each face, for plain documents (pdfkit reads it, as its documentation shows). */
  fileOf?: (face: FaceLike) => string;
}

/** A pdfkit document of lettermerge's; the adapter's changes apply to its objects only. */
export class LetterDocument extends PDFDocument {
  private readonly embedded = new Map<string, EmbeddedFontInternals>();

  constructor(
    options: PDFKit.PDFDocumentOptions,
    private readonly adapter: LetterDocumentOptions,
  ) {
    installAdapter();
    super(options);
  }

  /** Every object of this document is made here: its streams use the shared deflate cache. */
  override ref(data?: Record<string, unknown>): PDFKit.PDFKitReference {
    const r = (PDFDocument.prototype as unknown as DocumentInternals).ref.call(this, data) as ReferenceInternals;
    if (this.adapter?.reuse) cachedDeflate(r);
    return r as unknown as PDFKit.PDFKitReference;
  }

  private embed(face: FaceLike): EmbeddedFontInternals {
    let font = this.embedded.get(face.key);
    if (!font) {
      const src = this.adapter.reuse ? face.font : (this.adapter.fileOf?.(face) ?? face.font);
      this.registerFont(face.key, src as unknown as string);
      this.font(face.key);
      font = (this as unknown as DocumentInternals)._font;
      if (this.adapter.reuse && font.layoutCache) {
        let shared = layoutCaches.get(face.font);
        if (!shared) layoutCaches.set(face.font, (shared = Object.create(null) as Record<string, unknown>));
        font.layoutCache = shared;
      }
      this.embedded.set(face.key, font);
    }
    return font;
  }

  /** Sets the current font and size. */
  useFace(face: FaceLike, size: number): this {
    this.embed(face);
    this.font(face.key).fontSize(size);
    return this;
  }

  /**
   * Gives each font's subset its glyphs in one canonical order (by glyph id) before anything is
   * drawn, so that letters using the same glyphs embed byte-identical subsets, built and deflated
   * once. The first use of a glyph in the letter decides the text it maps to, as in pdfkit's own
   * encode().
   */
  orderGlyphs(texts: Iterable<{ face: FaceLike; text: string }>): void {
    if (!this.adapter.reuse) return;
    const byFont = new Map<EmbeddedFontInternals, Map<number, GlyphLike>>();
    for (const { face, text } of texts) {
      const font = this.embed(face);
      let glyphs = byFont.get(font);
      if (!glyphs) byFont.set(font, (glyphs = new Map()));
      for (const g of font.layout(text).glyphs) if (!glyphs.has(g.id)) glyphs.set(g.id, g);
    }
    for (const [font, glyphs] of byFont) {
      for (const id of [...glyphs.keys()].sort((a, b) => a - b)) {
        // As pdfkit's own encode() does for each glyph it draws.
        const g = glyphs.get(id) as GlyphLike;
        const gid = font.subset.includeGlyph(id);
        if (font.widths[gid] == null) font.widths[gid] = g.advanceWidth * font.scale;
        if (font.unicode[gid] == null) font.unicode[gid] = g.codePoints;
      }
    }
  }

  /**
   * Right-to-left words are drawn in visual order, and text extractors (poppler, pdf.js) put them
   * back in reading order by reversing the characters. A ligature glyph (lam-alef) maps to two
   * characters, which that reversal would swap: map it to them reversed. Call before end().
   */
  reverseRtlLigatures(isRtlLetter: (cp: number) => boolean): void {
    const families = (this as unknown as DocumentInternals)._fontFamilies;
    // A font is listed under more than one key; fix each once.
    for (const font of new Set(Object.values(families))) {
      if (!font.unicode) continue;
      for (let gid = 0; gid < font.unicode.length; gid++) {
        const cps = font.unicode[gid];
        if (cps && cps.length > 1 && cps.every(isRtlLetter)) font.unicode[gid] = [...cps].reverse();
      }
    }
  }

  /**
   * Draws an image decoded elsewhere, from ready-made deflated samples (8-bit RGB, and an alpha
   * plane as a soft mask when there is one): pdfkit draws an image object it is given, one with a
   * size, a resource label and an embed() that makes its XObject.
   */
  rgbImage(image: { width: number; height: number; rgb: Uint8Array; alpha?: Uint8Array }, x: number, y: number, options: PDFKit.Mixins.ImageOption): this {
    const source = {
      width: image.width,
      height: image.height,
      label: 'Sig1',
      obj: null as ReferenceInternals | null,
      embed(document: DocumentInternals) {
        const size = { Width: image.width, Height: image.height, BitsPerComponent: 8, Filter: 'FlateDecode' };
        const obj = document.ref({ Type: 'XObject', Subtype: 'Image', ...size, ColorSpace: 'DeviceRGB' });
        if (image.alpha) {
          const mask = document.ref({ Type: 'XObject', Subtype: 'Image', ...size, ColorSpace: 'DeviceGray', Decode: [0, 1] });
          mask.end(Buffer.from(image.alpha));
          obj.data.SMask = mask;
        }
        obj.end(Buffer.from(image.rgb));
        this.obj = obj;
      },
    };
    this.image(source as unknown as Buffer, x, y, options);
    return this;
  }
}
