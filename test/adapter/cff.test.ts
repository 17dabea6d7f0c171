import { readFileSync } from 'node:fs';
import { openFont } from '../../src/adapter';
import { desubroutinize, writeCidCff } from '../../src/adapter/cff';
import type { CffSource } from '../../src/adapter/cff';
import { fontFile } from '../../src/fonts/fonts';

// A reader of the parts of a CFF font program (Adobe TN 5176) the subset writer writes, written
// from the specification, to check the writer against it rather than against itself.

function readIndex(b: Buffer, at: number): { items: Buffer[]; end: number } {
  const count = b.readUInt16BE(at);
  if (count === 0) return { items: [], end: at + 2 };
  const offSize = b[at + 2];
  const offsets = Array.from({ length: count + 1 }, (_, i) => b.readUIntBE(at + 3 + i * offSize, offSize));
  const data = at + 3 + (count + 1) * offSize - 1;
  return { items: offsets.slice(0, -1).map((o, i) => b.subarray(data + o, data + offsets[i + 1])), end: data + offsets[count] };
}

/** A DICT as operator (12 x as 1200 + x) to operands. */
function readDict(d: Buffer): Map<number, number[]> {
  const dict = new Map<number, number[]>();
  let operands: number[] = [];
  let done: boolean;
  for (let i = 0; i < d.length; ) {
    const b = d[i];
    if (b <= 21) {
      const op = b === 12 ? 1200 + d[i + 1] : b;
      i += b === 12 ? 2 : 1;
      dict.set(op, operands);
      operands = [];
    } else if (b === 28) {
      operands.push(d.readInt16BE(i + 1));
      i += 3;
    } else if (b === 29) {
      operands.push(d.readInt32BE(i + 1));
      i += 5;
    } else if (b === 30) {
      // A real, in nibbles: digits, '.', 'E', 'E-', (reserved), '-', then 0xf to end it.
      let text = '';
      for (i++, done = false; !done; i++) {
        for (const n of [d[i] >> 4, d[i] & 15]) {
          if (n === 15) {
            done = true;
            break;
          }
          text += ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.', 'E', 'E-', '?', '-'][n];
        }
      }
      operands.push(Number(text));
    } else if (b <= 246) {
      operands.push(b - 139);
      i++;
    } else if (b <= 250) {
      operands.push((b - 247) * 256 + d[i + 1] + 108);
      i += 2;
    } else {
      operands.push(-(b - 251) * 256 - d[i + 1] - 108);
      i += 2;
    }
  }
  return dict;
}

/** The Private DICT entries of fontkit's parsed dict, as operator to operands (defaults left out, as the writer does). */
const PRIVATE: [number, string][] = [
  [6, 'BlueValues'],
  [7, 'OtherBlues'],
  [1209, 'BlueScale'],
  [1210, 'BlueShift'],
  [1211, 'BlueFuzz'],
  [10, 'StdHW'],
  [11, 'StdVW'],
  [1212, 'StemSnapH'],
  [1213, 'StemSnapV'],
  [1218, 'ExpansionFactor'],
  [20, 'defaultWidthX'],
];

function parse(cff: Buffer) {
  const name = readIndex(cff, cff[2]);
  const top = readIndex(cff, name.end);
  const strings = readIndex(cff, top.end);
  const gsubrs = readIndex(cff, strings.end);
  const dict = readDict(top.items[0]);
  const sid = (n: number) => strings.items[n - 391].toString('latin1');
  const charStrings = readIndex(cff, dict.get(17)![0]).items;
  const n = charStrings.length;
  const charsetAt = dict.get(15)![0];
  expect(cff[charsetAt]).toBe(0);
  const cids = [0, ...Array.from({ length: n - 1 }, (_, i) => cff.readUInt16BE(charsetAt + 1 + 2 * i))];
  const fdSelectAt = dict.get(1237)![0];
  expect(cff[fdSelectAt]).toBe(0);
  const fds = [...cff.subarray(fdSelectAt + 1, fdSelectAt + 1 + n)];
  const privates = readIndex(cff, dict.get(1236)![0]).items.map((fontDict) => {
    const [size, offset] = readDict(fontDict).get(18)!;
    return readDict(cff.subarray(offset, offset + size));
  });
  return { name: name.items[0].toString('latin1'), dict, sid, gsubrs: gsubrs.items.length, charStrings, cids, fds, privates };
}

