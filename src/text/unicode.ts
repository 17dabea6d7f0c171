/**
 * Character classes lettermerge treats specially, defined once.
 *
 * Bidi formatting characters steer the Unicode bidirectional algorithm and are never drawn:
 * LRM, RLM (U+200E, U+200F), the embeddings and overrides LRE, RLE, PDF, LRO, RLO
 * (U+202A–U+202E), and the isolates LRI, RLI, FSI, PDI (U+2066–U+2069).
 */
export const BIDI_CONTROL_CLASS = '\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';

export const LRM = '\u200e';
export const LRI = '\u2066';
export const PDI = '\u2069';

export function isBidiControl(cp: number): boolean {
  return cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

const BIDI_CONTROLS = new RegExp(`[${BIDI_CONTROL_CLASS}]`, 'g');

/** The text without its bidi formatting characters. */
export function withoutBidiControls(s: string): string {
  return s.replace(BIDI_CONTROLS, '');
}

/** The bidi formatting characters that open a scope: LRE, RLE, LRO, RLO (closed by PDF, U+202C) and LRI, RLI, FSI (closed by PDI, U+2069). */
const OPENS_EMBEDDING = /[\u202a\u202b\u202d\u202e]/;
const OPENS_ISOLATE = /[\u2066-\u2068]/;
const PDF = '\u202c';
const HAS_SCOPED_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * The text with its bidi embeddings, overrides and isolates closed within it: an opening left
 * open is closed at the end, a closing with nothing to close is taken out (as the algorithm
 * ignores it). A value merged into a line then steers only its own characters: an embedding a
 * cell leaves open would turn the words after it in the letter, and a stray closing could end one
 * the line opened before it. What shows of the value itself is unchanged.
 */
export function closedBidiScopes(s: string): string {
  if (!HAS_SCOPED_CONTROL.test(s)) return s;
  const open: string[] = [];
  let out = '';
  for (const ch of s) {
    if (OPENS_EMBEDDING.test(ch)) open.push(PDF);
    else if (OPENS_ISOLATE.test(ch)) open.push(PDI);
    else if (ch === PDF) {
      // Closes the last embedding, but none opened outside the isolate it is in.
      if (open[open.length - 1] !== PDF) continue;
      open.pop();
    } else if (ch === PDI) {
      // Closes the last isolate and the embeddings opened within it.
      const at = open.lastIndexOf(PDI);
      if (at < 0) continue;
      open.length = at;
    }
    out += ch;
  }
  return out + open.reverse().join('');
}

/** A left-to-right or right-to-left override (LRO, RLO) in the text, or undefined. */
export function bidiOverride(s: string): string | undefined {
  return /[\u202d\u202e]/.exec(s)?.[0];
}

/** A character's code point as Unicode writes it: "U+00E9". */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * What a name a new file or folder would get should not hold, described, or undefined: a control
 * character (a line break pasted with the command, a script's variable with a newline at its
 * end: “a line break (U+000A)”), made as typed, which no listing shows as it is and the next
 * command's own line cannot name; or, but on Windows, a backslash (a Windows path typed here:
 * "letters\es" would be one folder of that name, not es in letters).
 */
export function badNameCharacter(name: string, platform: string = process.platform): string | undefined {
  const m = /[\u0000-\u001f\u007f-\u009f]/.exec(name);
  if (m) {
    const code = codePointName(m[0]);
    if (m[0] === '\n' || m[0] === '\r') return `a line break (${code})`;
    if (m[0] === '\t') return `a tab (${code})`;
    return `a control character (${code})`;
  }
  if (platform !== 'win32' && name.includes('\\')) return 'a backslash, which separates folders only on Windows: here they are separated by "/"';
  return undefined;
}

/**
 * Characters that take no glyph: line breaks and tabs (laid out, not drawn), zero-width spaces and
 * joiners (U+200B–U+200D), the word joiner (U+2060), the byte order mark, the bidi formatting
 * characters, and a soft hyphen typed in the text (lettermerge hyphenates by itself, and draws its
 * own at a line end).
 */
export function isInvisible(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x09 || (cp >= 0x200b && cp <= 0x200d) || cp === WORD_JOINER_CP || cp === 0xfeff || cp === 0xad || isBidiControl(cp);
}

/** WORD JOINER: no line breaks before or after it (UAX #14, LB11); it shows nothing. */
export const WORD_JOINER = '\u2060';
const WORD_JOINER_CP = 0x2060;

/**
 * Whether text shows nothing: white space and format characters (Unicode's Cf: zero-width spaces
 * and joiners, the byte order mark, soft hyphens, bidi marks) and nothing else. A spreadsheet cell
 * that holds only such characters, pasted from a web page or a document, looks empty.
 */
export function showsNothing(s: string): boolean {
  return /^[\s\p{Cf}]*$/u.test(s);
}

/**
 * A combining mark (Unicode's M: accents, vowel signs) with no letter before it to sit on: at the
 * start of the text or after a space. It would be drawn over the space, or over nothing.
 */
export function strayMark(s: string): string | undefined {
  return /(?:^|\s)(\p{M})/u.exec(s)?.[1];
}

/**
 * Combining marks one letter may carry: Arabic's most (shadda, a vowel and a small alef) with one
 * to spare. Text written in the letters' languages has no more; a stack of dozens ("Zalgo" text)
 * is drawn up and down over the lines around it, out of any block.
 */
export const MAX_STACKED_MARKS = 4;

const STACKED = new RegExp(`(\\P{M})(\\p{M}{${MAX_STACKED_MARKS + 1},})`, 'u');

/** The first stretch of more than MAX_STACKED_MARKS combining marks in a row, with the letter they sit on. */
export function stackedMarks(s: string): { letter: string; marks: number } | undefined {
  const m = STACKED.exec(s);
  return m ? { letter: m[1], marks: [...m[2]].length } : undefined;
}
