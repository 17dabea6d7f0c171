/**
 * The adapter: the one place that knows pdfkit's and fontkit's internals (and drives HarfBuzz's
 * subsetter, harfbuzz.ts, and its shaper, shaping.ts).
 *
 * lettermerge reaches into them for speed (a layout cache shared across documents, font subsets
 * and compressed streams reused from letter to letter, TrueType fonts drawn by glyph id so that a
 * run of text is drawn once per process, Chinese subsets without fontkit's 22,000 subroutines)
 * and for correctness (the characters each glyph of a run came from; right-to-left
 * ligatures in ToUnicode maps). Everything here is scoped to lettermerge's own objects: the fonts
 * it parses (instance properties, never a prototype) and the documents it makes (a subclass of
 * PDFDocument). A library user's own pdfkit documents and fontkit fonts are untouched.
 *
 * installAdapter() checks, once, the exact versions of both packages and every internal named
 * here, and fails loudly with a message if one is missing: an upgrade cannot silently turn an
 * optimisation into a no-op or a wrong letter. test/adapter/ renders the sample letters with and
 * without the adapter and compares them as pixels, so an upgrade shows at once what moved.
 *
 * This folder (index.ts, brotli.ts, cff.ts, harfbuzz.ts, shaping.ts) is the boundary: no other module uses a private
 * name of pdfkit or fontkit, or a function of HarfBuzz's.
 */
// First: brotli's decoder, which fontkit loads as it is loaded, waits until it is used.
import './brotli';
import { isTrueType, trueTypeSubset } from './harfbuzz';
import { shapeText } from './shaping';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';
import PDFDocument from 'pdfkit';
import type * as SignpdfUtils from '@signpdf/utils';
import { LetterMergeError } from '../errors';
import { writeCidCff } from './cff';
import { Recent, RecentGroup } from '../recent';
import type { CffSource, CffTable } from './cff';

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
  positions: PositionLike[];
}
interface FontInternals {
  glyphsForString(s: string): GlyphLike[];
  createSubset(): SubsetInternals;
  _layoutEngine: { engine?: { position(run: GlyphRunLike): unknown; glyphInfos: { codePoints: number[] }[] } };
  glyphForCodePoint(cp: number): GlyphLike;
}
interface SubsetInternals {
  font: object;
  glyphs: number[];
  includeGlyph(glyph: number | { id: number }): number;
  cff?: CffTable;
  encode(): Uint8Array;
  subsetFontdict?(topDict: Record<string, unknown>): void;
  createCIDFontdict?(topDict: Record<string, unknown>): unknown;
}
interface PositionLike {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
  advanceWidth: number;
}
/** pdfkit's EmbeddedFont: a font as one document uses it. */
interface EmbeddedFontInternals {
  id: string;
  embed(): unknown;
  layoutCache?: Record<string, unknown>;
  subset: { includeGlyph(id: number): number; encode(): Uint8Array; cff?: object };
  constructor: Function;
  widths: number[];
  unicode: number[][];
  scale: number;
  ascender: number;
  descender: number;
  dictionary: { data: Record<string, unknown>; end(): unknown };
  font: { getGlyph(id: number): { advanceWidth: number }; glyphForCodePoint(cp: number): GlyphLike };
  layout(text: string): { glyphs: GlyphLike[]; positions: PositionLike[] };
  layoutCached(text: string): { glyphs: GlyphLike[]; positions: PositionLike[] };
  layoutRun(text: string): { glyphs: GlyphLike[]; positions: PositionLike[] };
  encode(text: string): [string[], PositionLike[]];
  ref(): unknown;
}
/** The tables and metrics of a fontkit font that pdfkit's font embedding reads. */
interface FontTables {
  'OS/2'?: { sFamilyClass?: number };
  post: { isFixedPitch?: boolean | number };
  head: { macStyle: { italic?: boolean } };
  postscriptName?: string;
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
  italicAngle: number;
  capHeight?: number;
  ascent: number;
  xHeight?: number;
}
interface ReferenceInternals {
  document: { _offset: number; _write(data: string | Uint8Array): void; _refEnd(ref: unknown): void };
  id: number;
  gen: number;
  offset: number;
  compress: boolean;
  buffer: Uint8Array[];
  data: Record<string, unknown>;
  uncompressedLength: number;
  finalize(): void;
  write(chunk: string | Uint8Array): void;
  end(chunk?: Uint8Array | string): void;
}
interface StructureElementInternals {
  dictionary: { data: Record<string, unknown> };
  _flushChild(child: unknown): void;
}

interface DocumentInternals {
  _font: EmbeddedFontInternals;
  _fontSize: number;
  page: { height: number; fonts: Record<string, unknown>; content: ReferenceInternals; dictionary: { data: Record<string, unknown> } };
  addContent(s: string): unknown;
  _fontFamilies: Record<string, EmbeddedFontInternals>;
  ref(data?: Record<string, unknown>): ReferenceInternals;
  /** The catalog; its Pages hold the page list (Kids) in document order. */
  _root: { data: Record<string, unknown> & { Pages: { data: { Kids: unknown[] } } } };
  outline: { children: unknown[]; addItem(title: string, options?: { pageNumber?: number }): unknown };
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
  const subset = probeFont.createSubset();
  need(typeof subset.encode === 'function' && Array.isArray(subset.glyphs), "fontkit's Subset.encode and Subset.glyphs");

  const doc = new PDFDocument({ autoFirstPage: false }) as unknown as DocumentInternals & PDFKit.PDFDocument;
  const ref = doc.ref({});
  need(typeof ref.finalize === 'function' && 'compress' in ref && Array.isArray(ref.buffer), "pdfkit's PDFReference (finalize, compress, buffer)");
  need(typeof ref.write === 'function' && ref.uncompressedLength === 0, "pdfkit's PDFReference.write and uncompressedLength");
  need(typeof (PDFDocument.prototype as unknown as Record<string, unknown>)._write === 'function' && typeof (doc as unknown as { _offset: unknown })._offset === 'number', "pdfkit's PDFDocument._write and _offset");
  need(typeof (doc as unknown as { _refEnd: unknown })._refEnd === 'function' && typeof ref.id === 'number' && ref.gen === 0 && (ref.document as unknown) === doc, "pdfkit's PDFReference (document, id, gen) and PDFDocument._refEnd");
  // The classes pdfkit's PDFObject.convert writes apart (see pdfValue): references, name and number trees, spot colours.
  pdfClasses.reference = Object.getPrototypeOf((ref as unknown as object).constructor) as Function;
  const dests = (doc as unknown as { _root?: { data?: { Names?: { data?: { Dests?: object } } } } })._root?.data?.Names?.data?.Dests;
  pdfClasses.tree = dests && (Object.getPrototypeOf(dests.constructor) as Function);
  (doc as unknown as { addSpotColor(name: string, c: number, m: number, y: number, k: number): void }).addSpotColor('Probe', 0, 0, 0, 100);
  pdfClasses.spotColor = (doc as unknown as { spotColors: Record<string, object> }).spotColors.Probe?.constructor;
  need(typeof pdfClasses.reference === 'function' && pdfClasses.reference.name === 'PDFAbstractReference', "pdfkit's PDFAbstractReference");
  need(typeof pdfClasses.tree === 'function' && pdfClasses.tree.name === 'PDFTree', "pdfkit's PDFTree (the catalog's Names.Dests)");
  need(typeof pdfClasses.spotColor === 'function' && pdfClasses.spotColor.name === 'SpotColor', "pdfkit's SpotColor");
  doc.addPage();
  doc.font(probeFont as unknown as string);
  const embedded = doc._font;
  need(embedded && 'layoutCache' in embedded, "pdfkit's EmbeddedFont.layoutCache");
  need(embedded && typeof embedded.subset?.includeGlyph === 'function', "pdfkit's EmbeddedFont.subset.includeGlyph");
  need(embedded && Array.isArray(embedded.widths) && Array.isArray(embedded.unicode) && typeof embedded.scale === 'number', "pdfkit's EmbeddedFont.widths, unicode and scale");
  need(embedded && typeof embedded.font?.getGlyph === 'function' && embedded.widths.length === 1, "pdfkit's EmbeddedFont.font, and widths starting with .notdef's");
  need(embedded && typeof embedded.encode === 'function' && typeof embedded.ref === 'function' && typeof embedded.id === 'string', "pdfkit's EmbeddedFont.encode, ref and id");
  need(embedded && typeof embedded.layoutCached === 'function', "pdfkit's EmbeddedFont.layoutCached");
  need(embedded && typeof embedded.layoutRun === 'function', "pdfkit's EmbeddedFont.layoutRun");
  need(doc.page && typeof doc.page.fonts === 'object' && typeof doc._fontSize === 'number', "pdfkit's PDFPage.fonts and PDFDocument._fontSize");
  need(doc.page.content && doc.page.dictionary?.data?.Contents === doc.page.content, "pdfkit's PDFPage.content, the page's Contents");
  need(doc._fontFamilies && typeof doc._fontFamilies === 'object', "pdfkit's PDFDocument._fontFamilies");
  need(Array.isArray(doc._root?.data?.Pages?.data?.Kids) && Array.isArray(doc.outline?.children), "pdfkit's PDFDocument._root (the page list) and outline.children");
  const proto = PDFDocument.prototype as unknown as Record<string, unknown>;
  need(typeof proto._addInfo === 'function' && typeof proto.appendXML === 'function', "pdfkit's PDFDocument._addInfo and appendXML (XMP metadata)");
  need(typeof proto.endAcroForm === 'function' && typeof proto.annotate === 'function', "pdfkit's PDFDocument.endAcroForm and annotate");
  const el = (doc as unknown as { struct(type: string): StructureElementInternals }).struct('P');
  need(typeof el._flushChild === 'function' && el.dictionary?.data?.S === 'P', "pdfkit's PDFStructureElement._flushChild and dictionary");
  installed = true;
}

/** A font file to probe fontkit's and pdfkit's internals with. */
const LATIN_PROBE = path.join(path.dirname(require.resolve('@embedpdf/fonts-latin')), '..', 'fonts', 'NotoSans-Regular.ttf');

// ---------------------------------------------------------------------------------------------
// Fonts: each font lettermerge parses is prepared once, through instance properties only.

/**
 * A glyph as it stands in one run: the font's shared glyph, with the characters it came from in
 * this run. Its id and advance are its own fields, and every run glyph has the same shape: made as
 * an object whose prototype was the shared glyph, each glyph of a font had a shape of its own, and
 * reading a Chinese letter's glyph ids (some 700 shapes) cost 250 ns a glyph, against 50 in a
 * Spanish letter. What else fontkit reads of a glyph (marks, boxes, outlines) comes from the shared one.
 */
class RunGlyph implements GlyphLike {
  readonly id: number;
  readonly advanceWidth: number;
  constructor(
    readonly glyph: GlyphLike,
    readonly codePoints: number[],
  ) {
    this.id = glyph.id;
    this.advanceWidth = glyph.advanceWidth;
  }
}
for (const key of ['isMark', 'isBase', 'isLigature', 'markAttachmentType', 'name', 'path', 'bbox', 'cbox', 'advanceHeight']) {
  Object.defineProperty(RunGlyph.prototype, key, {
    get(this: RunGlyph) {
      return (this.glyph as unknown as Record<string, unknown>)[key];
    },
  });
}

function inRun<G extends GlyphLike>(glyph: G, codePoints: number[]): G {
  return new RunGlyph(glyph instanceof RunGlyph ? glyph.glyph : glyph, codePoints) as unknown as G;
}

/**
 * A character the font decomposes into glyphs (Noto Sans shapes ị as i and a combining dot below)
 * comes out of fontkit with its text on the first glyph and none on the others. The first is also
 * the glyph of a plain i, and a PDF maps a glyph to one text, so ị would read as i. Such a
 * character is drawn with the font's own glyph for it, when it has one, in the room the cluster
 * took (its advance, kerning included): the same text, drawn where it was.
 */
