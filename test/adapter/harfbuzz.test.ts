import { readFileSync } from 'node:fs';
import * as fontkit from 'fontkit';
import type { Font } from 'fontkit';
import { trueTypeSubset } from '../../src/adapter/harfbuzz';
import { fontFile } from '../../src/fonts/fonts';

const KEPT = ['head', 'hhea', 'maxp', 'loca', 'glyf', 'hmtx', 'cvt ', 'fpgm', 'prep'];

describe('the TrueType subsets (HarfBuzz, from the font cut down to the tables a PDF keeps)', () => {
  const faces = [fontFile('latin', 'regular'), fontFile('latin', 'bold'), fontFile('latin', 'italic'), fontFile('latin', 'boldItalic'), fontFile('arabic', 'regular'), fontFile('arabic', 'bold')];

  it.each(faces)('%s: each glyph asked for at its id, outline and width as in the font, and no other table', (file) => {
    const bytes = readFileSync(file);
    const whole = fontkit.create(bytes) as Font;
    const key = {};
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let round = 0; round < 8; round++) {
      const glyphs = new Set<number>();
      for (let i = 0, n = 1 + (next() % 60); i < n; i++) glyphs.add(next() % whole.numGlyphs);
      const subset = fontkit.create(Buffer.from(trueTypeSubset(key, bytes, glyphs))) as Font;
      const tables = Object.keys((subset as unknown as { directory: { tables: Record<string, unknown> } }).directory.tables);
      expect(tables.filter((t) => !KEPT.includes(t))).toEqual([]);
      // At their own ids (composites may bring their components, at theirs).
      expect(subset.numGlyphs).toBeGreaterThanOrEqual(Math.max(...glyphs) + 1);
      for (const id of [0, ...glyphs]) {
        expect([id, subset.getGlyph(id).path.toSVG(), subset.getGlyph(id).advanceWidth]).toEqual([id, whole.getGlyph(id).path.toSVG(), whole.getGlyph(id).advanceWidth]);
      }
    }
  });
});
