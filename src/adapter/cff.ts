// Part of the adapter (see index.ts): it reads fontkit's parsed CFF table.

/**
 * Subsets of CID-keyed CFF fonts (Noto Sans SC), written here rather than by fontkit's CFFSubset:
 * - fontkit's keeps every subroutine of the font: one font dictionary of Noto Sans SC has 22,293
 *   local subroutines, so each Chinese letter carried an index of them (unused ones as one-byte
 *   stubs). Here each glyph's charstring has its subroutine calls inlined ("desubroutinized"), and
 *   the subset has no subroutines: the same outlines, in a smaller file. Inlined charstrings are
 *   kept per glyph for the life of the process.
 * - fontkit's general encoder sized every DICT and compared every entry with its default for every
 *   subset: 0.2 ms a subset, two or more a Chinese letter. writeCidCff writes the subset in one
 *   pass, with what all subsets of a font share (names, strings, DICT entries) encoded once.
 */
export interface CffEntry {
  offset: number;
  length: number;
}
export interface CffTable {
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

/** A Type 2 operand at code[i]: its value and how many bytes it takes (CFF spec, Type 2 charstrings 3.2). */
function operand(code: Uint8Array, i: number): { value: number; len: number } {
  const b = code[i];
  if (b === 28) return { value: ((code[i + 1] << 24) >> 16) | code[i + 2], len: 3 };
  if (b <= 246) return { value: b - 139, len: 1 };
  if (b <= 250) return { value: (b - 247) * 256 + code[i + 1] + 108, len: 2 };
  if (b <= 254) return { value: -(b - 251) * 256 - code[i + 1] - 108, len: 2 };
  return { value: ((code[i + 1] << 24) | (code[i + 2] << 16) | (code[i + 3] << 8) | code[i + 4]) / 65536, len: 5 };
}

/**
 * Rewrites one glyph's charstring with its subroutines inlined. The state is the charstring
 * being written, the operand stack (with where each operand starts in the output, so that a
 * subroutine index can be taken back out), and the count of stem hints, which a hint mask needs.
 */
class Inliner {
  readonly out: number[] = [];
  private stack: number[] = [];
  private starts: number[] = [];
  private stems = 0;
  private ended = false;
  private depth = 0;

  constructor(
    private readonly gid: number,
    private readonly subroutine: (local: boolean, index: number) => Uint8Array | undefined,
  ) {}

  run(code: Uint8Array): void {
    if (++this.depth > 10) throw new Error(`charstring of glyph ${this.gid} nests subroutines too deeply`);
    let i = 0;
    while (i < code.length && !this.ended) {
      const b = code[i];
      if (b === 28 || b >= 32) i += this.push(code, i);
      else if (b === 10 || b === 29) {
        this.call(b === 10);
        i++;
      } else if (b === 11) break; // return
      else i += this.operator(code, i);
    }
    this.depth--;
  }

  private push(code: Uint8Array, i: number): number {
    const { value, len } = operand(code, i);
    this.starts.push(this.out.length);
    this.stack.push(value);
    for (let k = 0; k < len; k++) this.out.push(code[i + k]);
    return len;
  }

  /** callsubr / callgsubr: drop the index operand, run the subroutine in place. */
  private call(local: boolean): void {
    const index = this.stack.pop() as number;
    this.out.length = this.starts.pop() as number;
    const code = this.subroutine(local, index);
    if (!code) throw new Error(`charstring of glyph ${this.gid} calls a missing subroutine`);
    this.run(code);
  }

