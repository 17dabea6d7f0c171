import path from 'node:path';
import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';

/**
 * The fonts lettermerge embeds, all from npm packages (never from the system). Each file is
 * parsed once per process: parsing is most of the cost of a letter when done per document.
 */
export type FontStyle = 'regular' | 'bold' | 'italic' | 'boldItalic';

export interface FontFace {
  /** A stable name, used as the PDF resource name and cache key. */
  key: string;
  font: Font;
}

/** Where an @embedpdf font package keeps its files (its exports do not list them). */
function packageFonts(pkg: string): string {
  return path.join(path.dirname(require.resolve(pkg)), '..', 'fonts');
}

export type Family = 'latin' | 'arabic' | 'han';

const FILES: Record<Family, { pkg: string; files: Record<FontStyle, string> }> = {
  latin: {
    pkg: '@embedpdf/fonts-latin',
    files: {
      regular: 'NotoSans-Regular.ttf',
      bold: 'NotoSans-Bold.ttf',
      italic: 'NotoSans-Italic.ttf',
      boldItalic: 'NotoSans-BoldItalic.ttf',
    },
  },
  // No italic in Naskh or Sans SC: italic text uses the upright face of its weight.
  arabic: {
    pkg: '@embedpdf/fonts-arabic',
    files: {
      regular: 'NotoNaskhArabic-Regular.ttf',
      bold: 'NotoNaskhArabic-Bold.ttf',
      italic: 'NotoNaskhArabic-Regular.ttf',
      boldItalic: 'NotoNaskhArabic-Bold.ttf',
    },
  },
  han: {
    pkg: '@embedpdf/fonts-sc',
    files: {
      regular: 'NotoSansHans-Regular.otf',
      bold: 'NotoSansHans-Bold.otf',
      italic: 'NotoSansHans-Regular.otf',
      boldItalic: 'NotoSansHans-Bold.otf',
    },
  },
};

const cache = new Map<string, FontFace>();

/** The face of a family in a style, parsed on first use and kept for the life of the process. */
export function face(family: Family, style: FontStyle): FontFace {
  const file = FILES[family].files[style];
  let f = cache.get(file);
  if (!f) {
    const font = fontkit.create(readFileSync(path.join(packageFonts(FILES[family].pkg), file))) as Font;
    f = { key: file.replace(/\.[ot]tf$/, ''), font };
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

/** Characters that are never drawn and need no glyph. */
export function isInvisible(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x09 || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfeff || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/** The first character of `text` that no bundled font can draw, if any. */
export function firstMissingCharacter(text: string): string | undefined {
  const chain = fallbackChain('latin', 'regular');
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (isInvisible(cp)) continue;
    if (!chain.some((f) => f.font.hasGlyphForCodePoint(cp))) return ch;
  }
  return undefined;
}

/** "U+1F600" */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
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

const widthCache = new WeakMap<Font, Map<string, number>>();

/**
 * Width of `text` in points, measured exactly as pdfkit measures what it draws: the text is laid
 * out in chunks that end after each space or tab, so kerning never spans a space.
 */
export function measure(face: FontFace, text: string, size: number): number {
  let words = widthCache.get(face.font);
  if (!words) {
    words = new Map();
    widthCache.set(face.font, words);
  }
  let units = 0;
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    const end = i === text.length;
    if ((end && last < i) || (!end && (text[i] === ' ' || text[i] === '\t'))) {
      const chunk = text.slice(last, i + 1);
      let w = words.get(chunk);
      if (w === undefined) {
        w = face.font.layout(chunk).advanceWidth;
        words.set(chunk, w);
      }
      units += w;
      last = i + 1;
    }
  }
  return (units * size) / face.font.unitsPerEm;
}
