// Part of the adapter (see index.ts): it reads fontkit's parsed CFF table.

/**
 * fontkit's CFF subsetter (used for Noto Sans SC) keeps every subroutine of the font: one font
 * dictionary of Noto Sans SC has 22,293 local subroutines, so each Chinese letter carried an index
 * of them (unused ones as one-byte stubs) and spent most of its time writing it. Instead, each
 * glyph's charstring is written with its subroutine calls inlined ("desubroutinized"), and the
 * subset has no subroutines at all: the same outlines, in a smaller file, made faster. Inlined
 * charstrings are kept per glyph for the life of the process.
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