  /** Any other operator: copied, with the hint mask bytes that follow hintmask and cntrmask. */
  private operator(code: Uint8Array, i: number): number {
    const b = code[i];
    let len = 1;
    if (b === 14) {
      this.out.push(14); // endchar
      this.ended = true;
      return len;
    }
    if (b === 1 || b === 3 || b === 18 || b === 23) this.stems += this.stack.length >> 1; // stem hints
    if (b === 19 || b === 20) {
      // hintmask / cntrmask: operands left on the stack are implicit vertical stems; the mask
      // that follows has one bit per stem.
      this.stems += this.stack.length >> 1;
      len = 1 + ((this.stems + 7) >> 3);
    } else if (b === 12) {
      len = 2;
    }
    for (let k = 0; k < len; k++) this.out.push(code[i + k]);
    this.stack = [];
    this.starts = [];
    return len;
  }
}

/** A Type 2 charstring with every callsubr and callgsubr replaced by the subroutine's code. */
export function desubroutinize(cff: CffTable, gid: number): Uint8Array {
  let perFont = inlined.get(cff);
  if (!perFont) inlined.set(cff, (perFont = new Map()));
  const known = perFont.get(gid);
  if (known) return known;
  const fd = cff.fdForGlyph(gid);
  const local = (fd !== null && cff.topDict.FDArray ? cff.topDict.FDArray[fd]?.Private?.Subrs : cff.topDict.Private?.Subrs) ?? [];
  const global = cff.globalSubrIndex ?? [];
  const inliner = new Inliner(gid, (isLocal, index) => {
    const subrs = isLocal ? local : global;
    const entry = subrs[index + subrBias(subrs.length)];
    if (!entry) return undefined;
    cff.stream.pos = entry.offset;
    return cff.stream.readBuffer(entry.length);
  });
  inliner.run(cff.getCharString(gid));
  const result = Uint8Array.from(inliner.out);
  perFont.set(gid, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// The subset's CFF font program, written directly.

/** What the writer reads of fontkit's parsed CFF table, besides what desubroutinize reads. */
export interface CffSource extends CffTable {
  isCIDFont: boolean;
  postscriptName: string;
  string(sid: number | null | undefined): string | null;
  topDict: CffTable['topDict'] & Record<string, unknown>;
}

type Dict = Record<string, unknown>;
/** A DICT entry: operator (one byte, or 12 and a second byte), key in fontkit's parsed dict, default. */
type Op = [op: number | [number, number], key: string, fallback: unknown];

/** The Top DICT entries a subset copies (CFF spec, table 9), in fontkit's order; the names are SIDs. */
const TOP_NAMES = ['version', 'Notice', 'Copyright', 'FullName', 'FamilyName', 'Weight'] as const;
const TOP_OPS: Op[] = [
  [0, 'version', null],
  [1, 'Notice', null],
  [[12, 0], 'Copyright', null],
  [2, 'FullName', null],
  [3, 'FamilyName', null],
  [4, 'Weight', null],
  [[12, 1], 'isFixedPitch', false],
  [[12, 2], 'ItalicAngle', 0],
  [[12, 3], 'UnderlinePosition', -100],
  [[12, 4], 'UnderlineThickness', 50],
  [[12, 5], 'PaintType', 0],
  [[12, 6], 'CharstringType', 2],
  [[12, 7], 'FontMatrix', [0.001, 0, 0, 0.001, 0, 0]],
  [5, 'FontBBox', [0, 0, 0, 0]],
  [[12, 8], 'StrokeWidth', 0],
  [[12, 31], 'CIDFontVersion', 0],
  [[12, 32], 'CIDFontRevision', 0],
  [[12, 33], 'CIDFontType', 0],
];
/** A Font DICT's entries besides Private (table 10 lists them with the Top DICT's). */
const FONT_OPS: Op[] = [
  [[12, 7], 'FontMatrix', [0.001, 0, 0, 0.001, 0, 0]],
  [[12, 5], 'PaintType', 0],
];
/** The Private DICT (table 23), without Subrs: the subset's charstrings call no subroutines. */
const PRIVATE_OPS: Op[] = [
  [6, 'BlueValues', null],
  [7, 'OtherBlues', null],
  [8, 'FamilyBlues', null],
  [9, 'FamilyOtherBlues', null],
  [[12, 9], 'BlueScale', 0.039625],
  [[12, 10], 'BlueShift', 7],
  [[12, 11], 'BlueFuzz', 1],
  [10, 'StdHW', null],
  [11, 'StdVW', null],
  [[12, 12], 'StemSnapH', null],
  [[12, 13], 'StemSnapV', null],
  [[12, 14], 'ForceBold', false],
  [[12, 17], 'LanguageGroup', 0],
  [[12, 18], 'ExpansionFactor', 0.06],
  [[12, 19], 'initialRandomSeed', 0],
  [20, 'defaultWidthX', 0],
  [21, 'nominalWidthX', 0],
];

/** A DICT number (CFF spec, table 3 and 5): the shortest integer form, or a real in nibbles. */
function pushNumber(out: number[], v: number): void {
  if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
    if (v >= -107 && v <= 107) out.push(v + 139);
    else if (v >= 108 && v <= 1131) out.push(((v - 108) >> 8) + 247, (v - 108) & 0xff);
    else if (v >= -1131 && v <= -108) out.push(((-v - 108) >> 8) + 251, (-v - 108) & 0xff);
    else if (v >= -32768 && v <= 32767) out.push(28, (v >> 8) & 0xff, v & 0xff);
    else pushInt32(out, v);
    return;
  }
  if (!Number.isFinite(v)) throw new Error(`a CFF DICT cannot hold ${v}`);
  const nibbles: number[] = [];
  const text = String(v).toLowerCase();
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '.') nibbles.push(0xa);
    else if (c === '-') nibbles.push(0xe);
    else if (c === 'e') {
      if (text[i + 1] === '-') {
        nibbles.push(0xc);
        i++;
      } else {
        nibbles.push(0xb);
        if (text[i + 1] === '+') i++;
      }
    } else nibbles.push(c.charCodeAt(0) - 48);
  }
  nibbles.push(0xf);
  if (nibbles.length % 2) nibbles.push(0xf);
  out.push(30);
  for (let i = 0; i < nibbles.length; i += 2) out.push((nibbles[i] << 4) | nibbles[i + 1]);
}

