import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { readRecipients } from '../src/data/recipients';
import { SAMPLE_CAMPAIGN, row, tempDir, writeCsv } from './helpers';

/** The font files opened through `open` (a spy on fs.openSync), by name, in order, once each. */
function opened(open: jest.SpyInstance): string[] {
  return [...new Set(open.mock.calls.map(([file]) => String(file)).filter((f) => /\.[ot]tf$/.test(f)))].map((f) => path.basename(f));
}

describe('the fallback chain of fonts', () => {
  it('reads a family only when a character needs it', () => {
    jest.isolateModules(() => {
      const open = jest.spyOn(fs, 'openSync');
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fonts = require('../src/fonts/fonts') as typeof import('../src/fonts/fonts');
        const chain = fonts.fallbackChain('latin', 'regular');
        expect(chain.map((f) => f.key)).toEqual(['NotoSans-Regular', 'NotoNaskhArabic-Regular', 'NotoSansHans-Regular']);
        expect(opened(open)).toEqual([]);

        expect(fonts.firstMissingCharacter('Zoë Ñúñez-Åberg')).toBeUndefined();
        expect(opened(open)).toEqual(['NotoSans-Regular.ttf']);

        expect(fonts.firstMissingCharacter('王丽华')).toBeUndefined();
        expect(opened(open)).toEqual(['NotoSans-Regular.ttf', 'NotoNaskhArabic-Regular.ttf', 'NotoSansHans-Regular.otf']);

        // Parsed once: the same font object every time.
        const reads = open.mock.calls.length;
        expect(chain[2].font).toBe(fonts.face('han', 'regular').font);
        expect(open.mock.calls.length).toBe(reads);
      } finally {
        open.mockRestore();
      }
    });
  });
});

describe('the first character no bundled font draws', () => {
  it('is found whole (a character past U+FFFF, a lone surrogate), after characters already found drawable, asked once or again', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { firstMissingCharacter } = require('../src/fonts/fonts') as typeof import('../src/fonts/fonts');
    const cases: [string, string | undefined][] = [
      ['Zoë Ñúñez', undefined],
      ['王丽华 и العربية', undefined],
      ['a😀b', '😀'],
      ['Zoë 😀', '😀'],
      ['a\uD800b', '\uD800'],
      ['x\uDC00', '\uDC00'],
      ['ok𝄞', '𝄞'],
      ['𝐀', '𝐀'],
      ['a\u{1F101}b', undefined], // DIGIT ZERO COMMA, past U+FFFF, in the Chinese font
      ['\u0377', undefined],
      ['\u0378', '\u0378'], // unassigned, right after a character the Latin font has
      ['Ñ\u200Bx', undefined], // a zero-width space is invisible: nothing to draw
      ['', undefined],
    ];
    for (let round = 0; round < 2; round++) {
      expect(cases.map(([text]) => [text, firstMissingCharacter(text)])).toEqual(cases);
    }
  });
});

describe("a row's characters no bundled font draws", () => {
  it('are named together, every field and every character (a few a field, the rest counted), so that one run shows all to change', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { glyphError } = require('../src/fonts/fonts') as typeof import('../src/fonts/fonts');
    expect(glyphError({ first_name: 'Ana', last_name: 'Núñez', organization: '王丽华' })).toBeUndefined();
    const one = glyphError({ first_name: 'Ana', last_name: 'Scribe \u{13000}' })!;
    expect(one.message).toBe('last_name holds the character "\u{13000}" (U+13000), which no bundled font can draw');
    expect(one.hint).toMatch(/^Replace or remove the character;/);
    const many = glyphError({ first_name: '김민준 김서연', last_name: 'Lee', organization: 'Université ไทย', address: '1 rue 😀 ไ' })!;
    expect(many.code).toBe('MISSING_GLYPH');
    expect(many.location).toMatchObject({ field: 'first_name' });
    expect(many.message).toBe(
      'first_name holds characters no bundled font can draw: "김" (U+AE40), "민" (U+BBFC), "준" (U+C900), "서" (U+C11C) and 1 more; ' +
        'organization too: "ไ" (U+0E44), "ท" (U+0E17), "ย" (U+0E22); address too: "😀" (U+1F600), "ไ" (U+0E44)',
    );
    expect(many.hint).toMatch(/^Replace or remove those characters;/);
  });
});

