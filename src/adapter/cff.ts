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
