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

function latinDir(): string {
  // The package's exports do not list the font files; they sit in fonts/ beside dist/.
  return path.join(path.dirname(require.resolve('@embedpdf/fonts-latin')), '..', 'fonts');
}

const FILES: Record<FontStyle, string> = {
  regular: 'NotoSans-Regular.ttf',
  bold: 'NotoSans-Bold.ttf',
  italic: 'NotoSans-Italic.ttf',
  boldItalic: 'NotoSans-BoldItalic.ttf',
};

const cache = new Map<string, FontFace>();

function load(key: string, file: string): FontFace {
  let face = cache.get(key);
  if (!face) {
    const font = fontkit.create(readFileSync(file)) as Font;
    face = { key, font };
    cache.set(key, face);
  }
  return face;
}

export function latinFace(style: FontStyle): FontFace {
  return load(`NotoSans-${style}`, path.join(latinDir(), FILES[style]));
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
