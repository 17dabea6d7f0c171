import { readFileSync } from 'node:fs';
import { faceInMemory, shapingTables } from './harfbuzz';

/**
 * Shaping by HarfBuzz (harfbuzzjs's WebAssembly build of its shaper), for the runs fontkit's
 * shaper would give the same glyphs and positions (see shapedByHarfBuzz in index.ts). fontkit's shaper is a
 * port of HarfBuzz's in JavaScript; it takes about 0.3 ms for a word it has not shaped before,
 * HarfBuzz a few microseconds. Every new word of a campaign's text, and every thread's first
 * letter of each language, paid for that: about 0.4 s before a thread's first letter, and 0.1 s
 * more for each language after it.
 */

/** The WebAssembly global, as far as it is used here (the TypeScript setup has no DOM types). */
const { WebAssembly: Wasm } = globalThis as unknown as {
  WebAssembly: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object, imports: object) => { exports: unknown };
  };
};

interface HarfBuzzShaper {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  __wasm_call_ctors(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_font_create(face: number): number;
  hb_buffer_create(): number;
  hb_buffer_clear_contents(buffer: number): void;
  hb_buffer_add_utf16(buffer: number, text: number, length: number, offset: number, itemLength: number): void;
  hb_buffer_set_cluster_level(buffer: number, level: number): void;
  hb_buffer_guess_segment_properties(buffer: number): void;
  hb_buffer_get_length(buffer: number): number;
  hb_buffer_get_glyph_infos(buffer: number, length: number): number;
  hb_buffer_get_glyph_positions(buffer: number, length: number): number;
  hb_shape(font: number, buffer: number, features: number, count: number): void;
}

/** Each character its own cluster, except where glyphs merge characters (a ligature) or a character becomes several glyphs. */
const HB_BUFFER_CLUSTER_LEVEL_MONOTONE_CHARACTERS = 1;
const WASM_PAGE = 65536;
const HEAP_MAX = 2 ** 31;

let shaper: HarfBuzzShaper | undefined;
let buffer = 0;
/** Room in HarfBuzz's memory for the text shaped (UTF-16), grown as needed. */
let textPtr = 0;
let textRoom = 0;

function harfbuzz(): HarfBuzzShaper {
  if (!shaper) {
    const wasm = readFileSync(require.resolve('harfbuzzjs/dist/harfbuzz.wasm'));
    let exports: HarfBuzzShaper | undefined;
    const fail = (what: string) => {
      throw new Error(`HarfBuzz's shaper stopped: ${what}`);
    };
    // What the Emscripten build asks of its host: growing its memory (as Emscripten's own loader
    // does it), and stopping. It sets no timers here.
    const imports = {
      env: {
        emscripten_resize_heap(requested: number): number {
          const memory = exports!.memory;
          const size = requested >>> 0;
          if (size > HEAP_MAX) return 0;
          const old = memory.buffer.byteLength;
          const wanted = Math.min(HEAP_MAX, Math.ceil(Math.max(size, old * 1.2) / WASM_PAGE) * WASM_PAGE);
          try {
            memory.grow((wanted - old) / WASM_PAGE);
            return 1;
          } catch {
            return 0;
          }
        },
        _abort_js: () => fail('abort'),
        _emscripten_runtime_keepalive_clear: () => undefined,
        _setitimer_js: () => 0,
      },
      wasi_snapshot_preview1: { proc_exit: (code: number) => fail(`exit ${code}`) },
    };
    exports = new Wasm.Instance(new Wasm.Module(wasm), imports).exports as HarfBuzzShaper;
    exports.__wasm_call_ctors();
    shaper = exports;
    buffer = exports.hb_buffer_create();
  }
  return shaper;
}

/** Each font's HarfBuzz font, made from its file. */
const fonts = new WeakMap<object, number>();

function hbFont(h: HarfBuzzShaper, key: object, bytes: Uint8Array): number {
  let font = fonts.get(key);
  if (font === undefined) {
    const face = faceInMemory(h, shapingTables(bytes));
    // The scale is the face's units per em: positions come out in font units, as fontkit's do.
    font = h.hb_font_create(face);
    h.hb_face_destroy(face);
    fonts.set(key, font);
  }
  return font;
}

/** A shaped run: each glyph's id, the characters it came from (none for a glyph after the first of its cluster), and its position in font units. */
export interface Shaped {
  ids: number[];
  characters: number[][];
  positions: { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number }[];
}

/**
 * `text` shaped with the font's default features, its script and direction guessed from the text
 * as fontkit guesses them, and no language (the default language system), by the font whose
 * parsed object is `key` and whose file is `bytes`. `rtl`: the direction the text is guessed to
 * have; its glyphs come out left to right on the page, as fontkit gives them.
 */
export function shapeText(key: object, bytes: Uint8Array, text: string, rtl: boolean): Shaped {
  const h = harfbuzz();
  const font = hbFont(h, key, bytes);
  if (text.length > textRoom) {
    if (textPtr) h.free(textPtr);
    textRoom = Math.max(256, text.length * 2);
    textPtr = h.malloc(textRoom * 2);
  }
  const units = new Uint16Array(h.memory.buffer, textPtr, text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  h.hb_buffer_clear_contents(buffer);
  h.hb_buffer_set_cluster_level(buffer, HB_BUFFER_CLUSTER_LEVEL_MONOTONE_CHARACTERS);
  h.hb_buffer_add_utf16(buffer, textPtr, text.length, 0, text.length);
  h.hb_buffer_guess_segment_properties(buffer);
  h.hb_shape(font, buffer, 0, 0);
  const n = h.hb_buffer_get_length(buffer);
  // glyph infos: codepoint (the glyph id, after shaping), mask, cluster, two private words;
  // positions: x and y advance, x and y offset, one private word.
  const infos = new Uint32Array(h.memory.buffer, h.hb_buffer_get_glyph_infos(buffer, 0), n * 5);
  const pos = new Int32Array(h.memory.buffer, h.hb_buffer_get_glyph_positions(buffer, 0), n * 5);
  const ids: number[] = new Array(n);
  const characters: number[][] = new Array(n);
  const positions: Shaped['positions'] = new Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = infos[i * 5];
    positions[i] = { xAdvance: pos[i * 5], yAdvance: pos[i * 5 + 1], xOffset: pos[i * 5 + 2], yOffset: pos[i * 5 + 3] };
  }
  // Each cluster's characters go to its first glyph in reading order (right to left: the last on
  // the page), from the cluster's start to the next cluster's; its other glyphs have none.
  const step = rtl ? -1 : 1;
  const cluster = (i: number) => infos[i * 5 + 2];
  for (let i = rtl ? n - 1 : 0; i >= 0 && i < n; i += step) {
    const c = cluster(i);
    const before = i - step;
    if (before >= 0 && before < n && cluster(before) === c) {
      characters[i] = [];
      continue;
    }
    let end = text.length;
    for (let j = i + step; j >= 0 && j < n; j += step) {
      if (cluster(j) !== c) {
        end = cluster(j);
        break;
      }
    }
    const cps: number[] = [];
    for (let k = c; k < end; ) {
      const cp = text.codePointAt(k) as number;
      cps.push(cp);
      k += cp > 0xffff ? 2 : 1;
    }
    characters[i] = cps;
  }
  return { ids, characters, positions };
}
