import fs from 'node:fs';

describe('the fallback chain of fonts', () => {
  it('reads a family only when a character needs it', () => {
    jest.isolateModules(() => {
      const read = jest.spyOn(fs, 'readFileSync');
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fonts = require('../src/fonts/fonts') as typeof import('../src/fonts/fonts');
        // Which font files were read (the adapter's check of pdfkit and fontkit reads the Latin one too).
        const files = () => [...new Set(read.mock.calls.map(([file]) => String(file)).filter((f) => /\.[ot]tf$/.test(f)))];
        const chain = fonts.fallbackChain('latin', 'regular');
        expect(chain.map((f) => f.key)).toEqual(['NotoSans-Regular', 'NotoNaskhArabic-Regular', 'NotoSansHans-Regular']);
        expect(files()).toEqual([]);

        expect(fonts.firstMissingCharacter('Zoë Ñúñez-Åberg')).toBeUndefined();
        expect(files().map((f) => f.split('/').pop())).toEqual(['NotoSans-Regular.ttf']);

        expect(fonts.firstMissingCharacter('王丽华')).toBeUndefined();
        expect(files().map((f) => f.split('/').pop())).toEqual(['NotoSans-Regular.ttf', 'NotoNaskhArabic-Regular.ttf', 'NotoSansHans-Regular.otf']);

        // Parsed once: the same font object every time.
        const reads = read.mock.calls.length;
        expect(chain[2].font).toBe(fonts.face('han', 'regular').font);
        expect(read.mock.calls.length).toBe(reads);
      } finally {
        read.mockRestore();
      }
    });
  });
});