function composeClusters(f: FontInternals, run: GlyphRunLike, characters: number[][]): void {
  let at = 0;
  for (let i = 0; i < characters.length; ) {
    // A cluster: a glyph with characters, and the glyphs without any that follow it.
    let j = i + 1;
    while (j < characters.length && characters[j].length === 0) j++;
    const one = j - i > 1 && characters[i].length === 1 ? f.glyphForCodePoint(characters[i][0]) : undefined;
    if (one && one.id !== 0) {
      const positions = run.positions.slice(i, j);
      run.glyphs[at] = one;
      run.positions[at] = { xAdvance: positions.reduce((sum, p) => sum + p.xAdvance, 0), yAdvance: positions.reduce((sum, p) => sum + p.yAdvance, 0), xOffset: 0, yOffset: 0 } as PositionLike;
      characters[at++] = characters[i];
    } else {
      for (let k = i; k < j; k++, at++) {
        run.glyphs[at] = run.glyphs[k];
        run.positions[at] = run.positions[k];
        characters[at] = characters[k];
      }
    }
    i = j;
  }
  run.glyphs.length = run.positions.length = characters.length = at;
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
    else composeClusters(f, run, characters);
    run.glyphs = run.glyphs.map((g, i) => inRun(g, characters[i] ?? g.codePoints));
    return result;
  };
}

/** A run shaped by HarfBuzz, as fontkit's GlyphRun gives it to pdfkit: its width is the sum of its advances as they stand (pdfkit scales them). */
class ShapedRun implements GlyphRunLike {
  constructor(
    public glyphs: GlyphLike[],
    public positions: PositionLike[],
    readonly direction: 'ltr' | 'rtl',
  ) {}

  get advanceWidth(): number {
    let w = 0;
    for (const p of this.positions) w += p.xAdvance;
    return w;
  }
}

/**
 * Characters fontkit's shaper and HarfBuzz's treat alike, in a font's default features. Left out:
 * - marks (HarfBuzz composes a base and its mark into one glyph where the font has it; fontkit
 *   draws both) and default-ignorable characters (fontkit draws them as a space of no width,
 *   with a space's text; HarfBuzz keeps their own);
 * - controls, and the fraction slash (HarfBuzz forms fractions around it where a font can);
 * - any character the font has no glyph for (HarfBuzz falls back to another: a space for the
 *   spaces U+2000–U+200A, a hyphen for U+2011).
 * And in right-to-left text, brackets and other mirrored characters: HarfBuzz draws their mirror
 * image's glyph, fontkit their own (the line breaker mirrors them: see lines.ts).
 */
const NOT_ALIKE = /[\p{M}\p{Default_Ignorable_Code_Point}\p{Cc}\p{Cs}\p{Co}\p{Cn}\u2044]/u;
const MIRRORED = /\p{Bidi_M}/u;

/** The characters of each font shaped alike by HarfBuzz and fontkit (see NOT_ALIKE), as found. */
const alikeByFont = new WeakMap<object, Map<number, boolean>>();
let harfBuzzShaping = true;

/** Whether runs are shaped by HarfBuzz where they can be (on); for tests that compare with fontkit's shaping. */
export function setHarfBuzzShaping(on: boolean): void {
  harfBuzzShaping = on;
}

/** Whether `font.layout(text)` is shaped by HarfBuzz rather than by fontkit. */
export function shapedByHarfBuzz(font: Font, text: string): boolean {
  const alike = alikeByFont.get(font);
  if (!harfBuzzShaping || !alike) return false;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    let ok = alike.get(cp);
    if (ok === undefined) {
      ok = !NOT_ALIKE.test(ch) && font.hasGlyphForCodePoint(cp);
      alike.set(cp, ok);
    }
    if (!ok) return false;
  }
  return !(MIRRORED.test(text) && fontkitReverses(text));
}

/**
 * Runs of text are shaped by HarfBuzz (shaping.ts) where it gives what fontkit's shaper gives
 * (see NOT_ALIKE), much faster; other runs, and runs with features, a script, a language or a
 * direction asked for, by fontkit. Either way each glyph carries the characters it came from in
 * the run, as trackRunCharacters gives them.
 */
function shapeWithHarfBuzz(f: FontInternals, bytes: Uint8Array): void {
  const font = f as unknown as Font;
  const fontkitLayout = font.layout.bind(font) as unknown as (text: string, ...rest: unknown[]) => GlyphRunLike;
  alikeByFont.set(font, new Map());
  (font as unknown as { layout(text: string, ...rest: unknown[]): GlyphRunLike }).layout = (text: string, ...rest: unknown[]) => {
    const features = rest[0];
    const plain = rest.length <= 1 && (features == null || (Array.isArray(features) ? features.length === 0 : Object.keys(features as object).length === 0));
    if (!plain || typeof text !== 'string' || !shapedByHarfBuzz(font, text)) return fontkitLayout(text, ...rest);
    const rtl = fontkitReverses(text);
    const shaped = shapeText(font, bytes, text, rtl);
    const run = new ShapedRun(
      shaped.ids.map((id) => font.getGlyph(id) as unknown as GlyphLike),
      shaped.positions as PositionLike[],
      rtl ? 'rtl' : 'ltr',
    );
    if (!rtl) composeClusters(f, run, shaped.characters);
    run.glyphs = run.glyphs.map((g, i) => inRun(g, shaped.characters[i]));
    return run;
  };
}

/** Whether fonts' CFF subsets are written without subroutines (on); for tests that compare both ways. */
let inlineSubroutines = true;
export function setSubroutineInlining(on: boolean): void {
  inlineSubroutines = on;
}

/**
 * A CFF subset whose character ids are the font's glyph ids, as a TrueType subset by HarfBuzz keeps
 * them (see ownGlyphIds): the subset's glyphs in increasing id order, and a charset (format 0)
 * that gives each its id as its CID, where fontkit numbers the CIDs 1, 2, 3… in the order glyphs
 * were first drawn. A letter then draws the same text with the same codes whatever other glyphs it
 * uses, so its pages' content, and the runs drawn, are the same as other letters'.
 */
function keepCffGlyphIds(subset: SubsetInternals): void {
  const encode = subset.encode;
  const fontdict = subset.subsetFontdict;
  const cidFontdict = subset.createCIDFontdict;
  if (!subset.cff || !fontdict || !cidFontdict) broken("fontkit's CFFSubset (subsetFontdict, createCIDFontdict)");
  const withGlyphIds = (self: SubsetInternals, topDict: Record<string, unknown>) => {
    topDict.charset = { version: 0, glyphs: self.glyphs.slice(1) };
    topDict.CIDCount = Math.max(...self.glyphs) + 1;
  };
  subset.encode = function (this: SubsetInternals) {
    // .notdef stays first (fontkit's subset starts with it): CID 0 is always .notdef.
    this.glyphs = [this.glyphs[0], ...this.glyphs.slice(1).sort((a, b) => a - b)];
    indexGlyphs(this);
    return encode.call(this);
  };
  subset.subsetFontdict = function (this: SubsetInternals, topDict) {
    withGlyphIds(this, topDict);
    return fontdict.call(this, topDict);
  };
  subset.createCIDFontdict = function (this: SubsetInternals, topDict) {
    withGlyphIds(this, topDict);
    return cidFontdict.call(this, topDict);
  };
}

/**
 * A subset's glyphs found by a Map from glyph id to place in its list. fontkit's includeGlyph keeps
 * them in an object (`mapping`) keyed by glyph id, which V8 holds as a dictionary for ids in the
 * thousands: a letter adds the few hundred glyphs of its static set (see splitFonts) to new
 * subsets, and that took 90 µs for 600 glyphs, against 35 µs with a Map. fontkit's encoders read
 * the list, never the object. Called again when the list is reordered.
 */
function indexGlyphs(subset: SubsetInternals): void {
  const index = new Map<number, number>();
  subset.glyphs.forEach((gid, i) => index.set(gid, i));
  subset.includeGlyph = function (this: SubsetInternals, glyph: number | { id: number }) {
    const id = typeof glyph === 'object' ? glyph.id : glyph;
    const at = index.get(id);
    if (at !== undefined) return at;
    this.glyphs.push(id);
    index.set(id, this.glyphs.length - 1);
    return this.glyphs.length - 1;
  };
}

/**
 * fontkit's CFF subsetter (used for Noto Sans SC) keeps every subroutine of the font: 22,293 for
 * one font dictionary of Noto Sans SC, written into every Chinese letter. And its general encoder
 * spent about 0.2 ms on each subset sizing DICTs and comparing entries with their defaults. The
 * subset is written by cff.ts instead: each glyph with its subroutines inlined, and no
 * subroutines; the same outlines, smaller and faster. (fontkit still writes a subset of a CFF
 * font that is not CID-keyed, which lettermerge's fonts do not include, and every subset when
 * setSubroutineInlining(false), for the tests that compare the two; with the glyph ids as CIDs.)
 */
function writeCffDirectly(subset: SubsetInternals): void {
  const fontkitEncode = subset.encode;
  subset.encode = function (this: SubsetInternals) {
    if (!inlineSubroutines || !(this.cff as CffSource).isCIDFont) return fontkitEncode.call(this);
    return writeCidCff(this.cff as CffSource, [this.glyphs[0], ...this.glyphs.slice(1).sort((a, b) => a - b)]);
  };
}

/**
 * Building a font subset (fontkit decodes and re-encodes each glyph) is a large share of a small
 * letter's cost, and letters that use the same glyphs in the same order get the same subset. The
 * bytes are kept per font and glyph list; pdfkit only reads them. A subset that keeps the font's
 * glyph ids is the same font whatever order its glyphs came in: it is found by a checksum of its
 * glyph set (glyphSetKey) and checked glyph by glyph, rather than by its ids sorted and joined
 * (some 500 for a Chinese letter's first font, every letter).
 */
const subsetBytes = new WeakMap<object, Recent<string, { ids?: Set<number>; bytes: Uint8Array }>>();
const SUBSETS_PER_FONT = 16;

/** A key for a set of glyph ids, the same whatever order they come in; two sets may share one. */
function glyphSetKey(ids: Iterable<number>, count: number): string {
  let sum = 0;
  let mix = 0;
  for (const id of ids) {
    sum += id;
    mix = (mix + Math.imul(id ^ (id >>> 7), 0x9e3779b1)) | 0;
  }
  return `${count}:${sum}:${mix}`;
}

function cacheSubsetBytes(subset: SubsetInternals): void {
  const encode = subset.encode;
  subset.encode = function (this: SubsetInternals) {
    let perFont = subsetBytes.get(this.font);
    if (!perFont) subsetBytes.set(this.font, (perFont = new Recent(SUBSETS_PER_FONT)));
    const mode = inlineSubroutines ? 'i' : 's';
    let kept: { ids?: Set<number>; bytes: Uint8Array };
    if (ownGlyphIds.has(this)) {
      const key = `${mode}:${glyphSetKey(this.glyphs, this.glyphs.length)}`;
      const found = perFont.get(key);
      // fontkit's subset holds each glyph once: the same count and every glyph in the set is the same set.
      if (found && found.ids!.size === this.glyphs.length && this.glyphs.every((g) => found.ids!.has(g))) kept = found;
      else perFont.set(key, (kept = { ids: new Set(this.glyphs), bytes: encode.call(this) }));
    } else {
      kept = perFont.getOrMake(`${mode}:${this.glyphs.join(',')}`, () => ({ bytes: encode.call(this) }));
    }
    keptBytes.add(kept.bytes);
    return kept.bytes;
  };
}

/**
 * Bytes handed out again and again, each deflated once (see deflateKept): the subsets of
 * cacheSubsetBytes, and the ToUnicode maps of glyphTables. (A map ends with the line break that a
 * stream's text written as a string gets.)
 */