/** An integer in the five-byte form, whatever its value: an offset written before it is known. */
function pushInt32(out: number[], v: number): void {
  out.push(29, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function pushOp(out: number[], op: number | [number, number]): void {
  if (typeof op === 'number') out.push(op);
  else out.push(op[0], op[1]);
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** The DICT entries of `dict` that `ops` name, those at their default left out, as fontkit does. */
function pushDict(out: number[], ops: Op[], dict: Dict, value: (key: string, v: unknown) => unknown = (_, v) => v): void {
  for (const [op, key, fallback] of ops) {
    const v = dict[key];
    if (v === null || v === undefined || same(v, fallback)) continue;
    const operands = value(key, v);
    for (const x of Array.isArray(operands) ? operands : [operands]) pushNumber(out, typeof x === 'boolean' ? +x : (x as number));
    pushOp(out, op);
  }
}

/** A CFF INDEX of `items` (CFF spec, 5): count, offset size, offsets from 1, then the data. */
function indexSize(items: readonly { length: number }[]): { size: number; offSize: number } {
  if (items.length === 0) return { size: 2, offSize: 0 };
  let data = 0;
  for (const item of items) data += item.length;
  const offSize = data + 1 < 0x100 ? 1 : data + 1 < 0x10000 ? 2 : data + 1 < 0x1000000 ? 3 : 4;
  return { size: 3 + (items.length + 1) * offSize + data, offSize };
}

function writeIndex(out: Uint8Array, at: number, items: readonly ArrayLike<number>[]): number {
  const { size, offSize } = indexSize(items);
  out[at] = items.length >> 8;
  out[at + 1] = items.length & 0xff;
  if (items.length === 0) return at + 2;
  out[at + 2] = offSize;
  let offsetAt = at + 3;
  let dataAt = at + 3 + (items.length + 1) * offSize;
  let offset = 1;
  const putOffset = () => {
    for (let k = offSize - 1; k >= 0; k--) out[offsetAt++] = (offset >>> (8 * k)) & 0xff;
  };
  for (const item of items) {
    putOffset();
    out.set(item, dataAt);
    dataAt += item.length;
    offset += item.length;
  }
  putOffset();
  return at + size;
}

/** What every subset of a font shares: the header, names, strings, and each font dictionary's entries. */
interface Shared {
  name: Uint8Array;
  strings: Uint8Array[];
  /** The Top DICT without its offsets and CID count. */
  top: number[];
  /** Per font dictionary (its index in the font's FDArray): its Font DICT entries and its Private DICT. */
  fonts: Map<number, { font: number[]; priv: Uint8Array }>;
}

const shared = new WeakMap<CffSource, Shared>();

/** The first standard string id not in the CFF's predefined table (CFF spec, appendix A). */
const FIRST_CUSTOM_SID = 391;

function sharedOf(cff: CffSource): Shared {
  let s = shared.get(cff);
  if (s) return s;
  const latin1 = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));
  const strings: string[] = [];
  const sid = (text: string) => FIRST_CUSTOM_SID + strings.push(text) - 1;
  const names = new Map<string, number>();
  for (const key of TOP_NAMES) {
    const text = cff.string(cff.topDict[key] as number | null);
    if (text) names.set(key, sid(text));
  }
  const top: number[] = [];
  pushNumber(top, sid('Adobe'));
  pushNumber(top, sid('Identity'));
  pushNumber(top, 0);
  pushOp(top, [12, 30]); // ROS: the Top DICT of a CIDFont starts with it
  pushDict(top, TOP_OPS, cff.topDict, (key, v) => names.get(key) ?? v);
  s = { name: latin1(cff.postscriptName), strings: strings.map(latin1), top, fonts: new Map() };
  shared.set(cff, s);
  return s;
}

/** The Font DICT entries and the Private DICT of font dictionary `fd`. */
function fontOf(cff: CffSource, s: Shared, fd: number): { font: number[]; priv: Uint8Array } {
  let f = s.fonts.get(fd);
  if (!f) {
    const source = (cff.topDict.FDArray as Dict[] | undefined)?.[fd];
    if (!source) throw new Error(`the CFF font has no font dictionary ${fd}`);
    const font: number[] = [];
    pushDict(font, FONT_OPS, source);
    const priv: number[] = [];
    pushDict(priv, PRIVATE_OPS, (source.Private as Dict | undefined) ?? {});
    f = { font, priv: Uint8Array.from(priv) };
    s.fonts.set(fd, f);
  }
  return f;
}

/**
 * The font program of a subset of a CID-keyed CFF font (CFF spec; CIDFontType0C in a PDF):
 * `glyphs` are the font's glyph ids, .notdef first and the rest in increasing order, and each
 * glyph's CID is its own id (the charset says so). Charstrings have their subroutines inlined
 * (desubroutinize), so the subset has none. It holds what fontkit's CFFSubset writes, less the
 * subroutines and the font's unique ids, and is written in one pass: fontkit's general encoder
 * sized every DICT and compared every entry with its default, for every letter.
 *
 * Layout: header, Name INDEX, Top DICT INDEX, String INDEX, an empty Global Subr INDEX, then the
 * charset, FDSelect, CharStrings INDEX, Font DICT INDEX and the Private DICTs. Offsets in DICTs
 * take five bytes each, so the Top DICT's size is known before where things go.
 */
export function writeCidCff(cff: CffSource, glyphs: readonly number[]): Uint8Array {
  if (!cff.isCIDFont) throw new Error('writeCidCff writes subsets of CID-keyed CFF fonts only');
  const s = sharedOf(cff);
  const charstrings = glyphs.map((gid) => desubroutinize(cff, gid));
  // Font dictionaries in order of first use, and each glyph's index among them.
  const used: number[] = [];
  const slot = new Map<number, number>();
  const select = new Uint8Array(glyphs.length);
  glyphs.forEach((gid, i) => {
    const fd = cff.fdForGlyph(gid) ?? 0;
    let k = slot.get(fd);
    if (k === undefined) {
      k = used.push(fd) - 1;
      slot.set(fd, k);
    }
    select[i] = k;
  });
  if (used.length > 255) throw new Error('a CFF subset uses more than 255 font dictionaries');
  const fonts = used.map((fd) => fontOf(cff, s, fd));
  const topSize = s.top.length + 7 + 6 + 7 + 6 + 7; // CIDCount, charset, FDSelect, CharStrings, FDArray
  const header = 4;
  const nameIndex = indexSize([s.name]).size;
  const topIndex = indexSize([{ length: topSize }]).size;
  const stringIndex = indexSize(s.strings).size;
  const charsetAt = header + nameIndex + topIndex + stringIndex + 2;
  const fdSelectAt = charsetAt + 1 + 2 * (glyphs.length - 1);
  const charStringsAt = fdSelectAt + 1 + glyphs.length;
  const fdArrayAt = charStringsAt + indexSize(charstrings).size;
  const fontDictSize = (f: { font: number[] }) => f.font.length + 5 + 5 + 1;
  let privateAt = fdArrayAt + indexSize(fonts.map((f) => ({ length: fontDictSize(f) }))).size;
  const end = privateAt + fonts.reduce((n, f) => n + f.priv.length, 0);

  const top = [...s.top];
  pushInt32(top, Math.max(...glyphs) + 1);
  pushOp(top, [12, 34]); // CIDCount
  pushInt32(top, charsetAt);
  pushOp(top, 15);
  pushInt32(top, fdSelectAt);
  pushOp(top, [12, 37]);
  pushInt32(top, charStringsAt);
  pushOp(top, 17);
  pushInt32(top, fdArrayAt);
  pushOp(top, [12, 36]);
  const fontDicts = fonts.map((f) => {
    const d = [...f.font];
    pushInt32(d, f.priv.length);
    pushInt32(d, privateAt);
    pushOp(d, 18); // Private: size and offset
    privateAt += f.priv.length;
    return d;
  });

  const out = new Uint8Array(end);
  out.set([1, 0, header, 4]); // major, minor, header size, offset size
  let at = writeIndex(out, header, [s.name]);
  at = writeIndex(out, at, [top]);
  at = writeIndex(out, at, s.strings);
  at = writeIndex(out, at, []); // Global Subr INDEX
  out[at++] = 0; // charset, format 0: each glyph's CID after .notdef
  for (let i = 1; i < glyphs.length; i++) {
    out[at++] = glyphs[i] >> 8;
    out[at++] = glyphs[i] & 0xff;
  }
  out[at++] = 0; // FDSelect, format 0: each glyph's font dictionary
  out.set(select, at);
  at = writeIndex(out, at + select.length, charstrings);
  at = writeIndex(out, at, fontDicts);
  for (const f of fonts) {
    out.set(f.priv, at);
    at += f.priv.length;
  }
  if (at !== end) throw new Error(`CFF subset written to ${at} of ${end} bytes`);
  return out;
}