describe("a CID-keyed CFF font's subsets", () => {
  const font = openFont(readFileSync(fontFile('han', 'regular'))) as unknown as { 'CFF ': CffSource; glyphForCodePoint(c: number): { id: number } };
  const cff = font['CFF '];
  const glyphsOf = (text: string) => [0, ...new Set([...text].map((c) => font.glyphForCodePoint(c.codePointAt(0)!).id))].sort((a, b) => a - b);

  it('hold the glyphs asked for, as CIDs that are their glyph ids, with their subroutines inlined and their own private dictionaries', () => {
    const glyphs = glyphsOf('尊敬的张伟先生：联合国秘书长 2026 年 ABC');
    const subset = parse(Buffer.from(writeCidCff(cff, glyphs)));
    expect(subset.name).toBe(cff.postscriptName);
    const [registry, ordering, supplement] = subset.dict.get(1230)!;
    expect([subset.sid(registry), subset.sid(ordering), supplement]).toEqual(['Adobe', 'Identity', 0]);
    expect(subset.sid(subset.dict.get(2)![0])).toBe(cff.string(cff.topDict.FullName as number));
    expect(subset.dict.get(5)).toEqual(cff.topDict.FontBBox);
    expect(subset.dict.get(1234)).toEqual([Math.max(...glyphs) + 1]); // CIDCount
    expect(subset.gsubrs).toBe(0);
    expect(subset.cids).toEqual(glyphs);
    expect(subset.charStrings.map((c) => Buffer.from(c).toString('hex'))).toEqual(glyphs.map((g) => Buffer.from(desubroutinize(cff, g)).toString('hex')));
    // Glyphs from several of the font's dictionaries, each glyph with its own dictionary's hints.
    const source = cff.topDict.FDArray as unknown as { Private: Record<string, unknown> }[];
    expect(new Set(glyphs.map((g) => cff.fdForGlyph(g))).size).toBeGreaterThan(2);
    glyphs.forEach((g, i) => {
      const priv = subset.privates[subset.fds[i]];
      const expected = source[cff.fdForGlyph(g)!].Private;
      expect(priv.has(19)).toBe(false); // no Subrs
      for (const [op, key] of PRIVATE) {
        const v = expected[key];
        if (priv.has(op)) expect([key, priv.get(op)]).toEqual([key, Array.isArray(v) ? v : [v]]);
      }
      expect(priv.get(10)).toEqual([expected.StdHW]);
    });
  });

  it('write real numbers in their dictionaries as they are', () => {
    const fd = cff.fdForGlyph(glyphsOf('中')[1])!;
    const real = { BlueScale: 0.0123, ExpansionFactor: 1e-7, BlueFuzz: 0, StdHW: 78.5, StemSnapH: [-2.25, 1234567, 1.5e21] };
    const fdArray = (cff.topDict.FDArray as unknown as { Private: object }[]).map((d, i) => (i === fd ? { ...d, Private: { ...d.Private, ...real } } : d));
    const variant = Object.create(cff, { topDict: { value: { ...cff.topDict, FDArray: fdArray } } }) as CffSource;
    const subset = parse(Buffer.from(writeCidCff(variant, glyphsOf('中'))));
    const priv = subset.privates[subset.fds[1]];
    expect(priv.get(1209)).toEqual([0.0123]);
    expect(priv.get(1218)).toEqual([1e-7]);
    expect(priv.get(1211)).toEqual([0]);
    expect(priv.get(10)).toEqual([78.5]);
    expect(priv.get(1212)).toEqual([-2.25, 1234567, 1.5e21]);
  });
});

describe("a font's subsets, kept for the letters after", () => {
  it('are found again for the same glyphs in any order, and made anew for other glyphs', () => {
    const font = openFont(readFileSync(fontFile('han', 'regular'))) as unknown as { createSubset(): { includeGlyph(id: number): number; encode(): Uint8Array } };
    const subsetOf = (ids: number[]) => {
      const s = font.createSubset();
      for (const id of ids) s.includeGlyph(id);
      return s.encode();
    };
    const a = subsetOf([1200, 3400, 5600, 7800]);
    expect(subsetOf([7800, 5600, 1200, 3400])).toBe(a);
    const other = subsetOf([1200, 3400, 5600, 7801]);
    expect(other).not.toBe(a);
    expect(Buffer.from(other).equals(Buffer.from(a))).toBe(false);
    // A set of as many glyphs, with the same sum of ids.
    const sameSum = subsetOf([1201, 3399, 5600, 7800]);
    expect(Buffer.from(sameSum).equals(Buffer.from(a))).toBe(false);
  });
});