const keptBytes = new WeakSet<Uint8Array>();

/**
 * Subsets whose font program keeps the font's own glyph ids: HarfBuzz's TrueType subsets, and CFF
 * subsets whose CIDs are the glyph ids (keepCffGlyphIds). A document draws their glyphs with codes
 * that are the glyph ids themselves (through CIDToGIDMap Identity, or the CFF's charset), so the
 * same text is the same content in every letter, whatever other glyphs a letter uses.
 */
const ownGlyphIds = new WeakSet<object>();

/**
 * Prepares a font lettermerge parsed: every run carries its glyphs' characters, its runs are
 * shaped by HarfBuzz where it shapes them as fontkit does (shapeWithHarfBuzz), and every subset
 * pdfkit makes of it reuses its bytes and keeps the font's glyph ids; a TrueType font's subsets
 * are made by HarfBuzz (given the font's file), a CFF font's inline their subroutines. Only this
 * font object changes.
 */
export function prepareFont(font: Font, bytes?: Uint8Array): void {
  installAdapter();
  const f = font as unknown as FontInternals;
  trackRunCharacters(f);
  const createSubset = f.createSubset.bind(f);
  const trueType = bytes !== undefined && isTrueType(bytes);
  if (bytes !== undefined) shapeWithHarfBuzz(f, bytes);
  f.createSubset = () => {
    const subset = createSubset();
    indexGlyphs(subset);
    if (subset.cff) {
      keepCffGlyphIds(subset);
      writeCffDirectly(subset);
      ownGlyphIds.add(subset);
    } else if (trueType) {
      subset.encode = function (this: SubsetInternals) {
        return trueTypeSubset(font, bytes, this.glyphs);
      };
      ownGlyphIds.add(subset);
    }
    cacheSubsetBytes(subset);
    return subset;
  };
}

/** Parses a font file into a prepared fontkit font; `unreadable` makes the error for bytes fontkit cannot parse. */
export function openFont(bytes: Buffer, unreadable?: (err: unknown) => Error): Font {
  let font: Font;
  try {
    font = fontkit.create(bytes) as Font;
    // fontkit reads tables when they are first used: a file cut short would fail a letter later.
    const tables = (font as unknown as { directory: { tables: Record<string, { offset: number; length: number }> } }).directory.tables;
    for (const [tag, t] of Object.entries(tables)) {
      if (t.offset + t.length > bytes.length) throw new Error(`the file is cut short: its ${tag.trim()} table ends past its end`);
    }
  } catch (err) {
    throw unreadable ? unreadable(err) : err;
  }
  prepareFont(font, bytes);
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

const widthCache = new WeakMap<Font, Recent<string, number>>();
/**
 * Chunk widths kept, for all fonts together (see RecentGroup). 20,000 for each font, as before,
 * were still filling up after 10,000 six-language letters; 6,000 shared are full after a few
 * hundred, and measure 1.3 chunks a letter again where the per-font ones measured 1.2.
 */
const widths = new RecentGroup(6_000);

/**
 * A soft hyphen at the end of a run is the hyphen of a hyphenated line end: drawn with the font's
 * own glyph for U+00AD (a visible hyphen, which fontkit's shaping would drop as invisible), and
 * mapped back to U+00AD, the character that shows as a hyphen only at a line break and is ignored
 * in searching: extracted text can join the word again, and a screen reader reads it whole.
 */
const SHY = '\u00ad';

/**
 * Width of `text` in font units, measured exactly as pdfkit measures what it draws: the text is
 * laid out in chunks that end after each space or tab (EmbeddedFont.layout), so kerning never
 * spans a space. Chunk widths are kept per font.
 */
export function advanceUnits(font: Font, text: string): number {
  if (text.endsWith(SHY)) return advanceUnits(font, text.slice(0, -1)) + font.glyphForCodePoint(0xad).advanceWidth;
  let chunks = widthCache.get(font);
  if (!chunks) widthCache.set(font, (chunks = widths.cache()));
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
 * letter (same glyphs, same bytes: see ownGlyphIds and splitFonts), and so do the content streams
 * of the parts of a page that do not change with the recipient (newContentStream): they are
 * deflated once. zlib is deterministic: the bytes are what pdfkit would have written.
 */
const deflated = new Recent<string, Buffer>(128);
/** Compressed streams by the kept bytes they were made from (font programs and ToUnicode maps handed out again as the same object: see keptBytes). */
const deflatedKept = new WeakMap<Uint8Array, Buffer>();
/** Content streams of a recipient's own items (see LetterDocument.newContentStream): deflated afresh, not kept. */
const recipientsStreams = new WeakSet<object>();
/** Streams shorter than this are deflated afresh: hashing them would cost about as much. */
const KEEP_DEFLATED_FROM = 512;

function deflateKept(plain: Buffer | Uint8Array): Buffer {
  let data = deflatedKept.get(plain);
  if (data) return data;
  if (plain.length < KEEP_DEFLATED_FROM) return deflateSync(plain);
  data = deflated.getOrMake(`${plain.length}:${createHash('sha1').update(plain).digest('base64')}`, () => deflateSync(plain));
  if (keptBytes.has(plain)) deflatedKept.set(plain, data);
  return data;
}

/**
 * An object of a lettermerge document written as pdfkit's PDFReference.finalize writes it (the
 * same bytes: see pdfValue), with two changes: a compressed stream of half a kilobyte or more is
 * deflated once for all the letters that have it (see deflated), and the object goes out in three writes
 * rather than five or more.
 */
function fastFinalize(ref: ReferenceInternals): void {
  ref.finalize = function (this: ReferenceInternals) {
    textToBytes(this);
    const doc = this.document;
    this.offset = doc._offset;
    const head = `${this.id} ${this.gen} obj\n`;
    if (this.buffer.length > 0) {
      let data = this.buffer.length === 1 ? this.buffer[0] : Buffer.concat(this.buffer);
      if (this.compress) {
        const plain = data;
        data = recipientsStreams.has(this) ? deflateSync(plain) : deflateKept(plain);
      }
      this.data.Length = data.length;
      doc._write(`${head}${pdfValue(this.data)}\nstream`);
      doc._write(data);
      this.buffer = [];
      doc._write('\nendstream\nendobj');
    } else {
      doc._write(`${head}${pdfValue(this.data)}\nendobj`);
    }
    doc._refEnd(this);
  };
}

/** pdfkit's classes that its PDFObject.convert tells apart, found on the probe document (installAdapter). */
const pdfClasses: { reference?: Function; tree?: Function; spotColor?: Function } = {};

const ESCAPABLE = /[\n\r\t\b\f()\\]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\\': '\\\\', '(': '\\(', ')': '\\)' };
const pad = (n: number, length: number) => String(n).padStart(length, '0').slice(-length);

/**
 * A value as pdfkit's PDFObject.convert writes it (documents without encryption), character for
 * character: the checks in the same order, a text string as UTF-16BE with a byte order mark when
 * it has a character past ASCII, numbers rounded to six decimals. Written without pdfkit's
 * per-string byte arrays and array joins, which made converting the objects nearly a tenth of a
 * letter's time.
 */
function pdfValue(value: unknown): string {
  if (typeof value === 'string') return `/${value}`;
  if (value instanceof String) {
    const text = value.valueOf();
    let binary = text;
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0x7f) {
        binary = '\xfe\xff';
        for (let k = 0; k < text.length; k++) {
          const code = text.charCodeAt(k);
          binary += String.fromCharCode(code >> 8, code & 0xff);
        }
        break;
      }
    }
    return `(${binary.replace(ESCAPABLE, (c) => ESCAPES[c])})`;
  }
  if (value instanceof Uint8Array) return `<${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}>`;
  if (value instanceof pdfClasses.tree!) return (value as { toString(encrypt: null): string }).toString(null);
  if (value instanceof pdfClasses.reference! || value instanceof pdfClasses.spotColor!) return String(value);
  if (value instanceof Date) {
    return `(D:${pad(value.getUTCFullYear(), 4)}${pad(value.getUTCMonth() + 1, 2)}${pad(value.getUTCDate(), 2)}${pad(value.getUTCHours(), 2)}${pad(value.getUTCMinutes(), 2)}${pad(value.getUTCSeconds(), 2)}Z)`;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ' ' : ''}${pdfValue(value[i] === undefined ? null : value[i])}`;
    return `${out}]`;
  }
  if (Object.prototype.toString.call(value) === '[object Object]') {
    let out = '<<';
    const dict = value as Record<string, unknown>;
    for (const key in dict) {
      const v = dict[key];
      if (v !== undefined) out += `\n/${key} ${pdfValue(v)}`;
    }
    return `${out}\n>>`;
  }
  if (typeof value === 'number') {
    if (value > -1e21 && value < 1e21) return String(Math.round(value * 1e6) / 1e6);
    throw new Error(`unsupported number: ${value}`);
  }
  return `${value}`;
}

/**
 * A stream's writes, as pdfkit's PDFReference.write makes them (text gets a line end and becomes
 * bytes, the length grows, a compressed stream says so), with the text kept as a string until the
 * stream ends and then turned into bytes by Node at once: a page's content is written an operator
 * at a time, and pdfkit converts each write, character by character, into a buffer of its own.
 * Latin-1 keeps each character's low byte, as pdfkit's conversion does.
 */
function latin1Writes(ref: ReferenceInternals & { text?: string }): void {
  ref.write = function (this: ReferenceInternals & { text?: string }, chunk: string | Uint8Array) {
    let length: number;
    if (typeof chunk === 'string') {
      this.text = (this.text ?? '') + chunk + '\n';
      length = chunk.length + 1;
    } else {
      textToBytes(this);
      this.buffer.push(chunk);
      length = chunk.length;
    }
    this.uncompressedLength += length;
    if (this.data.Length == null) this.data.Length = 0;
    (this.data.Length as number) += length;
    if (this.compress) this.data.Filter = 'FlateDecode';
  };
}

/** The text written to a stream so far, as bytes in its buffer. */
function textToBytes(ref: ReferenceInternals & { text?: string }): void {
  if (!ref.text) return;
  ref.buffer.push(Buffer.from(ref.text, 'latin1'));
  ref.text = '';
}

/**
 * pdfkit keeps, per document and font, a cache from each word to its shaped glyphs; shaping is most
 * of the cost of a letter. Letters repeat words, so the cache is kept per font for the process, in
 * a Recent of bounded size (a batch of varied letters brings new words with every letter).
 * Safe because pdfkit reads the cached runs and never changes them after making them.
 */
const layoutCaches = new WeakMap<object, Recent<string, { glyphs: GlyphLike[]; positions: PositionLike[] }>>();
/**
 * Shaped words kept, for all fonts together (see RecentGroup): a campaign's own words, and the
 * recipients' of the last few dozen letters. Each is about 1.2 KB of glyphs and positions; 4,000 a
 * generation held 10 MB in each thread for a long six-language batch, and twice that in heap the
 * collector let grow around it, while a word shaped again takes HarfBuzz a few microseconds.
 * 1,000 for each font made 6,000 six-language and 2,000 Chinese letters no slower (measured
 * alternating; 9% of words shaped again, against 4%), but the caches of the fonts a letter uses
 * for a few words went on filling for 10,000 letters and more: a thread's heap held 91 MB after
 * 1,000 six-language letters and 98 MB after 10,000. 2,000 shared stay at 2,200–2,800 words from
 * the first thousand letters on (89–91 MB held), and shape fewer words again: 3.1 of 38 a letter
 * against 4.1, the busy fonts having the room the others left.
 */
const shapedWords = new RecentGroup(2000);

/** What a document needs of a font: its key, and the parsed font. */
/** A bookmark of the outline, to put others under. */
export type Bookmark = { readonly __bookmark: unique symbol };

export interface FaceLike {
  key: string;
  font: Font;
}

export interface LetterDocumentOptions {
  /**
   * Use lettermerge's reuse across documents (shared layout cache, cached streams, glyphs drawn
   * by glyph id, cached subsets). Off, the document is what plain pdfkit makes from the same
   * drawing calls, with fonts read from their files: the reference in the adapter's tests.
   */
  reuse: boolean;
  /** The file of each face, for plain documents (pdfkit reads it, as its documentation shows). */
  fileOf?: (face: FaceLike) => string;
  /**
   * Hand the output to the stream as it is written (a proof of thousands of letters), rather than
   * in one piece at the end (a letter).
   */
  streaming?: boolean;
}

/** Text as XML character data: a subject with "&" or "<" keeps the metadata well-formed. */
export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** An XMP date: the instant in UTC, as pdfkit writes the document information's dates. */
function xmpDate(d: Date): string {
  return `${d.toISOString().split('.')[0]}Z`;
}

interface InfoLike {
  Title?: string;
  Author?: string;
  Subject?: string;
  Keywords?: string;
  Creator?: string;
  Producer?: string;
  CreationDate: Date;
  ModDate?: Date;
}

/**
 * The XMP of the document information, as PDF/A requires it: every entry of the Info dictionary
 * has its XMP counterpart with the same value (ModDate included), and every value is escaped.
 */
function infoXmp(info: InfoLike): string {
  const e = (v: string | undefined) => xmlEscape(v ?? '');
  const parts = [
    `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">`,
    `<xmp:CreateDate>${xmpDate(info.CreationDate)}</xmp:CreateDate>`,
    info.ModDate ? `<xmp:ModifyDate>${xmpDate(info.ModDate)}</xmp:ModifyDate>` : '',
    info.Creator ? `<xmp:CreatorTool>${e(info.Creator)}</xmp:CreatorTool>` : '',
    `</rdf:Description>`,
  ];
  if (info.Title || info.Author || info.Subject) {
    parts.push(`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">`);
    if (info.Title) parts.push(`<dc:title><rdf:Alt><rdf:li xml:lang="x-default">${e(info.Title)}</rdf:li></rdf:Alt></dc:title>`);
    if (info.Author) parts.push(`<dc:creator><rdf:Seq><rdf:li>${e(info.Author)}</rdf:li></rdf:Seq></dc:creator>`);
    if (info.Subject) parts.push(`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${e(info.Subject)}</rdf:li></rdf:Alt></dc:description>`);
    parts.push(`</rdf:Description>`);
  }
  parts.push(`<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">`);
  if (info.Producer) parts.push(`<pdf:Producer>${e(info.Producer)}</pdf:Producer>`);
  if (info.Keywords) parts.push(`<pdf:Keywords>${e(info.Keywords)}</pdf:Keywords>`);
  parts.push(`</rdf:Description>`);
  return parts.filter(Boolean).join('\n');
}

