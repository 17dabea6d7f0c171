import { readFileSync } from 'node:fs';

/**
 * TrueType subsets made by HarfBuzz's subsetter (harfbuzzjs's WebAssembly build), in place of
 * fontkit's, which decodes and re-encodes every glyph and takes about four times as long.
 *
 * The subset keeps the font's own glyph ids (retain-gids: a glyph not used is an empty slot),
 * so that composite glyphs' components need no renumbering and the PDF maps its character ids
 * to glyph ids with a CIDToGIDMap. It keeps the tables a PDF's TrueType font program needs,
 * hinting included (head, hhea, maxp, loca, glyf, hmtx, cvt, fpgm, prep), as fontkit's subset did:
 * the glyphs are drawn the same.
 */

/** The WebAssembly global, as far as it is used here (the TypeScript setup has no DOM types). */
const { WebAssembly: Wasm } = globalThis as unknown as {
  WebAssembly: { Module: new (bytes: Uint8Array) => object; Instance: new (module: object, imports: object) => { exports: unknown } };
};

interface HarfBuzzSubset {
  memory: { buffer: ArrayBuffer };
  _initialize?: () => void;
  malloc(size: number): number;
  free(ptr: number): void;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_blob_get_data(blob: number, length: number): number;
  hb_blob_get_length(blob: number): number;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_face_reference_blob(face: number): number;
  hb_set_add(set: number, value: number): void;
  hb_subset_input_create_or_fail(): number;
  hb_subset_input_destroy(input: number): void;
  hb_subset_input_glyph_set(input: number): number;
  hb_subset_input_set(input: number, which: number): number;
  hb_subset_input_set_flags(input: number, flags: number): void;
  hb_subset_preprocess(face: number): number;
  hb_subset_or_fail(face: number, input: number): number;
}

const HB_MEMORY_MODE_READONLY = 0;
const HB_SUBSET_SETS_DROP_TABLE_TAG = 3;
const HB_SUBSET_FLAGS_RETAIN_GIDS = 0x2;
const HB_SUBSET_FLAGS_NOTDEF_OUTLINE = 0x40;
const HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE = 0x200;

/** The tables of a TrueType font program in a PDF (ISO 32000-1, 9.9); the others are dropped. */
const KEPT = new Set(['head', 'hhea', 'maxp', 'loca', 'glyf', 'hmtx', 'cvt ', 'fpgm', 'prep']);

let hb: HarfBuzzSubset | undefined;

function harfbuzz(): HarfBuzzSubset {
  if (!hb) {
    const wasm = readFileSync(require.resolve('harfbuzzjs/dist/harfbuzz-subset.wasm'));
    hb = new Wasm.Instance(new Wasm.Module(wasm), {}).exports as HarfBuzzSubset;
    hb._initialize?.();
  }
  return hb;
}

function tag(name: string): number {
  return ((name.charCodeAt(0) << 24) | (name.charCodeAt(1) << 16) | (name.charCodeAt(2) << 8) | name.charCodeAt(3)) >>> 0;
}

/** Each font's face in HarfBuzz's memory, cut down and preprocessed for repeated subsetting (see prepare). */
const prepared = new WeakMap<object, number>();

/** The table tags of a TrueType (or OpenType) file, from its table directory. */
function tableTags(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(4);
  const tags: string[] = [];
  for (let i = 0; i < count; i++) tags.push(String.fromCharCode(...bytes.subarray(12 + 16 * i, 16 + 16 * i)));
  return tags;
}

/** Whether a font file is TrueType (glyf outlines), which this subsetter is used for. */
export function isTrueType(bytes: Uint8Array): boolean {
  return tableTags(bytes).includes('glyf');
}

/**
 * A font ready for repeated subsetting: first cut down to the tables kept (every glyph, at its id),
 * then preprocessed by HarfBuzz. Preprocessing makes each subset about five times faster; done on
 * the whole font, with its layout tables, it would also hold some 11 MB per font for the life of
 * the process, against about 3 MB for the cut-down one.
 */
function prepare(key: object, bytes: Uint8Array): number {
  let p = prepared.get(key);
  if (p === undefined) {
    const h = harfbuzz();
    const drop = tableTags(bytes).filter((t) => !KEPT.has(t)).map(tag);
    const ptr = h.malloc(bytes.length);
    new Uint8Array(h.memory.buffer).set(bytes, ptr);
    const blob = h.hb_blob_create(ptr, bytes.length, HB_MEMORY_MODE_READONLY, 0, 0);
    const face = h.hb_face_create(blob, 0);
    h.hb_blob_destroy(blob);
    const numGlyphs = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(tableOffset(bytes, 'maxp') + 4);
    const whole = subsetFace(h, face, drop, Array.from({ length: numGlyphs }, (_, i) => i));
    h.hb_face_destroy(face);
    h.free(ptr);
    p = h.hb_subset_preprocess(whole);
    h.hb_face_destroy(whole);
    prepared.set(key, p);
  }
  return p;
}

/** Where a table starts in a font file, from its table directory. */
function tableOffset(bytes: Uint8Array, name: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(4);
  for (let i = 0; i < count; i++) {
    if (String.fromCharCode(...bytes.subarray(12 + 16 * i, 16 + 16 * i)) === name) return view.getUint32(12 + 16 * i + 8);
  }
  throw new Error(`the font has no ${name} table`);
}

/** The subset face of `glyphs` (at their own ids), without the tables `drop` names. */
function subsetFace(h: HarfBuzzSubset, face: number, drop: number[], glyphs: Iterable<number>): number {
  const input = h.hb_subset_input_create_or_fail();
  if (!input) throw new Error('HarfBuzz could not start a subset');
  try {
    const set = h.hb_subset_input_glyph_set(input);
    for (const g of glyphs) h.hb_set_add(set, g);
    const dropSet = h.hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (const t of drop) h.hb_set_add(dropSet, t);
    h.hb_subset_input_set_flags(input, HB_SUBSET_FLAGS_RETAIN_GIDS | HB_SUBSET_FLAGS_NOTDEF_OUTLINE | HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE);
    const out = h.hb_subset_or_fail(face, input);
    if (!out) throw new Error('HarfBuzz could not subset the font');
    return out;
  } finally {
    h.hb_subset_input_destroy(input);
  }
}

/**
 * The TrueType font program holding `glyphs` (the font's glyph ids; .notdef and the components
 * of composite glyphs are added), each at its own id. `key` identifies the font (its parsed
 * object), `bytes` are its file.
 */
export function trueTypeSubset(key: object, bytes: Uint8Array, glyphs: Iterable<number>): Uint8Array {
  const h = harfbuzz();
  const face = subsetFace(h, prepare(key, bytes), [], glyphs);
  const blob = h.hb_face_reference_blob(face);
  const data = h.hb_blob_get_data(blob, 0);
  const out = new Uint8Array(h.memory.buffer, data, h.hb_blob_get_length(blob)).slice();
  h.hb_blob_destroy(blob);
  h.hb_face_destroy(face);
  return out;
}
