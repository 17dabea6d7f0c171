import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Font } from 'fontkit';
import { openFont, setHarfBuzzShaping, shapedByHarfBuzz } from '../../src/adapter';
import { fontFile } from '../../src/fonts/fonts';
import type { Family, FontStyle } from '../../src/fonts/fonts';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { variedRows } = require('../../bench/varied') as { variedRows(n: number, lang: string, seed?: number): Record<string, string>[] };

const TEMPLATES = path.join(__dirname, '..', '..', 'templates', 'wsis-trust-fund-2022');

/** Pieces of text as pdfkit shapes them: each ends after a space or a tab. */
function chunks(text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    if ((i === text.length && last < i) || text[i] === ' ' || text[i] === '\t') {
      out.push(text.slice(last, i + 1));
      last = i + 1;
    }
  }
  return out;
}

/** Every piece of the bundled campaign's text in every language, and of varied recipients' fields. */
function corpus(): string[] {
  const texts: string[] = [];
  for (const lang of readdirSync(TEMPLATES)) {
    const dir = path.join(TEMPLATES, lang);
    if (!/^[a-z]{2}$/.test(lang)) continue;
    for (const f of readdirSync(dir)) texts.push(...readFileSync(path.join(dir, f), 'utf8').split('\n'));
    for (const row of variedRows(25, lang, 11)) for (const v of Object.values(row)) texts.push(...v.split('\n'));
  }
  return [...new Set(texts.flatMap(chunks))];
}

/** Characters HarfBuzz and fontkit might treat apart, each in a word. */
const HARD = [
  'office ﬁnal ffi ffl fj', // ligatures
  'Nguyễn Thị Ịch Đặng Ỷ', // Vietnamese: precomposed letters the font may draw in pieces
  'Ǆemal ǅ ǆ Ĳssel', // digraph letters
  'Ἀθῆναι Ελλάδα', // Greek
  'AVATAR WAVE Type Yo LT', // kerning pairs
  'e\u0301 a\u0308 n\u0303', // base and combining mark: fontkit's shaper
  'soft\u00adhyphen zero\u200bwidth joiner\u200dhere', // default ignorables: fontkit's shaper
  '1\u20442 3\u20444', // fraction slash: fontkit's shaper
  'non\u2011breaking en\u2002space thin\u2009space', // spaces and hyphens HarfBuzz replaces when missing
  'N\u00b0 12\u00a0345 — «quoted» ‘single’ “double” …',
  'Ünïcödé Straße Łódź Øresund Ærø Şişli Čačak',
  'Улица Пушкина, дом 7 — «Ёлка»',
  '𝐁𝐨𝐥𝐝 𝔉𝔯𝔞𝔨𝔱𝔲𝔯', // outside the font
  'tab\there',
  '(مرفق) «دعوة» [١٢] لام‌ألف لا لأ', // brackets in right-to-left text, a zero-width non-joiner
  'بِسْمِ اللّٰهِ', // Arabic marks: fontkit's shaper
];

/** Glyph ids, each glyph's characters, and positions of `text` shaped by `font`. */
function shape(font: Font, text: string) {
  const run = font.layout(text) as unknown as { glyphs: { id: number; codePoints: number[] }[]; positions: Record<string, number>[]; advanceWidth: number };
  return {
    ids: run.glyphs.map((g) => g.id),
    characters: run.glyphs.map((g) => g.codePoints),
    positions: run.positions.map((p) => [p.xAdvance, p.yAdvance, p.xOffset, p.yOffset]),
    advanceWidth: run.advanceWidth,
  };
}

describe("HarfBuzz's shaping, where it is used, is fontkit's", () => {
  const texts = [...corpus(), ...HARD.flatMap(chunks)];
  const faces: [Family, FontStyle][] = [
    ['latin', 'regular'],
    ['latin', 'bold'],
    ['latin', 'italic'],
    ['latin', 'boldItalic'],
    ['arabic', 'regular'],
    ['arabic', 'bold'],
    ['han', 'regular'],
    ['han', 'bold'],
  ];
  afterEach(() => setHarfBuzzShaping(true));

  it.each(faces)('%s %s: the same glyphs, characters and positions for every piece of text', (family, style) => {
    const font = openFont(readFileSync(fontFile(family, style)));
    let byHarfBuzz = 0;
    for (const text of texts) {
      setHarfBuzzShaping(true);
      const used = shapedByHarfBuzz(font, text);
      const harfBuzz = shape(font, text);
      setHarfBuzzShaping(false);
      expect(shapedByHarfBuzz(font, text)).toBe(false);
      const fontkit = shape(font, text);
      if (used) byHarfBuzz++;
      expect({ text, ...harfBuzz }).toEqual({ text, ...fontkit });
    }
    setHarfBuzzShaping(true);
    // HarfBuzz shapes most of the text a font draws (not the words of other scripts), but no
    // right-to-left text with a bracket or another mirrored character.
    const own = texts.filter((t) => (family === 'latin' ? /\p{Script=Latin}|\p{Script=Cyrillic}/u : family === 'han' ? /\p{Script=Han}/u : /\p{Script=Arabic}/u).test(t));
    expect(own.filter((t) => shapedByHarfBuzz(font, t)).length / own.length).toBeGreaterThan(0.9);
    expect(byHarfBuzz).toBeGreaterThan(own.length * 0.9);
    for (const text of texts) if (/^[^\p{L}]*\p{Script=Arabic}/u.test(text) && /[()«»[\]]/.test(text)) expect(shapedByHarfBuzz(font, text)).toBe(false);
  });

  it('leaves to fontkit what HarfBuzz would draw otherwise', () => {
    const font = openFont(readFileSync(fontFile('latin', 'regular')));
    for (const text of ['e\u0301', 'soft\u00adhyphen', 'zero\u200bwidth', '1\u20442', 'tab\there', '𝐁𝐨𝐥𝐝', 'دعوة']) expect(shapedByHarfBuzz(font, text)).toBe(false);
    const arabic = openFont(readFileSync(fontFile('arabic', 'regular')));
    for (const text of ['«دعوة', '(مرفق)', 'بِسْمِ']) expect(shapedByHarfBuzz(arabic, text)).toBe(false);
    for (const text of ['دعوة ', 'لا ', 'مرفق.', '١٢']) expect(shapedByHarfBuzz(arabic, text)).toBe(true);
    for (const text of ['Nguyễn ', 'office ', 'Улица ', 'Ελλάδα', '12\u00a0345']) expect(shapedByHarfBuzz(font, text)).toBe(true);
    // A run with features asked for is fontkit's: HarfBuzz is given none.
    const run = font.layout('office', ['smcp']) as unknown as { script?: string };
    expect(run.script).toBe('latn');
  });
});
