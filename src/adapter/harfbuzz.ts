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
  hb_subset_input_set_flags(input: number, flags: number): void;
  hb_subset_preprocess(face: number): number;
  hb_subset_or_fail(face: number, input: number): number;
}

const HB_MEMORY_MODE_READONLY = 0;
const HB_SUBSET_FLAGS_RETAIN_GIDS = 0x2;
const HB_SUBSET_FLAGS_NOTDEF_OUTLINE = 0x40;
const HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE = 0x200;

/** The tables of a TrueType font program in a PDF (ISO 32000-1, 9.9); the others are dropped. */
const KEPT = new Set(['head', 'hhea', 'maxp', 'loca', 'glyf', 'hmtx', 'cvt ', 'fpgm', 'prep']);

/**
 * The tables HarfBuzz's shaper reads: characters to glyphs, advances, the OpenType and AAT layout
 * tables, variations. Not the outlines (glyf, CFF): only extents need them, which shaping asks
 * for only to place marks a font has no GPOS for, and marks are fontkit's (shapedByHarfBuzz).
 */
const SHAPING = new Set(['cmap', 'head', 'hhea', 'hmtx', 'maxp', 'OS/2', 'GDEF', 'GSUB', 'GPOS', 'BASE', 'kern', 'vhea', 'vmtx', 'morx', 'mort', 'kerx', 'trak', 'ankr', 'feat', 'fvar', 'avar', 'HVAR', 'MVAR']);

/**
 * The font file with the tables the shaper reads only. A Chinese font's outlines are 8 of its
 * 8.4 MB, which each thread's shaper would otherwise hold per face.
 */
export function shapingTables(bytes: Uint8Array): Uint8Array {
  return keptTables(bytes, SHAPING);
}

let hb: HarfBuzzSubset | undefined;

function harfbuzz(): HarfBuzzSubset {
  if (!hb) {
    const wasm = readFileSync(require.resolve('harfbuzzjs/dist/harfbuzz-subset.wasm'));
    hb = new Wasm.Instance(new Wasm.Module(wasm), {}).exports as HarfBuzzSubset;
    hb._initialize?.();
  }
  return hb;
}

/** What making a face takes, the same in HarfBuzz's shaper and subsetter builds. */
export interface HarfBuzzFaces {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_face_create(blob: number, index: number): number;
}

/** A face of the font file `bytes`, copied into HarfBuzz's memory: the face reads them there, so they are never freed. */
export function faceInMemory(h: HarfBuzzFaces, bytes: Uint8Array): number {
  const ptr = h.malloc(bytes.length);
  new Uint8Array(h.memory.buffer).set(bytes, ptr);
  const blob = h.hb_blob_create(ptr, bytes.length, HB_MEMORY_MODE_READONLY, 0, 0);
  const face = h.hb_face_create(blob, 0);
  h.hb_blob_destroy(blob);
  return face;
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
 * the process, against about 3 MB for the cut-down one. The cut-down file stays in HarfBuzz's
 * memory with the face made from it.
 */
function prepare(key: object, bytes: Uint8Array): number {
  let p = prepared.get(key);
  if (p === undefined) {
    const h = harfbuzz();
    const face = faceInMemory(h, keptTables(bytes, KEPT));
    p = h.hb_subset_preprocess(face);
    h.hb_face_destroy(face);
    prepared.set(key, p);
  }
  return p;
}

/**
 * The font file with only the tables `kept` (a PDF's: KEPT), copied as they are. HarfBuzz's subset of
 * every glyph without the other tables gave the same subsets byte for byte (each face, hundreds of
 * glyph sets), and took 10 to 25 ms a face in a thread's first letter (profiles on a fast and a
 * slow hour), where copying takes well under one.
 */
function keptTables(bytes: Uint8Array, kept: ReadonlySet<string>): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables: { tag: string; entry: number; offset: number; length: number }[] = [];
  for (let i = 0, count = view.getUint16(4); i < count; i++) {
    const entry = 12 + 16 * i;
    const tag = String.fromCharCode(...bytes.subarray(entry, entry + 4));
    if (kept.has(tag)) tables.push({ tag, entry, offset: view.getUint32(entry + 8), length: view.getUint32(entry + 12) });
  }
  tables.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const n = tables.length;
  let size = 12 + 16 * n;
  for (const t of tables) size += (t.length + 3) & ~3;
  const out = new Uint8Array(size);
  const o = new DataView(out.buffer);
  // The table directory (OpenType, "Organization of an OpenType font"): version, counts, search ranges.
  o.setUint32(0, view.getUint32(0));
  o.setUint16(4, n);
  const log2 = Math.floor(Math.log2(n));
  o.setUint16(6, 16 << log2);
  o.setUint16(8, log2);
  o.setUint16(10, 16 * n - (16 << log2));
  let at = 12 + 16 * n;
  tables.forEach((t, i) => {
    // Tag and checksum as they were; the offset where the table is now; its length.
    out.set(bytes.subarray(t.entry, t.entry + 8), 12 + 16 * i);
    o.setUint32(12 + 16 * i + 8, at);
    o.setUint32(12 + 16 * i + 12, t.length);
    out.set(bytes.subarray(t.offset, t.offset + t.length), at);
    at += (t.length + 3) & ~3;
  });
  return out;
}

/** The subset face of `glyphs` (at their own ids). */
function subsetFace(h: HarfBuzzSubset, face: number, glyphs: Iterable<number>): number {
  const input = h.hb_subset_input_create_or_fail();
  if (!input) throw new Error('HarfBuzz could not start a subset');
  try {
    const set = h.hb_subset_input_glyph_set(input);
    for (const g of glyphs) h.hb_set_add(set, g);
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
  const face = subsetFace(h, prepare(key, bytes), glyphs);
  const blob = h.hb_face_reference_blob(face);
  const data = h.hb_blob_get_data(blob, 0);
  const out = new Uint8Array(h.memory.buffer, data, h.hb_blob_get_length(blob)).slice();
  h.hb_blob_destroy(blob);
  h.hb_face_destroy(face);
  return out;
}