/** Runs `fontBytes(file)` of the compiled module in a worker thread given `shared`; resolves with the bytes' length. */
function readInWorker(shared: object, file: string): Promise<number> {
  const script = `
    const { workerData, parentPort } = require('node:worker_threads');
    const files = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'fonts', 'files.js'))});
    files.useSharedFontFiles(workerData.shared);
    parentPort.postMessage(files.fontBytes(workerData.file).length);
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { eval: true, workerData: { shared, file } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('the font files shared by the threads', () => {
  it('reads each file once, in whichever thread needs it first, into one buffer all threads use', async () => {
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const files = require('../src/fonts/files') as typeof import('../src/fonts/files');
      const shared = files.sharedFontFiles();
      const han = files.fontFile('han', 'regular');
      // Every bundled file, once, nothing read yet.
      expect(Object.keys(shared).map((f) => path.basename(f)).sort()).toEqual(
        ['NotoNaskhArabic-Bold.ttf', 'NotoNaskhArabic-Regular.ttf', 'NotoSans-Bold.ttf', 'NotoSans-BoldItalic.ttf', 'NotoSans-Italic.ttf', 'NotoSans-Regular.ttf', 'NotoSansHans-Bold.otf', 'NotoSansHans-Regular.otf'],
      );
      expect(Object.values(shared).every((s) => s.state[0] === 0)).toBe(true);
      expect(shared[han].bytes.byteLength).toBe(fs.statSync(han).size);
      expect(files.sharedFontFiles()).toBe(shared);

      // A worker thread reads the Chinese file; this thread then has it without opening it.
      expect(await readInWorker(shared, han)).toBe(fs.statSync(han).size);
      expect(shared[han].state[0]).toBe(2);
      const open = jest.spyOn(fs, 'openSync');
      const read = jest.spyOn(fs, 'readFileSync');
      try {
        const bytes = files.fontBytes(han);
        expect(bytes.buffer).toBe(shared[han].bytes);
        expect(open).not.toHaveBeenCalled();
        expect(read).not.toHaveBeenCalled();
        expect(bytes.equals(fs.readFileSync(han))).toBe(true);
      } finally {
        open.mockRestore();
        read.mockRestore();
      }

      // Read here first, then in two workers at once: the same bytes, read once.
      const latin = files.fontFile('latin', 'bold');
      expect(files.fontBytes(latin).buffer).toBe(shared[latin].bytes);
      expect(await Promise.all([readInWorker(shared, latin), readInWorker(shared, latin)])).toEqual([fs.statSync(latin).size, fs.statSync(latin).size]);
    });
  });

  it('reads a file that is no longer the size it had into each thread, not into the shared buffer', async () => {
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const files = require('../src/fonts/files') as typeof import('../src/fonts/files');
      const arabic = files.fontFile('arabic', 'regular');
      const size = fs.statSync(arabic).size;
      // As if the file had changed (a reinstalled package) after the buffers were made.
      // Shorter (the file grew) or longer (it shrank): read whole, each time, never cut to the buffer.
      for (const wrong of [size - 1, size + 1]) {
        const stale = { [arabic]: { state: new Int32Array(new SharedArrayBuffer(4)), bytes: new SharedArrayBuffer(wrong) } };
        expect(await readInWorker(stale, arabic)).toBe(size);
        expect(stale[arabic].state[0]).toBe(3);
        expect(await readInWorker(stale, arabic)).toBe(size);
      }
    });
  });

  it('reads a file itself when the thread reading it stopped before it was done', async () => {
    await jest.isolateModulesAsync(async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const files = require('../src/fonts/files') as typeof import('../src/fonts/files');
      const arabic = files.fontFile('arabic', 'bold');
      const size = fs.statSync(arabic).size;
      // Marked as being read (1), as a terminated thread would leave it: not waited on for ever.
      const stuck = { [arabic]: { state: new Int32Array(new SharedArrayBuffer(4)).fill(1), bytes: new SharedArrayBuffer(size) } };
      const started = Date.now();
      expect(await readInWorker(stuck, arabic)).toBe(size);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(stuck[arabic].state[0]).toBe(1);
    });
  });

  it('a worker of a batch reads its fonts into the buffers of the main thread', async () => {
    const t = tempDir();
    try {
      await jest.isolateModulesAsync(async () => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const files = require('../src/fonts/files') as typeof import('../src/fonts/files');
        const { WorkerPool } = require('../src/batch/renderer') as typeof import('../src/batch/renderer');
        const { loadCampaign } = require('../src/campaign/campaign') as typeof import('../src/campaign/campaign');
        /* eslint-enable @typescript-eslint/no-require-imports */
        const { recipients } = await readRecipients(writeCsv(t.dir, 'r.csv', [row({ language: 'zh' })]));
        const pool = new WorkerPool(loadCampaign(SAMPLE_CAMPAIGN), 1);
        try {
          expect(await pool.render({ seq: 1, recipient: recipients[0], language: 'zh', out: t.dir })).toMatchObject({ ok: true });
        } finally {
          await pool.close();
        }
        const han = files.sharedFontFiles()[files.fontFile('han', 'regular')];
        expect(han.state[0]).toBe(2);
        expect(Buffer.from(han.bytes).equals(fs.readFileSync(files.fontFile('han', 'regular')))).toBe(true);
      });
    } finally {
      t.cleanup();
    }
  });
});

describe('a bundled font file that is missing or broken (an installation to repair)', () => {
  it('fails the letters that need it, naming the file, and makes the others', async () => {
    const t = tempDir();
    try {
      await jest.isolateModulesAsync(async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { generate } = require('../src/batch/generate') as typeof import('../src/batch/generate');
        const realOpen = fs.openSync;
        const open = jest.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
          if (String(file).endsWith('NotoSansHans-Regular.otf')) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${String(file)}'`), { code: 'ENOENT' });
          return realOpen(file, ...rest);
        });
        try {
          const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'en1' }), row({ id: 'zh1', language: 'zh' })]);
          const r = await generate({ csv, out: path.join(t.dir, 'out'), jobs: 1 });
          expect(r).toMatchObject({ produced: 1, failed: 1 });
          expect(r.failures[0]).toMatchObject({ id: 'zh1', code: 'FONT_FILE' });
          expect(r.failures[0].message).toMatch(/the bundled font file .*NotoSansHans-Regular\.otf cannot be read \(it is missing\): reinstall lettermerge/);
        } finally {
          open.mockRestore();
        }
      });
    } finally {
      t.cleanup();
    }
  });

  it('tells a file cut short or not a font from a bug', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { openFont } = require('../src/adapter') as typeof import('../src/adapter');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { fontFile, fontFileError } = require('../src/fonts/files') as typeof import('../src/fonts/files');
    const file = fontFile('arabic', 'regular');
    const whole = fs.readFileSync(file);
    const unreadable = (err: unknown) => fontFileError(file, `is not a font lettermerge can read (${err instanceof Error ? err.message : String(err)})`);
    expect(() => openFont(whole.subarray(0, whole.length >> 1), unreadable)).toThrow(/is not a font lettermerge can read \(the file is cut short: its \w+ table ends past its end\)/);
    expect(() => openFont(Buffer.alloc(0), unreadable)).toThrow(/is not a font lettermerge can read \(Unknown font format\)/);
    expect(openFont(whole, unreadable).numGlyphs).toBeGreaterThan(100);
  });
});
