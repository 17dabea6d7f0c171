import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import { LetterDocument, installAdapter, setSubroutineInlining } from '../../src/adapter';
import { produceLetter } from '../../src/batch/produce';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { fontFile } from '../../src/fonts/fonts';
import { Merger } from '../../src/template/merge';
import { ROOT, SAMPLE_CAMPAIGN, SAMPLE_CSV, hasCommand, row, tempDir, writeCsv } from '../helpers';

/** Every page of a PDF as a grey image, from pdftoppm. */
function pages(pdf: Buffer, dir: string, name: string, dpi = 60): Buffer[] {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  execFileSync('pdftoppm', ['-gray', '-r', String(dpi), file, path.join(dir, name)]);
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.pgm'))
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
}

/** How many pixels of two grey images (PGM files of the same size) differ. */
function differingPixels(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return Infinity;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('the pdfkit and fontkit adapter', () => {
  const t = tempDir();
  afterAll(() => {
    setSubroutineInlining(true);
    t.cleanup();
  });

  // pdftoppm is in poppler-utils, which .ci/run installs.
  (hasCommand('pdftoppm') ? it : it.skip)('draws every sample letter, page by page, as plain pdfkit does: pixel for pixel, but for at most one glyph edge on a page', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const merger = new Merger(campaign);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    let compared = 0;
    let nearlyEqual = 0;
    for (const r of recipients) {
      for (const l of r.languages) {
        const adapted = await produceLetter(campaign, merger, r, l);
        const plain = await produceLetter(campaign, merger, r, l, { reuse: false });
        // Plain pdfkit reads the fonts from their files and writes its own subsets and streams.
        expect(plain.pdf.equals(adapted.pdf)).toBe(false);
        const a = pages(adapted.pdf, t.dir, `${l}-${r.id}-a`);
        const b = pages(plain.pdf, t.dir, `${l}-${r.id}-b`);
        expect(a.length).toBe(adapted.pages);
        expect(b.length).toBe(a.length);
        a.forEach((page, i) => {
          const differ = differingPixels(page, b[i]);
          // The two place each word by sums taken in a different order (pdfkit from each word's
          // measured width, the adapter glyph by glyph), so a glyph's edge can fall on the other
          // side of a pixel boundary: at most one glyph's worth of anti-aliasing (5 × 5 pixels at
          // 60 dpi). A word out of place changes hundreds.
          expect([`${l}/${r.id} page ${i + 1}`, differ <= 25]).toEqual([`${l}/${r.id} page ${i + 1}`, true]);
          if (differ > 0) nearlyEqual++;
        });
        compared += a.length;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(23);
    // Nearly all pages are exactly equal.
    expect(nearlyEqual).toBeLessThanOrEqual(2);
  });

  (hasCommand('pdftoppm') && hasCommand('pdftotext') ? it : it.skip)('draws names with characters beyond the shared fonts (marks, Vietnamese, Polish) as plain pdfkit does, and they read back whole', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const merger = new Merger(campaign);
    const rows = [
      // Combining marks: after a letter with which they make one character (é, ä), read as that
      // character; after one with which they do not (q̈), placed by their own position, in the
      // second font of each face.
      row({ id: 'marks', language: 'en', first_name: 'Zoe\u0301', last_name: 'Ba\u0308r Bq\u0308r', organization: 'Bq\u0308r Institute', address: 'Ba\u0308rstrasse 1\n8001 Zu\u0308rich' }),
      row({ id: 'vi', language: 'fr', first_name: 'Nguyễn Thị', last_name: 'Minh Khai', organization: 'Đại học Quốc gia', address: '144 Xuân Thủy\nCầu Giấy, Hà Nội' }),
      row({ id: 'pl', language: 'es', first_name: 'Łucja', last_name: 'Żółć', organization: 'Uniwersytet Łódzki', address: 'ul. Narutowicza 68\n90-136 Łódź' }),
    ];
    const readable: Record<string, string[]> = {
      marks: ['Zoé Bär', 'Bärstrasse 1', '8001 Zürich'],
      vi: ['Nguyễn Thị Minh Khai', 'Đại học Quốc gia', 'Cầu Giấy, Hà Nội'],
      pl: ['Łucja Żółć', 'Uniwersytet Łódzki', '90-136 Łódź'],
    };
    const { recipients } = await readRecipients(writeCsv(t.dir, 'beyond.csv', rows));
    for (const r of recipients) {
      const l = r.languages[0];
      const adapted = await produceLetter(campaign, merger, r, l);
      // More fonts than faces: the recipient's own characters are drawn with a second font.
      expect((adapted.pdf.toString('latin1').match(/\/Type \/FontDescriptor/g) ?? []).length).toBeGreaterThan(2);
      const plain = await produceLetter(campaign, merger, r, l, { reuse: false });
      const a = pages(adapted.pdf, t.dir, `beyond-${r.id}-a`);
      const b = pages(plain.pdf, t.dir, `beyond-${r.id}-b`);
      expect(b.length).toBe(a.length);
      a.forEach((page, i) => expect([`${r.id} page ${i + 1}`, differingPixels(page, b[i]) <= 25]).toEqual([`${r.id} page ${i + 1}`, true]));
      // The text reads back whole: ị and ọ, which Noto Sans shapes as a letter and a mark, too.
      // (pdftotext reads a mark placed on its own, as in q̈, as a space and the mark.)
      const text = execFileSync('pdftotext', [path.join(t.dir, `beyond-${r.id}-a.pdf`), '-'], { encoding: 'utf8' }).normalize('NFC');
      for (const words of readable[r.id]) expect(text).toContain(words);
    }
  });

  /** The CFF font program of a PDF's first FontFile3, uncompressed (qpdf reads the stream). */
  function cffOf(pdf: Buffer, name: string): Buffer {
    const file = path.join(t.dir, `${name}.pdf`);
    writeFileSync(file, pdf);
    const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 64 << 20 }).toString()) as {
      qpdf: [unknown, Record<string, { value?: Record<string, unknown>; stream?: { dict: Record<string, unknown>; data?: string } }>];
    };
    const objects = json.qpdf[1];
    const descriptor = Object.values(objects).find((o) => o.value && o.value['/FontFile3']);
    const stream = objects[`obj:${String(descriptor!.value!['/FontFile3'])}`]?.stream;
    return Buffer.from(stream!.data!, 'base64');
  }

  /** The number of entries of the CFF INDEX at `offset`, and where the next structure starts. */
  function cffIndex(cff: Buffer, offset: number): { count: number; end: number } {
    const count = cff.readUInt16BE(offset);
    if (count === 0) return { count, end: offset + 2 };
    const offSize = cff[offset + 2];
    const last = cff.readUIntBE(offset + 3 + count * offSize, offSize);
    return { count, end: offset + 3 + (count + 1) * offSize + last - 1 };
  }

  (hasCommand('qpdf') && hasCommand('pdftoppm') ? it : it.skip)('writes Chinese subsets without subroutines, with the same outlines', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    const r = recipients.find((x) => x.id === 'intl-zh-017')!;
    const letter = async (inline: boolean) => {
      setSubroutineInlining(inline);
      return (await produceLetter(campaign, new Merger(campaign), r, 'zh')).pdf;
    };
    const inlined = await letter(true);
    const indexed = await letter(false);
    // CFF: header, Name INDEX, Top DICT INDEX, String INDEX, then the Global Subr INDEX.
    const globalSubrs = (cff: Buffer) => {
      let at = cff[2]; // header size
      for (let i = 0; i < 3; i++) at = cffIndex(cff, at).end;
      return cffIndex(cff, at).count;
    };
    const [small, large] = [cffOf(inlined, 'inlined'), cffOf(indexed, 'indexed')];
    expect(globalSubrs(small)).toBe(0);
    expect(globalSubrs(large)).toBeGreaterThan(100);
    expect(small.length).toBeLessThan(large.length / 2); // fontkit also keeps every local subroutine
    const a = pages(inlined, t.dir, 'zh-inlined', 110);
    const b = pages(indexed, t.dir, 'zh-indexed', 110);
    expect(a.length).toBeGreaterThan(0);
    a.forEach((page, i) => expect(page.equals(b[i])).toBe(true));
  });

  it("changes nothing in a library user's own pdfkit documents and fontkit fonts", async () => {
    installAdapter();
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    await produceLetter(campaign, new Merger(campaign), recipients[0], recipients[0].languages[0]);
    const font = fontkit.create(readFileSync(fontFile('han', 'regular'))) as unknown as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(font, 'glyphsForString')).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(font, 'createSubset')).toBe(false);
    const subset = (font.createSubset as () => Record<string, unknown>)();
    expect(Object.keys(subset)).not.toContain('encode');
    expect(Object.keys(subset)).not.toContain('subsetCharstrings');
    const doc = new PDFDocument({ autoFirstPage: false }) as unknown as { ref(d: object): Record<string, unknown> };
    expect(Object.keys(doc.ref({}))).not.toContain('finalize');
    // A user's document with a user's font: plain pdfkit's output, every time.
    const make = () =>
      new Promise<Buffer>((resolve) => {
        const d = new PDFDocument({ info: { CreationDate: new Date(2020, 0, 1) } });
        const chunks: Buffer[] = [];
        d.on('data', (c: Buffer) => chunks.push(c));
        d.on('end', () => resolve(Buffer.concat(chunks)));
        d.font(fontFile('latin', 'regular')).text('Hello, plain pdfkit');
        d.end();
      });
    expect((await make()).equals(await make())).toBe(true);
  });

  it("writes an object and its stream as pdfkit's own finalize and convert do, byte for byte", () => {
    type Doc = { ref(d?: object): { write(c: string | Uint8Array): void; end(): void }; _write(d: string | Uint8Array): void; _root: { data: { Names: { data: { Dests: object } } } } };
    /** What writing the objects made of `build` sends to the document's output, with object numbers left out. */
    const written = (doc: Doc, build: (doc: Doc) => { data: object; stream?: string }[]) => {
      const out: Buffer[] = [];
      doc._write = (d) => void out.push(typeof d === 'string' ? Buffer.from(`${d}\n`, 'latin1') : Buffer.from(d));
      for (const { data, stream } of build(doc)) {
        const ref = doc.ref(data);
        if (stream !== undefined) for (const line of stream.split('\n')) ref.write(line);
        ref.end();
      }
      return Buffer.concat(out).toString('latin1').replace(/\d+ 0 (obj|R)/g, 'N 0 $1');
    };
    const objects = (doc: Doc) => [
      {
        data: {
          Type: 'Probe',
          Ascii: new String('parens (a) and \\ and a line\nend\r, tab\t, backspace\b, form feed\f'),
          Unicode: new String('Señora «ñ», 中文 (x) \u0600 \ud83d\ude00'),
          Empty: new String(''),
          Numbers: [0, -0, 1, -1.5, 1 / 3, 2 / 3, 1e20, -1e20, 123456.7654321, 0.0000004, -0.0000006, 595.28, 841.89],
          Date: new Date(Date.UTC(2026, 0, 5, 7, 8, 9)),
          Nested: { A: [1, [2, { B: null }], true, false], Skipped: undefined, Name: 'Name#with' },
          Holes: [undefined, 1, undefined],
          Bytes: Buffer.from([0, 1, 0x7f, 0xfe, 0xff]),
          View: new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4),
          EmptyDict: {},
          EmptyArray: [],
          Ref: doc.ref({ Inner: 1 }),
          Tree: doc._root.data.Names.data.Dests,
        },
      },
      { data: { Kind: 'small stream' }, stream: 'q\n1 0 0 1 10 10 cm\nQ' },
      { data: { Kind: 'large stream' }, stream: Array.from({ length: 200 }, (_, i) => `BT /F1 12 Tf ${i} ${i * 2} Td (line ${i}) Tj ET`).join('\n') },
      { data: { Kind: 'no stream' } },
    ];
    const plain = written(new PDFDocument({ autoFirstPage: false }) as unknown as Doc, objects);
    const ours = written(new LetterDocument({ autoFirstPage: false } as PDFKit.PDFDocumentOptions, { reuse: true }) as unknown as Doc, objects);
    expect(plain).toContain('/Unicode (\xfe\xff');
    expect(plain).toContain('stream\nx');
    expect(ours).toBe(plain);
  });

  it("loads fontkit's brotli decoder only when it is used, and it decodes then (a fresh process, the built adapter)", () => {
    const script = `
      require('./dist/adapter').installAdapter();
      const { BROTLI_DECODER } = require('./dist/adapter/brotli');
      const loaded = () => Object.keys(require.cache).filter((k) => k.includes('dictionary-data')).length;
      const before = loaded();
      const text = Buffer.from('a WOFF2 table, compressed '.repeat(50));
      const decoded = Buffer.from(require.cache[BROTLI_DECODER].exports(require('zlib').brotliCompressSync(text), text.length));
      process.stdout.write(JSON.stringify({ before, after: loaded(), same: decoded.equals(text) }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ before: 0, after: 1, same: true });
  });

  it('leaves the decoder unloaded when a campaign with an SVG signature is loaded (a fresh process, the built library)', () => {
    // The signature's path data is read by pdfkit's parser when the campaign is loaded: pdfkit
    // (and fontkit with it) was loaded there before the stand-in, and brotli's dictionary with them.
    const script = `
      const lm = require('./dist/index.js');
      const campaign = lm.loadCampaign(lm.DEFAULT_CAMPAIGN);
      const loaded = () => Object.keys(require.cache).filter((k) => k.includes('dictionary-data')).length;
      const afterCampaign = loaded();
      process.stdout.write(JSON.stringify({ svg: campaign.sender.signature?.image.kind, afterCampaign, fontkit: Object.keys(require.cache).some((k) => k.includes('fontkit')) }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ svg: 'vector', afterCampaign: 0, fontkit: true });
  });
});