/**
 * The PDF/UA identification, and its description as a PDF/A extension schema: pdfuaid is not one
 * of the schemas PDF/A predefines, so a PDF/A file must describe it.
 */
const PDFUA_XMP = `<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Indicates which part of ISO 14289 the document conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description>`;

/** A number as pdfkit writes it into a content stream: at most six decimals. */
function num(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/** Characters that a literal string writes escaped: its delimiters, the escape, and line ends (which a reader would turn into LF). */
const ESCAPED: Record<number, string> = { 0x28: '\\(', 0x29: '\\)', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r' };

/** Each two-byte code (four hex digits) as it stands in a literal string, made once. */
const codeBytes = new Map<string, string>();

/**
 * Codes given in hex (two bytes each), written as a literal string: the bytes themselves, half
 * as long as the hex string pdfkit writes, so the page content is smaller to write and deflate.
 */
function codeString(hex: string): string {
  let out = '(';
  for (let k = 0; k < hex.length; k += 4) {
    const code = hex.slice(k, k + 4);
    let bytes = codeBytes.get(code);
    if (bytes === undefined) {
      const hi = parseInt(code.slice(0, 2), 16);
      const lo = parseInt(code.slice(2), 16);
      codeBytes.set(code, (bytes = (ESCAPED[hi] ?? String.fromCharCode(hi)) + (ESCAPED[lo] ?? String.fromCharCode(lo))));
    }
    out += bytes;
  }
  return `${out})`;
}

/**
 * The text matrix of a run at (x, y), y up from the bottom of the page, as pdfkit's text() writes
 * it inside its text object's y-up transformation (see LetterDocument.textAt). (A matrix that flips
 * y itself, without the transformation, draws the same pixels, but poppler's pdftotext then orders
 * the two columns of an Arabic letter's blocks differently.)
 */
function textMatrix(x: number, y: number): string {
  return `1 0 0 1 ${num(x)} ${num(y)} Tm`;
}

/**
 * The TJ operators of a glyph run, as pdfkit's text() writes them: glyphs in strings, a kerning
 * adjustment after a glyph whose advance differs from its width, and a glyph with an offset (a
 * mark) placed by a text matrix of its own.
 */
function tjOperators(encoded: string[], positions: PositionLike[], x0: number, y: number, scale: number): string[] {
  const ops: string[] = [];
  const commands: string[] = [];
  let last = 0;
  let hadOffset = false;
  let x = x0;
  const addSegment = (cur: number) => {
    if (last < cur) {
      const advance = positions[cur - 1].xAdvance - positions[cur - 1].advanceWidth;
      let codes = '';
      for (let k = last; k < cur; k++) codes += encoded[k];
      commands.push(`${codeString(codes)} ${num(-advance)}`);
    }
    last = cur;
  };
  const flush = (i: number) => {
    addSegment(i);
    if (commands.length > 0) {
      ops.push(`[${commands.join(' ')}] TJ`);
      commands.length = 0;
    }
  };
  let i = 0;
  for (; i < positions.length; i++) {
    const pos = positions[i];
    if (pos.xOffset || pos.yOffset) {
      flush(i);
      ops.push(textMatrix(x + pos.xOffset * scale, y + pos.yOffset * scale));
      flush(i + 1);
      hadOffset = true;
    } else {
      if (hadOffset) {
        ops.push(textMatrix(x, y));
        hadOffset = false;
      }
      if (pos.xAdvance - pos.advanceWidth !== 0) addSegment(i + 1);
    }
    x += pos.xAdvance * scale;
  }
  flush(i);
  return ops;
}

/**
 * The placeholder @signpdf/signpdf looks for and fills: its byte range marker, the CAdES
 * sub-filter, and room for the CMS (DER, written as hex).
 */
export function signatureFormat(): { subFilter: string; byteRange: string; length: number } {
  // Loaded only to sign: letters made without --sign never load the signing libraries.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const utils = require('@signpdf/utils') as typeof SignpdfUtils;
  return { subFilter: utils.SUBFILTER_ETSI_CADES_DETACHED, byteRange: utils.DEFAULT_BYTE_RANGE_PLACEHOLDER, length: utils.DEFAULT_SIGNATURE_LENGTH };
}

/**
 * The TJ operators of a right-to-left run with its glyphs in reading order. fontkit gives the
 * glyphs in visual order (right to left reversed); they are written here in reverse, each moved
 * to its place with a TJ adjustment, and a mark raised with Ts within the same text object. The
 * page looks the same; a reader that follows the content (a screen reader, pdfinfo -struct-text)
 * gets the characters in the order they are read.
 */
function logicalTjOperators(encoded: string[], positions: PositionLike[], scale: number, carriers: (string | undefined)[]): string[] {
  const places: number[] = [];
  let pen = 0;
  for (const p of positions) {
    places.push(pen + p.xOffset);
    pen += p.xAdvance;
  }
  const ops: string[] = [];
  let commands: string[] = [];
  let cur = 0;
  const flush = () => {
    if (commands.length) ops.push(`[${commands.join(' ')}] TJ`);
    commands = [];
  };
  const show = (code: string, at: number, width: number) => {
    const shift = at - cur;
    commands.push(`${shift !== 0 ? `${num(-shift)} ` : ''}${codeString(code)}`);
    cur = at + width;
  };
  for (let i = positions.length - 1; i >= 0; i--) {
    // A ligature's first character, carried by an empty glyph just inside its right edge (see ligatureCarrier).
    const carrier = carriers[i];
    if (carrier) show(carrier, places[i] + positions[i].advanceWidth - 1, 0);
    if (positions[i].yOffset) {
      flush();
      ops.push(`${num(positions[i].yOffset * scale)} Ts`);
      show(encoded[i], places[i], positions[i].advanceWidth);
      flush();
      ops.push('0 Ts');
    } else {
      show(encoded[i], places[i], positions[i].advanceWidth);
    }
  }
  flush();
  return ops;
}

/**
 * A run's glyphs and positions, word by word from the font's cache of shaped words: what pdfkit's
 * own EmbeddedFont.layout gives, without its copying of every glyph so far for each word (which
 * makes a line's layout quadratic in its words).
 */
function runLayout(font: EmbeddedFontInternals, text: string, rightToLeft = false): { glyphs: GlyphLike[]; positions: PositionLike[] } {
  if (rightToLeft) return rightToLeftLayout(font, text);
  if (text.endsWith(SHY)) {
    const run = runLayout(font, text.slice(0, -1));
    const hyphen = font.font.glyphForCodePoint(0xad);
    const advance = hyphen.advanceWidth * font.scale;
    return { glyphs: [...run.glyphs, hyphen], positions: [...run.positions, { xAdvance: advance, yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: advance }] };
  }
  const glyphs: GlyphLike[] = [];
  const positions: PositionLike[] = [];
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    // As pdfkit cuts: after each space or tab (kept with its word), and at the end.
    if (i === text.length ? last < i : text[i] === ' ' || text[i] === '\t') {
      const run = font.layoutCached(text.slice(last, i + 1));
      for (let k = 0; k < run.glyphs.length; k++) {
        glyphs.push(run.glyphs[k]);
        positions.push(run.positions[k]);
      }
      last = i + 1;
    }
  }
  return { glyphs, positions };
}

/**
 * A right-to-left run of several words (fontkitReverses; one bidi level, see visualSegments):
 * each word shaped on its own with its space, as runLayout does, and the words set right to left,
 * the first word read at the right; glyphs in visual order, as fontkit gives a single word. A
 * word of punctuation only ("، ") fontkit lays out left to right: it is turned round here, so
 * that its space falls to its left, as in the rest of the run.
 */
function rightToLeftLayout(font: EmbeddedFontInternals, text: string): { glyphs: GlyphLike[]; positions: PositionLike[] } {
  const words = text.split(/(?<= )/);
  if (words.length === 1) return runLayout(font, text);
  const glyphs: GlyphLike[] = [];
  const positions: PositionLike[] = [];
  for (let w = words.length - 1; w >= 0; w--) {
    const run = font.layoutCached(words[w]);
    const reversed = !fontkitReverses(words[w]);
    for (let i = 0; i < run.glyphs.length; i++) {
      const k = reversed ? run.glyphs.length - 1 - i : i;
      glyphs.push(run.glyphs[k]);
      positions.push(run.positions[k]);
    }
  }
  return { glyphs, positions };
}

/** A justified run's positions: each space glyph wider by `wordSpacing` (points, at `size`). */
function widenSpaces(glyphs: GlyphLike[], positions: PositionLike[], wordSpacing: number | undefined, size: number): PositionLike[] {
  if (!wordSpacing) return positions;
  const extra = (wordSpacing * 1000) / size;
  return positions.map((p, i) => (glyphs[i].codePoints.length === 1 && glyphs[i].codePoints[0] === 0x20 ? { ...p, xAdvance: p.xAdvance + extra } : p));
}

/** Each subset glyph's code in hex, by its index in the subset, per embedded font. */
const hexCodes = new WeakMap<EmbeddedFontInternals, string[]>();

/** The codes of glyphs in the font's subset, recording each new glyph's width and text, as pdfkit's encode() does. */
function encodeGlyphs(font: EmbeddedFontInternals, glyphs: GlyphLike[]): string[] {
  let hex = hexCodes.get(font);
  if (!hex) hexCodes.set(font, (hex = []));
  const codes: string[] = [];
  for (const glyph of glyphs) {
    const gid = font.subset.includeGlyph(glyph.id);
    codes.push((hex[gid] ??= `0000${gid.toString(16)}`.slice(-4)));
    if (font.widths[gid] == null) font.widths[gid] = glyph.advanceWidth * font.scale;
    if (font.unicode[gid] == null) font.unicode[gid] = glyph.codePoints;
  }
  return codes;
}

/** What a document records of a font it draws by glyph id: each glyph's width and text, by glyph id. */
interface GlyphIdFont {
  widths: Map<number, number>;
  unicode: Map<number, number[]>;
  /** This font's number in `recorded` (see glyphIdFont). */
  stamp: number;
  /** By glyph id, the stamp of a document font known to have that glyph's text (see recordGlyphs). */
  recorded: Uint32Array;
  /** The glyphs of the static sets this font holds (see splitFonts), each with its text in the campaign's text. */
  statics?: GlyphLike[][];
}

/** Per parsed font, the array of stamps its document fonts share (see recordGlyphs), and the last stamp given. */
const recordedByFont = new WeakMap<object, { stamps: Uint32Array; last: number }>();

/** A document's record of a font drawn by glyph id, empty. */
function glyphIdFont(font: Font): GlyphIdFont {
  let r = recordedByFont.get(font);
  if (!r) recordedByFont.set(font, (r = { stamps: new Uint32Array(font.numGlyphs), last: 0 }));
  if (r.last === 0xffffffff) {
    // A stamp is not given twice while the array may hold it.
    r.last = 0;
    r.stamps.fill(0);
  }
  return { widths: new Map(), unicode: new Map(), stamp: ++r.last, recorded: r.stamps };
}

/**
 * The glyphs of a face's shared text (LetterDocument.splitFonts), by that text: the same in every
 * letter of a campaign's language and group, and shaped once.
 */
const staticSets = new WeakMap<object, Recent<string, { ids: Set<number>; glyphs: GlyphLike[]; widths: [number, number][] }>>();
const STATIC_SETS_PER_FONT = 32;

/** A glyph id as the four hex digits of a two-byte code. */
const gidHex: string[] = [];
function hex4(gid: number): string {
  return (gidHex[gid] ??= `0000${gid.toString(16)}`.slice(-4));
}

/** The codes of glyphs of a font drawn by glyph id: the ids themselves. Each glyph joins the subset, with its width and text. */
function encodeByGlyphId(font: EmbeddedFontInternals, own: GlyphIdFont, glyphs: GlyphLike[]): string[] {
  recordGlyphs(font, own, glyphs);
  return glyphs.map((g) => hex4(g.id));
}

/** A glyph run of a font drawn by glyph id, as drawn: the glyphs, and the text operators after the font is set. */
interface DrawnRun {
  face: string;
  size: number;
  wordSpacing: number;
  logicalOrder: boolean;
  glyphs: GlyphLike[];
  body: string;
  /**
   * A right-to-left run's ligatures (lam-alef), each with the code of the empty glyph that carried
   * its first character when the run was drawn (see ligatureCarrier), in the order first drawn.
   * The carriers are given out per document: the run is drawn again as kept only where this
   * document gives each ligature the same carrier.
   */
  ligatures?: { glyph: GlyphLike; carrier: string | undefined }[];
  /**
   * Whether every glyph is in a static set, for the last few sets it was checked against (the
   * sets are kept and handed out again, so a run of the campaign's text is checked once, not
   * every letter). A body paragraph is drawn in the letters of every group, each with its own set.
   */
  statics?: { set: Set<number>; all: boolean }[];
}

/**
 * Static sets a kept run remembers its answer for: one per group of a language, and more. With
 * one, the letters of a varied list (groups in turn) checked 48 to 67 runs a letter again.
 */
const STATIC_ANSWERS_KEPT = 8;

/** Whether every glyph of a run is in a static set; a kept run remembers the answer for the last sets it was asked about. */
function allStatic(glyphs: GlyphLike[], statics: Set<number>, kept: DrawnRun | undefined): boolean {
  const answers = kept?.statics;
  if (answers) for (const a of answers) if (a.set === statics) return a.all;
  let all = true;
  for (const g of glyphs) {
    if (!statics.has(g.id)) {
      all = false;
      break;
    }
  }
  if (kept) {
    if (!answers) kept.statics = [{ set: statics, all }];
    else {
      if (answers.length === STATIC_ANSWERS_KEPT) answers.shift();
      answers.push({ set: statics, all });
    }
  }
  return all;
}

/**
 * Texts whose drawn runs are kept, a generation: as many as WORDS_KEPT. 8% of the runs of a long
 * six-language batch were drawn again, against 6.5% with 4,000, which held 4 MB more a thread.
 */
const DRAWN_RUNS_KEPT = 1000;
/**
 * Drawn runs by their text, then by face, size, word spacing and order. Keyed by the text alone:
 * a run's text is mostly a string the layout cache hands out again, whose hash V8 keeps, where a
 * key joining text and style was a new string to hash for every run drawn (0.35 ms of an Arabic
 * letter, whose lines are drawn word by word).
 */
const drawnRuns = new Recent<string, DrawnRun[]>(DRAWN_RUNS_KEPT);
/** Styles kept per text: a text is drawn in a few faces and sizes at most. */
const STYLES_PER_TEXT = 8;

function keptRun(text: string, face: string, size: number, wordSpacing: number, logicalOrder: boolean): DrawnRun | undefined {
  const runs = drawnRuns.get(text);
  if (runs) for (const r of runs) if (r.face === face && r.size === size && r.wordSpacing === wordSpacing && r.logicalOrder === logicalOrder) return r;
  return undefined;
}

function keepRun(text: string, run: DrawnRun): void {
  const runs = drawnRuns.get(text);
  if (!runs) drawnRuns.set(text, [run]);
  else if (runs.length < STYLES_PER_TEXT) runs.push(run);
}

/** What drawing a kept run records in the document: its glyphs join the subset, with their widths and text. */
function recordGlyphs(font: EmbeddedFontInternals, own: GlyphIdFont, glyphs: GlyphLike[]): void {
  // Most glyphs of a letter are drawn again and again; whether this document has a glyph's text is
  // first asked of an array by glyph id (a Map's lookup was most of the time of this loop). The
  // array is shared by every document that draws the font, in any order: a stamp that is not this
  // document's says nothing, and the Map answers.
  const { recorded, stamp } = own;
  for (const glyph of glyphs) {
    const id = glyph.id;
    if (recorded[id] === stamp) continue;
    if (own.unicode.has(id)) {
      recorded[id] = stamp;
      continue;
    }
    // A glyph of the static set is in the subset already (LetterDocument.splitFonts).
    if (!own.widths.has(id)) {
      font.subset.includeGlyph(id);
      own.widths.set(id, glyph.advanceWidth * font.scale);
    }
    own.unicode.set(id, glyph.codePoints);
    recorded[id] = stamp;
  }
}

/**
 * The options of a glyph run. `actualText`: the run's glyphs are not in the order of its
 * characters (Devanagari's vowel sign ि is drawn before its consonant), so it is marked content
 * whose ActualText is the run's text, for extractors and screen readers. The marked content is
 * inside the text object, under the transformation its glyphs are drawn with: opened before it,
 * poppler placed the text where the page's other transformation put it (at the foot of the page).
 */
export interface GlyphRunOptions {
  wordSpacing?: number;
  charSpacing?: number;
  logicalOrder?: boolean;
  actualText?: boolean;
}

/** The operator that opens a run's ActualText (see GlyphRunOptions), its text as UTF-16 with a byte order mark. */
function actualTextOpen(text: string): string {
  const codePoints: number[] = [];
  for (const c of text) codePoints.push(c.codePointAt(0)!);
  return `\n/Span <</ActualText <feff${utf16Hex(codePoints)}>>> BDC`;
}

/** A hex string of UTF-16 code units, for a ToUnicode map. */
function utf16Hex(codePoints: number[]): string {
  let out = '';
  for (const cp of codePoints) {
    if (cp > 0xffff) {
      const v = cp - 0x10000;
      out += hex4(0xd800 | ((v >>> 10) & 0x3ff)) + hex4(0xdc00 | (v & 0x3ff));
    } else out += hex4(cp);
  }
  return out;
}

/** What a font's embedding takes from the glyphs a document drew with it (see glyphTables). */
interface GlyphTables {
  /** The glyph ids, in order, with each one's width and text: what the tables were made from. */
  ids: number[];
  widths: number[];
  unicode: (number[] | undefined)[];
  /** The font's name with its subset tag, its W array, and its ToUnicode map. */
  name: string;
  W: unknown[];
  toUnicode: Buffer;
}

/** Tables kept per font: a face's first font holds the same glyphs in every letter of a campaign's language and group. */
const glyphTablesKept = new WeakMap<object, Recent<string, GlyphTables>>();
const GLYPH_TABLES_PER_FONT = 16;

function sameCodePoints(a: number[] | undefined, b: number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The subset's name (its tag of six capital letters from the font and the glyphs, so that two
 * subsets of a font in one document have different names, as PDF readers expect), its widths (W,
 * in runs of consecutive ids; a glyph as wide as the default width, 1000, needs no entry) and its
 * ToUnicode map (bfchar), from the glyphs drawn. A face's first font has the same glyphs, widths
 * and texts in every letter of a language and group (see splitFonts), so the tables are kept per
 * font, found again by a checksum of the glyph ids and checked glyph by glyph; the map is the same
 * bytes object each time, and is compressed once (see deflateKept).
 */
export function glyphTables(f: FontTables, own: Pick<GlyphIdFont, 'widths' | 'unicode'>): GlyphTables {
  let perFont = glyphTablesKept.get(f);
  if (!perFont) glyphTablesKept.set(f, (perFont = new Recent(GLYPH_TABLES_PER_FONT)));
  const key = glyphSetKey(own.widths.keys(), own.widths.size);
  const kept = perFont.get(key);
  if (kept && kept.ids.every((id, i) => own.widths.get(id) === kept.widths[i] && sameCodePoints(own.unicode.get(id), kept.unicode[i]))) return kept;
  const ids = [...own.widths.keys()].sort((a, b) => a - b);
  const postscript = f.postscriptName?.replaceAll(' ', '_');
  const digest = createHash('sha1').update(`${postscript}:${ids.join(',')}`).digest();
  const tag = String.fromCharCode(...[0, 1, 2, 3, 4, 5].map((i) => 65 + (digest[i] % 26)));
  const wide = ids.filter((id) => own.widths.get(id) !== 1000);
  const W: unknown[] = [];
  for (let i = 0; i < wide.length; ) {
    let j = i + 1;
    while (j < wide.length && wide[j] === wide[j - 1] + 1) j++;
    W.push(wide[i], wide.slice(i, j).map((id) => own.widths.get(id)));
    i = j;
  }
  const mapped = ids.filter((id) => (own.unicode.get(id) ?? []).length > 0);
  const blocks: string[] = [];
  for (let i = 0; i < mapped.length; i += 100) {
    const part = mapped.slice(i, i + 100);
    blocks.push(`${part.length} beginbfchar\n${part.map((id) => `<${hex4(id)}> <${utf16Hex(own.unicode.get(id)!)}>`).join('\n')}\nendbfchar`);
  }
  const toUnicode = Buffer.from(
    `/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo <<\n  /Registry (Adobe)\n  /Ordering (UCS)\n  /Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000><ffff>\nendcodespacerange\n${blocks.join('\n')}\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n`,
    'latin1',
  );
  keptBytes.add(toUnicode);
  const tables: GlyphTables = {
    ids,
    widths: ids.map((id) => own.widths.get(id)!),
    unicode: ids.map((id) => own.unicode.get(id)),
    name: `${tag}+${postscript}`,
    W,
    toUnicode,
  };
  perFont.set(key, tables);
  return tables;
}

/**
 * Maps the glyphs of a font's static sets that the letter did not draw to their text in the
 * campaign's text. A face's first font holds its static glyphs whether drawn or not (splitFonts);
 * a letter draws the few of the recipients' common characters its names use, so its ToUnicode map
 * differed from letter to letter and was made and compressed again for nearly every one (576 of
 * 602 fonts in 300 Spanish letters). With every static glyph mapped, it is the same map in every
 * letter of a language and group. A glyph drawn keeps the text it was first drawn with.
 */
function mapUndrawn(own: GlyphIdFont): void {
  if (!own.statics) return;
  const { recorded, stamp, unicode } = own;
  for (const glyphs of own.statics) {
    for (const g of glyphs) {
      if (recorded[g.id] === stamp || unicode.has(g.id)) continue;
      unicode.set(g.id, g.codePoints);
    }
  }
}

/** CFF font programs shorter than this are not compressed (see embedByGlyphId). */
const DEFLATED_CFF_FROM = 16384;

/**
 * Embeds a font drawn by glyph id, as pdfkit's EmbeddedFont.embed() does (the same font
 * descriptor, Type0 font and CIDFontType2, or CIDFontType0 with a CFF program in FontFile3), with
 * the glyph ids as character ids (CIDToGIDMap Identity, or the CFF's own charset), widths only for
 * the glyphs drawn and not 1000 wide (W in runs of consecutive ids; DW is 1000), and a ToUnicode
 * map of the glyphs drawn (bfchar).
 */
function embedByGlyphId(doc: DocumentInternals, font: EmbeddedFontInternals, own: GlyphIdFont): unknown {
  const f = font.font as unknown as FontTables;
  const cff = font.subset.cff !== undefined;
  const fontFile = doc.ref(cff ? { Subtype: 'CIDFontType0C' } : {});
  const program = font.subset.encode();
  // A small CFF program (a Chinese letter's own glyphs, in its second font) is written as it is:
  // its charstrings deflate by only 6 to 8%, and deflating them took 5% of the letter's time.
  if (cff && program.length < DEFLATED_CFF_FROM) fontFile.compress = false;
  fontFile.end(program);
  const familyClass = ((f['OS/2']?.sFamilyClass ?? 0) as number) >> 8;
  let flags = 1 << 2;
  if (f.post.isFixedPitch) flags |= 1 << 0;
  if (1 <= familyClass && familyClass <= 7) flags |= 1 << 1;
  if (familyClass === 10) flags |= 1 << 3;
  if (f.head.macStyle.italic) flags |= 1 << 6;
  mapUndrawn(own);
  const { name, W, toUnicode } = glyphTables(f, own);
  const { bbox } = f;
  const descriptor = doc.ref({
    Type: 'FontDescriptor',
    FontName: name,
    Flags: flags,
    FontBBox: [bbox.minX * font.scale, bbox.minY * font.scale, bbox.maxX * font.scale, bbox.maxY * font.scale],
    ItalicAngle: f.italicAngle,
    Ascent: font.ascender,
    Descent: font.descender,
    CapHeight: (f.capHeight || f.ascent) * font.scale,
    XHeight: (f.xHeight || 0) * font.scale,
    StemV: 0,
    ...(cff ? { FontFile3: fontFile } : { FontFile2: fontFile }),
  });
  descriptor.end();
  const descendant = doc.ref({
    Type: 'Font',
    Subtype: cff ? 'CIDFontType0' : 'CIDFontType2',
    BaseFont: name,
    CIDSystemInfo: { Registry: new String('Adobe'), Ordering: new String('Identity'), Supplement: 0 },
    FontDescriptor: descriptor,
    W,
    ...(cff ? {} : { CIDToGIDMap: 'Identity' }),
  });
  descendant.end();
  const cmap = doc.ref();
  cmap.end(toUnicode);
  font.dictionary.data = { Type: 'Font', Subtype: 'Type0', BaseFont: name, Encoding: 'Identity-H', DescendantFonts: [descendant], ToUnicode: cmap };
  return font.dictionary.end();
}

/** Glyphs with no advance and no outline, that a font can spare as carriers of a character. */
const emptyGlyphs = new WeakMap<object, number[]>();

function spareEmptyGlyphs(font: Font): number[] {
  let ids = emptyGlyphs.get(font);
  if (!ids) {
    ids = [0x200b, 0xfeff]
      .filter((cp) => font.hasGlyphForCodePoint(cp))
      .map((cp) => font.glyphForCodePoint(cp))
      .filter((g) => g.id > 0 && g.advanceWidth === 0 && g.path.commands.length === 0)
      .map((g) => g.id);
    emptyGlyphs.set(font, ids);
  }
  return ids;
}

/** The rg operator of each text colour drawn (a CSS colour as pdfkit reads it), made once. */
const rgOperators = new Recent<string, string>(64);

const PDF_ADD_CONTENT = (PDFDocument.prototype as unknown as { addContent(this: unknown, data: string): unknown }).addContent;
/** Operators that open or close marked content, and leave the graphics and text state as it was. */
const MARKED_CONTENT = /^(?:\/\w+ (?:<<[^]*>> )?BDC|\/\w+ BMC|EMC)$/;

/** A pdfkit document of lettermerge's; the adapter's changes apply to its objects only. */
export class LetterDocument extends PDFDocument {
  private readonly embedded = new Map<string, EmbeddedFontInternals>();
  /** For each font, the character each spare empty glyph carries in this document, and its code. */
  private readonly carriers = new Map<EmbeddedFontInternals, { byChar: Map<number, string>; spare: number[] }>();

  constructor(
    options: PDFKit.PDFDocumentOptions,
    private readonly adapter: LetterDocumentOptions,
  ) {
    installAdapter();
    super(options);
  }

  /** Every object of this document is made here: written by fastFinalize, its streams with the shared deflate cache. */
  override ref(data?: Record<string, unknown>): PDFKit.PDFKitReference {
    const r = (PDFDocument.prototype as unknown as DocumentInternals).ref.call(this, data) as ReferenceInternals;
    if (this.adapter?.reuse) {
      // pdfValue writes what pdfkit writes without encryption, which lettermerge never asks for.
      if (!(this as unknown as { _security?: unknown })._security) fastFinalize(r);
      latin1Writes(r);
    }
    return r as unknown as PDFKit.PDFKitReference;
  }

  /** The document's output, as pdfkit writes it, with text turned into bytes by Node rather than character by character. */
  _write(data: string | Uint8Array): void {
    if (!this.adapter?.reuse) {
      (PDFDocument.prototype as unknown as { _write(this: unknown, d: unknown): void })._write.call(this, data);
      return;
    }
    const chunk = typeof data === 'string' ? Buffer.from(`${data}\n`, 'latin1') : data;
    if (this.adapter.streaming) this.push(chunk);
    else (this.output ??= []).push(chunk);
    (this as unknown as { _offset: number })._offset += chunk.length;
  }

  /**
   * The output written since the header, held until the document ends and then given to the
   * stream in one piece: a letter is small, and a stream chunk per object costs more than it.
   * (Declared, not initialised: pdfkit writes the header before this class's fields would be set.)
   */
  declare private output: Uint8Array[] | undefined;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null && this.output?.length) {
      super.push(Buffer.concat(this.output));
      this.output = undefined;
    }
    return super.push(chunk, encoding);
  }

  /**
   * For each font drawn by glyph id (see ownGlyphIds): the width (thousandths of an em) and the
   * text of each glyph drawn, by glyph id. The first use of a glyph decides its text.
   */
  private readonly byGid = new Map<EmbeddedFontInternals, GlyphIdFont>();

  /** Each variant face's key (see variantOf), and the face it is a second font of. */
  private readonly variantBases = new Map<string, FaceLike>();
  private readonly variants = new Map<FaceLike, FaceLike>();

  /** A face's second font in this document, for the glyphs only the recipient's text uses. */
  private variantOf(face: FaceLike): FaceLike {
    let variant = this.variants.get(face);
    if (!variant) {
      variant = { key: `${face.key}+`, font: face.font };
      this.variants.set(face, variant);
      this.variantBases.set(variant.key, face);
    }
    return variant;
  }

  /** For each face split in two (see splitFonts), the glyphs of its first font. */
  private staticGlyphs: Map<string, Set<number>> | undefined;

  /**
   * Gives faces two fonts in this document: one for the glyphs of `texts`, and one for runs with a
   * glyph it lacks. `texts` are the text that is the same in every letter of the campaign; `common`
   * adds characters that recipients' names and addresses often use (LetterLayout.commonCharacters)
   * for the faces that draw them. The first font holds all their glyphs, drawn or not, so it is
   * the same subset in every letter, built and deflated once, and most letters need no second font.
   * A letter's fonts were otherwise new in every letter, and encoding and deflating them took a
   * large part of its time. Which glyphs are drawn, and with what text (ToUnicode), is as with one
   * font per face; the first font's map also gives the glyphs not drawn their text (mapUndrawn).
   *
   * Every CFF face (Chinese, whose names use thousands of characters) is split. A TrueType face is
   * split only when it has common characters: its subsets keep every glyph id, so a second font
   * costs more than it saves when most letters need one.
   */
  splitFonts(texts: Iterable<{ face: FaceLike; text: string }>, common?: { faces: Iterable<FaceLike>; text: string }): void {
    if (!this.adapter.reuse) return;
    const byFace = new Map<string, { face: FaceLike; texts: string[]; common: boolean }>();
    for (const { face, text } of texts) {
      let f = byFace.get(face.key);
      if (!f) byFace.set(face.key, (f = { face, texts: [], common: false }));
      f.texts.push(text);
    }
    if (common?.text) {
      // The characters are in the letter's own script: a face of another (Latin words in an Arabic
      // letter) would draw few of them, and keeps one font.
      const script = common.text.codePointAt(0)!;
      for (const face of common.faces) {
        const f = byFace.get(face.key);
        if (f && face.font.hasGlyphForCodePoint(script)) {
          f.texts.push(common.text);
          f.common = true;
        }
      }
    }
    const sets = new Map<string, Set<number>>();
    for (const { face, texts: faceTexts, common: withCommon } of byFace.values()) {
      const font = this.embed(face);
      const own = this.byGid.get(font);
      if (!own || (font.subset.cff === undefined && !withCommon)) continue;
      let perFont = staticSets.get(face.font);
      if (!perFont) staticSets.set(face.font, (perFont = new Recent(STATIC_SETS_PER_FONT)));
      const set = perFont.getOrMake(faceTexts.join('\n'), () => {
        const glyphs = new Map<number, GlyphLike>();
        for (const text of faceTexts) for (const g of runLayout(font, text).glyphs) if (!glyphs.has(g.id)) glyphs.set(g.id, g);
        const list = [...glyphs.values()];
        return { ids: new Set(glyphs.keys()), glyphs: list, widths: list.map((g): [number, number] => [g.id, g.advanceWidth * font.scale]) };
      });
      // In the subset, with their widths; a glyph's text comes when it is drawn (recordGlyphs), or
      // from the campaign's text if it is not (mapUndrawn). A font no glyph was recorded for yet
      // (every letter's) takes the widths whole.
      if (own.widths.size === 0) {
        own.widths = new Map(set.widths);
        for (const g of set.glyphs) font.subset.includeGlyph(g.id);
      } else {
        for (const g of set.glyphs) {
          if (own.widths.has(g.id)) continue;
          font.subset.includeGlyph(g.id);
          own.widths.set(g.id, g.advanceWidth * font.scale);
        }
      }
      (own.statics ??= []).push(set.glyphs);
      sets.set(face.key, set.ids);
    }
    this.staticGlyphs = sets;
  }

  private embed(face: FaceLike): EmbeddedFontInternals {
    let font = this.embedded.get(face.key);
    if (!font) {
      const base = this.variantBases.get(face.key);
      if (base) {
        // A second font of the same face, with a subset of its own (see splitFonts); pdfkit would
        // give back the first for a font of the same name, so it is made here, and listed where
        // pdfkit embeds the document's fonts at its end.
        const first = this.embed(base);
        font = new (first.constructor as new (doc: unknown, font: Font, id: string) => EmbeddedFontInternals)(this, face.font, face.key);
        (this as unknown as DocumentInternals)._fontFamilies[face.key] = font;
      } else {
        const src = this.adapter.reuse ? face.font : (this.adapter.fileOf?.(face) ?? face.font);
        this.registerFont(face.key, src as unknown as string);
        this.font(face.key);
        font = (this as unknown as DocumentInternals)._font;
      }
      // Named after its face, not in the order first used (pdfkit's F1, F2…): a content stream that
      // is the same in every letter names its fonts the same, whatever other fonts a letter uses.
      if (this.adapter.reuse) font.id = `F-${face.key.replace(/[^\w.+-]/g, '_')}`;
      if (this.adapter.reuse && ownGlyphIds.has(font.subset)) {
        const own = glyphIdFont(face.font);
        this.byGid.set(font, own);
        const f = font;
        f.embed = () => embedByGlyphId(this as unknown as DocumentInternals, f, own);
      }
      // pdfkit puts .notdef's width in the W array in font units, not thousandths of an em; it is
      // never drawn, but PDF/A wants the widths to agree with the font program.
      font.widths[0] = font.font.getGlyph(0).advanceWidth * font.scale;
      if (this.adapter.reuse && font.layoutCache) {
        let shared = layoutCaches.get(face.font);
        if (!shared) layoutCaches.set(face.font, (shared = shapedWords.cache()));
        const words = shared;
        const f = font;
        f.layoutCached = (text: string) => words.getOrMake(text, () => f.layoutRun(text));
      }
      this.embedded.set(face.key, font);
    }
    return font;
  }

  /** The page each annotation is on, for its object reference in the structure tree. */
  private readonly annotationPages = new Map<unknown, unknown>();

  override annotate(x: number, y: number, w: number, h: number, options: object): this {
    (PDFDocument.prototype as unknown as { annotate: (...a: unknown[]) => unknown }).annotate.call(this, x, y, w, h, options);
    const page = (this as unknown as { page: { annotations: unknown[]; dictionary: unknown } }).page;
    this.annotationPages.set(page.annotations[page.annotations.length - 1], page.dictionary);
    return this;
  }

  /**
   * A structure element, with two changes to pdfkit's: it says it is one (Type StructElem, which
   * PDF/A-2 asks for), and an annotation's object reference names the page the annotation is on,
   * where pdfkit names the page current when the element is written (the last, when the tree is
   * written at the end).
   */
  override struct(type: string, options?: object, children?: unknown): PDFKit.PDFStructureElement {
    const el = (PDFDocument.prototype as unknown as { struct: (...a: unknown[]) => unknown }).struct.call(this, type, options, children) as StructureElementInternals;
    el.dictionary.data.Type = 'StructElem';
    const pages = this.annotationPages;
    const flushChild = el._flushChild;
    el._flushChild = function (this: StructureElementInternals, child: { annotationRef?: unknown }) {
      const page = child && child.annotationRef !== undefined ? pages.get(child.annotationRef) : undefined;
      if (page === undefined) return flushChild.call(this, child);
      (this.dictionary.data.K as unknown[]).push({ Type: 'OBJR', Obj: child.annotationRef, Pg: page });
    };
    return el as unknown as PDFKit.PDFStructureElement;
  }

  /** pdfkit's own writes the information's XMP unescaped and without ModDate; this one does both. */
  _addInfo(): void {
    (this as unknown as { appendXML(xml: string): void }).appendXML(infoXmp((this as unknown as { info: InfoLike }).info));
  }

  /**
   * A signature field and the placeholder that @signpdf fills after the document is written: a
   * signature dictionary (ETSI.CAdES.detached, a byte range and contents to be replaced) and an
   * invisible widget that prints (PDF/A), has a description (TU) and sits in the structure tree
   * as the annotation of a Form element (PDF/UA). The form has no default resources or
   * appearances to ask for: PDF/A allows neither here.
   */
  signaturePlaceholder(sig: { name: string; reason: string; time: Date; tooltip: string; form: PDFKit.PDFStructureElement }): void {
    const d = this as unknown as DocumentInternals & { _root: { data: Record<string, unknown> }; page: { dictionary: unknown } };
    const format = signatureFormat();
    const signature = d.ref({
      Type: 'Sig',
      Filter: 'Adobe.PPKLite',
      SubFilter: format.subFilter,
      ByteRange: [0, format.byteRange, format.byteRange, format.byteRange],
      Contents: Buffer.alloc(format.length),
      Reason: new String(sig.reason),
      M: sig.time,
      Name: new String(sig.name),
      Prop_Build: { Filter: { Name: 'Adobe.PPKLite' }, App: { Name: 'lettermerge' } },
    });
    signature.end();
    const before = (d.page as unknown as { annotations: unknown[] }).annotations.length;
    this.annotate(0, 0, 0, 0, { Subtype: 'Widget', FT: 'Sig', V: signature, T: new String('Signature1'), TU: new String(sig.tooltip), F: 4, P: d.page.dictionary, structParent: sig.form } as never);
    const widget = (d.page as unknown as { annotations: unknown[] }).annotations[before];
    const form = d.ref({ Fields: [widget], SigFlags: 3 });
    form.end();
    d._root.data.AcroForm = form;
    this.ownForm = true;
  }

  /** Whether the AcroForm is the signature's, written already: pdfkit's own form ending is then skipped. */
  private ownForm = false;

  override endAcroForm(): this {
    if (this.ownForm) return this;
    return (PDFDocument.prototype as unknown as { endAcroForm(this: LetterDocument): LetterDocument }).endAcroForm.call(this) as this;
  }

  /** Moves the last `n` pages to the front: a summary drawn after what it sums up. Bookmarks made before keep their pages. */
  movePagesToFront(n: number): void {
    const kids = (this as unknown as DocumentInternals)._root.data.Pages.data.Kids;
    kids.unshift(...kids.splice(kids.length - n, n));
  }

  /** Adds a bookmark at page `page` (counted from 0), at the top level or under `parent`. */
  bookmark(title: string, page: number, parent?: Bookmark): Bookmark {
    const under = (parent ?? (this as unknown as DocumentInternals).outline) as unknown as { addItem(title: string, options: { pageNumber: number }): Bookmark };
    return under.addItem(title, { pageNumber: page });
  }

  /** Adds a top-level bookmark before all the others, at page `page` (counted from 0). */
  firstBookmark(title: string, page: number): void {
    const outline = (this as unknown as DocumentInternals).outline;
    const item = outline.addItem(title, { pageNumber: page });
    outline.children.unshift(...outline.children.splice(outline.children.indexOf(item), 1));
  }

  /**
   * Page labels (ISO 32000, 12.4.2), the page numbers viewers show: from each range's first page
   * (counted from 0), Arabic (D) or lower-case Roman (r) numbers from 1, after an optional prefix.
   */
  pageLabels(ranges: { from: number; style: 'D' | 'r'; prefix?: string }[]): void {
    const nums: unknown[] = [];
    for (const r of ranges) nums.push(r.from, { S: r.style, St: 1, ...(r.prefix !== undefined ? { P: new String(r.prefix) } : {}) });
    const d = this as unknown as DocumentInternals;
    const labels = d.ref({ Nums: nums });
    labels.end();
    d._root.data.PageLabels = labels;
  }

  /** Declares PDF/UA-1 in the XMP metadata (with its PDF/A extension schema). Call before end(). */
  declarePdfUa(): void {
    (this as unknown as { appendXML(xml: string): void }).appendXML(PDFUA_XMP);
  }

  /**
   * Draws a run of text at (x, y) (y is the baseline, from the top of the page), as pdfkit's own
   * text() does (the same text object, the same positioning of every glyph), with one
   * difference: a justified line keeps its spaces as glyphs, widened by `wordSpacing`, where
   * pdfkit drops them and moves the words apart. The spaces are then in the text that extractors
   * and screen readers read from the content, not guessed from the gaps.
   */
  glyphRun(face: FaceLike, size: number, x: number, y: number, text: string, options: GlyphRunOptions = {}): void {
    if (!this.adapter.reuse) {
      if (options.actualText) {
        this.markContent('Span', { actual: text } as never);
        this.glyphRun(face, size, x, y, text, { ...options, actualText: false });
        this.endMarkedContent();
        return;
      }
      // Plain pdfkit: the words of a justified run placed one by one (pdfkit's own wordSpacing
      // would also widen no-break spaces, which the line breaker does not count as stretchable).
      this.useFace(face, size);
      const plain = { lineBreak: false, baseline: 'alphabetic', characterSpacing: options.charSpacing || undefined } as const;
      // pdfkit would shape a hyphenation point's soft hyphen away: it draws a hyphen.
      if (text.endsWith(SHY)) text = `${text.slice(0, -1)}-`;
      let at = x;
      if (options.logicalOrder) {
        // pdfkit lays out a run word by word and puts the words left to right: a right-to-left
        // run's words are drawn one by one here, from its last word, at x, with the spaces between.
        const words = text.split(' ');
        for (let w = words.length - 1; w >= 0; w--) {
          if (words[w]) this.text(words[w], at, y, plain);
          at += this.widthOfString(words[w], plain);
          if (w > 0) {
            this.text(' ', at, y, plain);
            at += this.widthOfString(' ', plain) + (options.wordSpacing ?? 0);
          }
        }
        return;
      }
      if (!options.wordSpacing) {
        this.text(text, x, y, plain);
        return;
      }
      for (const word of text.split(/(?<= )/)) {
        this.text(word, at, y, plain);
        at += this.widthOfString(word, plain) + (word.endsWith(' ') ? options.wordSpacing : 0);
      }
      return;
    }
    this.useFace(face, size);
    const d = this as unknown as DocumentInternals;
    let font = d._font;
    let own = this.byGid.get(font);
    // A run drawn by glyph id is the same operators wherever it is drawn, in any letter: made once.
    const wordSpacing = options.wordSpacing ?? 0;
    const logicalOrder = options.logicalOrder === true;
    const kept = own ? keptRun(text, face.key, size, wordSpacing, logicalOrder) : undefined;
    const statics = own ? this.staticGlyphs?.get(face.key) : undefined;
    // The run's glyphs and positions, when they are needed (not for a kept run, unless it is checked against statics).
    let laid = kept || !statics ? undefined : runLayout(font, text, logicalOrder);
    if (statics && !allStatic(kept ? kept.glyphs : laid!.glyphs, statics, kept)) {
      // A run with a glyph that the text of every letter lacks: that glyph is drawn with the face's
      // second font (splitFonts); a right-to-left run, wholly.
      if (!options.logicalOrder) return this.splitRun(face, size, x, y, laid ?? runLayout(font, text), options, statics, text);
      this.useFace(this.variantOf(face), size);
      font = d._font;
      own = this.byGid.get(font);
    }
    if (d.page.fonts[font.id] == null) d.page.fonts[font.id] = font.ref();
    const content = this.textAt(font.id, size, options.charSpacing ?? 0, x, d.page.height - y, d.page.height) + (options.actualText ? actualTextOpen(text) : '');
    const end = options.actualText ? '\nEMC' : '';
    if (kept) {
      recordGlyphs(font, own!, kept.glyphs);
      if (!kept.ligatures || kept.ligatures.every((l) => this.ligatureCarrier(face, font, l.glyph) === l.carrier)) {
        this.addText(`${content}${kept.body}${end}`);
        return;
      }
    }
    laid ??= runLayout(font, text, logicalOrder);
    const { glyphs, positions: layoutPositions } = laid;
    const encoded = own ? encodeByGlyphId(font, own, glyphs) : encodeGlyphs(font, glyphs);
    const positions = widenSpaces(glyphs, layoutPositions, options.wordSpacing, size);
    const carriers = options.logicalOrder ? glyphs.map((g) => this.ligatureCarrier(face, font, g)) : [];
    const run = options.logicalOrder ? logicalTjOperators(encoded, positions, size / 1000, carriers) : tjOperators(encoded, positions, x, d.page.height - y, size / 1000);
    let body = '';
    for (const op of run) body += `\n${op}`;
    // Kept unless it depends on where it is drawn (a mark placed by a text matrix); a run with
    // ligatures, with the carriers this document gave them.
    if (own && !kept && (options.logicalOrder || !positions.some((p) => p.xOffset || p.yOffset))) {
      // Each glyph once, in the order first drawn (which decides its text): what recordGlyphs needs.
      const seen = new Set<number>();
      const once = glyphs.filter((g) => !seen.has(g.id) && !!seen.add(g.id));
      // (A left-to-right ligature, "fi", needs no carrier: it reads in its own order.)
      const ligatures = options.logicalOrder ? once.filter((g) => g.codePoints.length > 1).map((g) => ({ glyph: g, carrier: carriers[glyphs.indexOf(g)] })) : [];
      keepRun(text, { face: face.key, size, wordSpacing, logicalOrder, glyphs: once, body, ...(ligatures.length ? { ligatures } : {}) });
    }
    this.addText(`${content}${body}${end}`);
  }

  /**
   * Draws a run whose glyphs are in two fonts of its face (see splitFonts): each stretch of glyphs
   * with the font that has them, the font changed between TJ operators in the same text object,
   * so every glyph is where the run drawn in one font puts it. Not kept for other letters: which
   * glyphs are in which font depends on this letter.
   */
  private splitRun(face: FaceLike, size: number, x: number, y: number, laid: { glyphs: GlyphLike[]; positions: PositionLike[] }, options: GlyphRunOptions, statics: Set<number>, text: string): void {
    const d = this as unknown as DocumentInternals;
    const height = d.page.height;
    const { glyphs, positions: layoutPositions } = laid;
    const positions = widenSpaces(glyphs, layoutPositions, options.wordSpacing, size);
    const scale = size / 1000;
    let out = '';
    let at = x;
    // Whether the last glyph drawn was placed by a text matrix (a mark): the text position is then
    // not where the next stretch starts, and is set again.
    let placed = false;
    for (let start = 0; start < glyphs.length; ) {
      const shared = statics.has(glyphs[start].id);
      let end = start + 1;
      while (end < glyphs.length && statics.has(glyphs[end].id) === shared) end++;
      this.useFace(shared ? face : this.variantOf(face), size);
      const font = d._font;
      if (d.page.fonts[font.id] == null) d.page.fonts[font.id] = font.ref();
      out += start === 0 ? this.textAt(font.id, size, options.charSpacing ?? 0, x, height - y, height) + (options.actualText ? actualTextOpen(text) : '') : this.fontChange(font.id, size);
      if (placed && !(positions[start].xOffset || positions[start].yOffset)) out += `\n${textMatrix(at, height - y)}`;
      placed = !!(positions[end - 1].xOffset || positions[end - 1].yOffset);
      const encoded = encodeByGlyphId(font, this.byGid.get(font)!, glyphs.slice(start, end));
      for (const op of tjOperators(encoded, positions.slice(start, end), at, height - y, scale)) out += `\n${op}`;
      for (let k = start; k < end; k++) at += positions[k].xAdvance * scale;
      start = end;
    }
    this.addText(options.actualText ? `${out}\nEMC` : out);
  }

  /** The operator that sets the font and size inside an open text object, when they change. */
  private fontChange(fontId: string, size: number): string {
    const tf = `/${fontId} ${num(size)} Tf`;
    if (this.textState.font === tf) return '';
    this.textState.font = tf;
    return `\n${tf}`;
  }

  /**
   * The text state of the page being drawn, as this document's glyph runs left it: whether a text
   * object is open, and the font and size, character spacing and fill colour last set. Runs one
   * after the other share a text object and set only what changed; any other content closes the
   * text object first, and anything but marked-content operators makes the state unknown again
   * (it may have saved, changed or restored it).
   */
  private textState: { open: boolean; font?: string; charSpacing?: number; fill?: string } = { open: false, charSpacing: 0 };
  private writingText = false;

  /** Content of glyph runs: written inside the page's open text object. */
  private addText(content: string): void {
    this.writingText = true;
    try {
      (this as unknown as DocumentInternals).addContent(content);
    } finally {
      this.writingText = false;
    }
  }

  override addContent(data: string): this {
    if (!this.writingText) {
      if (this.textState.open) this.closeText();
      else if (!MARKED_CONTENT.test(data)) this.textState = { open: false, charSpacing: 0 };
    }
    PDF_ADD_CONTENT.call(this, data);
    return this;
  }

  /** Ends the open text object and the graphics state saved with it: what was set inside is unset. */
  private closeText(): void {
    PDF_ADD_CONTENT.call(this, 'ET\nQ');
    this.textState = { open: false, charSpacing: 0 };
  }

  /**
   * The operators that start a run at (x, y), y up from the bottom of the page: the text object
   * opened when none is, the text matrix (see textMatrix), and the font, size and character
   * spacing when they change.
   */
  private textAt(fontId: string, size: number, charSpacing: number, x: number, y: number, height: number): string {
    const t = this.textState;
    let out = t.open ? '' : `q\n1 0 0 -1 0 ${num(height)} cm\nBT\n`;
    t.open = true;
    out += textMatrix(x, y) + this.fontChange(fontId, size);
    if (t.charSpacing !== charSpacing) out += `\n${num((t.charSpacing = charSpacing))} Tc`;
    return out;
  }

  /**
   * Sets the colour of the text drawn next. With reuse, an RGB colour is written as one rg
   * operator (four decimals: the same 8-bit value), and only when it changes; otherwise as
   * pdfkit's fillColor writes it.
   */
  textColor(color: string): this {
    let op = this.adapter.reuse ? rgOperators.get(color) : undefined;
    if (op === undefined) {
      const rgb = this.adapter.reuse ? (this as unknown as { _normalizeColor(c: string): number[] | null })._normalizeColor(color) : null;
      if (!rgb || rgb.length !== 3) return this.fillColor(color);
      op = `${rgb.map((c) => Math.round(c * 1e4) / 1e4).join(' ')} rg`;
      rgOperators.set(color, op);
    }
    if (this.textState.fill !== op) {
      this.addText(op);
      this.textState.fill = op;
    }
    return this;
  }

  /**
   * Ends the page's content stream and starts another: the page's Contents become an array of
   * streams, read one after the other as one content (ISO 32000-1, 7.8.2). A run of the page that
   * is the same in many letters (the letter around the addressee block) is then a stream of the
   * same bytes in each, deflated once for all of them (see deflated). Call it between
   * marked-content sequences, never inside one; it does nothing before anything is written.
   *
   * `recipients`: what is drawn next, until the next stream, is the recipient's own (the
   * addressee block): the stream's compressed bytes are not kept for other letters, which would
   * not have them; kept, they would push out what the letters share.
   */
  newContentStream(recipients = false): void {
    if (this.textState.open) this.closeText();
    const page = (this as unknown as DocumentInternals).page;
    if (page.content.uncompressedLength > 0) {
      const contents = page.dictionary.data.Contents;
      const streams = Array.isArray(contents) ? contents : [contents];
      page.content.end();
      page.content = (this as unknown as DocumentInternals).ref();
      streams.push(page.content);
      page.dictionary.data.Contents = streams;
    }
    if (recipients) recipientsStreams.add(page.content);
  }

  /** Closes the text object before pdfkit ends the pages. */
  override flushPages(): this {
    if (this.textState.open) this.closeText();
    return (PDFDocument.prototype as unknown as { flushPages(this: unknown): unknown }).flushPages.call(this) as this;
  }

  /**
   * A right-to-left ligature (lam-alef) stands for two characters, which extractors must read in
   * order whichever way they read: those that follow the content (screen readers, pdfinfo
   * -struct-text) and those that sort characters by position and read the line right to left
   * (pdftotext). So the ligature glyph is mapped to its second character, and its first is
   * carried by an empty, zero-width glyph of the font, written just before it, just inside its right edge.
   * Returns the carrier's code, or undefined for a glyph that is no such ligature; a ligature of
   * more characters, or with no spare glyph left, is mapped to its characters reversed, which
   * suits the extractors that sort by position.
   */
  private ligatureCarrier(face: FaceLike, font: EmbeddedFontInternals, glyph: GlyphLike): string | undefined {
    const chars = glyph.codePoints;
    if (chars.length < 2) return undefined;
    const own = this.byGid.get(font);
    if (own) return this.ligatureCarrierById(face, font, own, glyph);
    const gid = font.subset.includeGlyph(glyph.id);
    let c = this.carriers.get(font);
    if (!c) this.carriers.set(font, (c = { byChar: new Map(), spare: [...spareEmptyGlyphs(face.font)] }));
    let code = c.byChar.get(chars[0]);
    if (code === undefined && chars.length === 2 && c.spare.length) {
      const carrierGid = font.subset.includeGlyph(c.spare.shift() as number);
      font.widths[carrierGid] = 0;
      font.unicode[carrierGid] = [chars[0]];
      code = `0000${carrierGid.toString(16)}`.slice(-4);
      c.byChar.set(chars[0], code);
    }
    font.unicode[gid] = code !== undefined ? chars.slice(1) : [...chars].reverse();
    return code;
  }

  /** ligatureCarrier for a font drawn by glyph id: the carrier's code is its glyph id. */
  private ligatureCarrierById(face: FaceLike, font: EmbeddedFontInternals, own: GlyphIdFont, glyph: GlyphLike): string | undefined {
    const chars = glyph.codePoints;
    let c = this.carriers.get(font);
    if (!c) this.carriers.set(font, (c = { byChar: new Map(), spare: [...spareEmptyGlyphs(face.font)] }));
    let code = c.byChar.get(chars[0]);
    if (code === undefined && chars.length === 2 && c.spare.length) {
      const carrier = c.spare.shift() as number;
      font.subset.includeGlyph(carrier);
      own.widths.set(carrier, 0);
      own.unicode.set(carrier, [chars[0]]);
      code = hex4(carrier);
      c.byChar.set(chars[0], code);
    }
    own.unicode.set(glyph.id, code !== undefined ? chars.slice(1) : [...chars].reverse());
    return code;
  }

  /** Sets the current font and size. */
  useFace(face: FaceLike, size: number): this {
    const d = this as unknown as DocumentInternals;
    // A run after another of the same face and size (an Arabic line is drawn word by word): as it was.
    const font = this.embed(face);
    if (d._font === font && d._fontSize === size) return this;
    this.font(face.key).fontSize(size);
    return this;
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

// ---------------------------------------------------------------------------------------------
// SVG path data, read as pdfkit reads it.

/**
 * The points of SVG path data as pdfkit draws it (each segment's ends and control points), read by
 * pdfkit's own parser: its path() called on a recorder of the few drawing calls it makes. Here,
 * not in the signature's loader, so that pdfkit is loaded after brotli's stand-in (see brotli.ts).
 */
export function pathPoints(d: string): number[] {
  const points: number[] = [];
  const at = (...xy: number[]) => {
    points.push(...xy);
    return recorder;
  };
  const recorder = { moveTo: at, lineTo: at, bezierCurveTo: at, quadraticCurveTo: at, closePath: () => recorder };
  (PDFDocument.prototype as unknown as { path(this: unknown, d: string): unknown }).path.call(recorder, d);
  return points;
}
