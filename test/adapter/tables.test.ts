import { glyphTables } from '../../src/adapter';

/** A document's record of a font drawn by glyph id: each glyph's width and text. */
function record(glyphs: [id: number, width: number, text: string][]) {
  return { widths: new Map(glyphs.map(([id, w]) => [id, w])), unicode: new Map(glyphs.map(([id, , text]) => [id, [...text].map((c) => c.codePointAt(0)!)])) };
}

describe("a font's glyph tables (name, widths, ToUnicode map)", () => {
  const font = { postscriptName: 'Probe Sans' } as unknown as Parameters<typeof glyphTables>[0];
  const glyphs: [number, number, string][] = [
    [36, 600, 'A'],
    [37, 620, 'B'],
    [3, 260, ' '],
    [120, 1000, '中'],
  ];

  it('are made from the glyphs drawn: ids in order, widths in runs, a bfchar per glyph with text', () => {
    const t = glyphTables(font, record(glyphs));
    expect(t.ids).toEqual([3, 36, 37, 120]);
    expect(t.W).toEqual([3, [260], 36, [600, 620]]); // 中 is as wide as the default, 1000
    const map = t.toUnicode.toString('latin1');
    expect(map).toContain('4 beginbfchar\n<0003> <0020>\n<0024> <0041>\n<0025> <0042>\n<0078> <4e2d>\nendbfchar');
    expect(map.endsWith('end\nend\n')).toBe(true);
    expect(t.name).toMatch(/^[A-Z]{6}\+Probe_Sans$/);
  });

  it('are made once for the same glyphs, widths and texts, and again when any of them differs', () => {
    const first = glyphTables(font, record(glyphs));
    expect(glyphTables(font, record([...glyphs].reverse()))).toBe(first);
    // The same glyph ids with another text for one glyph (a character the font draws with the same glyph).
    const otherText = glyphTables(font, record(glyphs.map(([id, w, c]) => [id, w, id === 120 ? '\uf9f1' : c])));
    expect(otherText).not.toBe(first);
    expect(otherText.toUnicode.toString('latin1')).toContain('<0078> <f9f1>');
    expect(otherText.name).toBe(first.name);
    // Another width for one glyph.
    const otherWidth = glyphTables(font, record(glyphs.map(([id, w, c]) => [id, id === 37 ? 640 : w, c])));
    expect(otherWidth.W).toEqual([3, [260], 36, [600, 640]]);
    // One glyph more, or one fewer.
    expect(glyphTables(font, record([...glyphs, [38, 630, 'C']])).ids).toEqual([3, 36, 37, 38, 120]);
    expect(glyphTables(font, record(glyphs.slice(1))).ids).toEqual([3, 37, 120]);
    // And the first again, as it was (made again: the tables for those ids were replaced).
    const again = glyphTables(font, record(glyphs));
    expect([again.name, again.W, again.toUnicode.equals(first.toUnicode)]).toEqual([first.name, first.W, true]);
  });
});
