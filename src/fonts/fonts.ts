import type { Font } from 'fontkit';
import { advanceUnits, openFont } from '../adapter';
import { FILES, fontBytes, fontFile, fontFileError } from './files';
import type { Family, FontStyle } from './files';
import { LetterMergeError } from '../errors';
import { codePointName, isInvisible } from '../text/unicode';

/**
 * The fonts lettermerge embeds, all from npm packages (never from the system). Each file is read
 * once per process and parsed once per thread: parsing is most of the cost of a letter when done
 * per document.
 */
export { fontFile } from './files';
export type { Family, FontStyle, SharedFontFiles } from './files';

export interface FontFace {
  /** A stable name, used as the PDF resource name and cache key. */
  key: string;
  readonly font: Font;
}

const cache = new Map<string, FontFace>();

/** The file a face was read from. */
export function fileOfFace(face: FontFace): string {
  for (const family of Object.keys(FILES) as Family[]) {
    for (const style of Object.keys(FILES[family].files) as FontStyle[]) {
      if (FILES[family].files[style].replace(/\.[ot]tf$/, '') === face.key) return fontFile(family, style);
    }
  }
  throw new Error(`no file for the face ${face.key}`);
}

/**
 * A face whose file is read and parsed when its font is first asked for. A fallback chain names
 * every family, but most letters never reach the last: a Spanish letter need not read Noto Sans
 * SC's two 8 MB files (90 ms and 17 MB in every thread that makes letters).
 */
class LazyFace implements FontFace {
  private parsed: Font | undefined;
  constructor(
    readonly key: string,
    private readonly file: string,
  ) {}
  get font(): Font {
    return (this.parsed ??= openFont(fontBytes(this.file), (err) => fontFileError(this.file, `is not a font lettermerge can read (${err instanceof Error ? err.message : String(err)})`)));
  }
}

/** The face of a family in a style, parsed on first use and kept for the life of the process. */
export function face(family: Family, style: FontStyle): FontFace {
  const file = FILES[family].files[style];
  let f = cache.get(file);
  if (!f) {
    f = new LazyFace(file.replace(/\.[ot]tf$/, ''), fontFile(family, style));
    cache.set(file, f);
  }
  return f;
}

export function latinFace(style: FontStyle): FontFace {
  return face('latin', style);
}

const ORDER: Record<Family, Family[]> = {
  latin: ['latin', 'arabic', 'han'],
  arabic: ['arabic', 'latin', 'han'],
  han: ['han', 'latin', 'arabic'],
};

/** The fonts to try, in order, for text in a letter whose language is set in `primary`. */
export function fallbackChain(primary: Family, style: FontStyle): FontFace[] {
  return ORDER[primary].map((family) => face(family, style));
}



/** Code points a bundled font draws, as found so far: a list's values share a few hundred characters. */
const drawable = new Set<number>();

/** The first character of `text` that no bundled font can draw, if any. */
export function firstMissingCharacter(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i) as number;
    if (cp > 0xffff) i++; // the second half of a surrogate pair
    if (drawable.has(cp) || isInvisible(cp)) continue;
    if (!fallbackChain('latin', 'regular').some((f) => f.font.hasGlyphForCodePoint(cp))) return String.fromCodePoint(cp);
    drawable.add(cp);
  }
  return undefined;
}

/** What to do about a character no bundled font draws, and which scripts they cover. */
export const MISSING_GLYPH_HINT = 'Replace or remove the character; the bundled fonts cover Latin, Greek, Cyrillic, Devanagari, Arabic and Chinese.';

/** The characters of `text` that no bundled font draws, each once, in the order they come. */
function missingCharacters(text: string): string[] {
  const missing: string[] = [];
  for (let rest = text; ; ) {
    const ch = firstMissingCharacter(rest);
    if (ch === undefined) return missing;
    if (!missing.includes(ch)) missing.push(ch);
    rest = rest.slice(rest.indexOf(ch) + ch.length);
  }
}

/** At most this many characters are named in a field; the rest are counted. */
const NAMED_MISSING = 4;

/**
 * A value no bundled font can draw fails the recipient, naming the field: never an empty box.
 * Every such character of every field is named (up to NAMED_MISSING a field), so that one run of
 * validate shows all that must change in the row: a name in Hangul is not mended one letter, or
 * one column, at a time.
 */
export function glyphError(fields: Record<string, string>): LetterMergeError | undefined {
  const found: [string, string[]][] = [];
  for (const [field, value] of Object.entries(fields)) {
    const chars = missingCharacters(value);
    if (chars.length) found.push([field, chars]);
  }
  if (!found.length) return undefined;
  const named = (chars: string[]) =>
    chars
      .slice(0, NAMED_MISSING)
      .map((ch) => `"${ch}" (${codePointName(ch)})`)
      .join(', ') + (chars.length > NAMED_MISSING ? ` and ${chars.length - NAMED_MISSING} more` : '');
  const [[field, chars], ...others] = found;
  const first = chars.length === 1 ? `${field} holds the character ${named(chars)}, which no bundled font can draw` : `${field} holds characters no bundled font can draw: ${named(chars)}`;
  const rest = others.map(([f, c]) => `; ${f} too: ${named(c)}`).join('');
  const one = found.length === 1 && chars.length === 1;
  return new LetterMergeError('MISSING_GLYPH', first + rest, { kind: 'row', location: { field }, hint: one ? MISSING_GLYPH_HINT : MISSING_GLYPH_HINT.replace('the character', 'those characters') });
}

export function styleOf(bold: boolean, italic: boolean): FontStyle {
  if (bold && italic) return 'boldItalic';
  if (bold) return 'bold';
  if (italic) return 'italic';
  return 'regular';
}

/** Vertical metrics in points for a face at a size. */
export function metrics(face: FontFace, size: number): { ascent: number; descent: number } {
  const s = size / face.font.unitsPerEm;
  return { ascent: face.font.ascent * s, descent: -face.font.descent * s };
}

/** Width of `text` in points, measured exactly as pdfkit measures what it draws (see the adapter). */
export function measure(face: FontFace, text: string, size: number): number {
  return (advanceUnits(face.font, text) * size) / face.font.unitsPerEm;
}
