import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { produceLetter } from '../../src/batch/produce';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { layoutLetter } from '../../src/layout/letter';
import { parseMarkdown } from '../../src/markup/markdown';
import { Merger } from '../../src/template/merge';
import { SAMPLE_CAMPAIGN, hasCommand, row, tempDir, writeCsv } from '../helpers';

type QpdfObjects = Record<string, { value?: Record<string, unknown>; stream?: { dict: Record<string, unknown>; data?: string } }>;

/** The decoded objects of a PDF, as qpdf reads them. */
function pdfObjects(pdf: Buffer, dir: string, name: string): QpdfObjects {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  return (JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 64 << 20 }).toString()) as { qpdf: [unknown, QpdfObjects] }).qpdf[1];
}

/** The SHA-256 of a stream's decoded bytes. */
function streamHash(objects: QpdfObjects, ref: unknown): string {
  return createHash('sha256').update(Buffer.from(objects[`obj:${String(ref)}`].stream!.data!, 'base64')).digest('hex');
}

/** The font programs of a PDF by font name (subset tag left out), each as the SHA-256 of its bytes. */
function fontPrograms(pdf: Buffer, dir: string, name: string): Map<string, string[]> {
  const objects = pdfObjects(pdf, dir, name);
  const programs = new Map<string, string[]>();
  for (const o of Object.values(objects)) {
    const d = o.value;
    if (d?.['/Type'] !== '/FontDescriptor') continue;
    const font = String(d['/FontName']).replace(/^\/[A-Z]{6}\+/, '');
    programs.set(font, [...(programs.get(font) ?? []), streamHash(objects, d['/FontFile3'] ?? d['/FontFile2'])].sort());
  }
  return programs;
}

/** The ToUnicode maps of a PDF's fonts by font name (subset tag left out), each as the SHA-256 of its bytes. */
function toUnicodeMaps(pdf: Buffer, dir: string, name: string): Map<string, string[]> {
  const objects = pdfObjects(pdf, dir, name);
  const maps = new Map<string, string[]>();
  for (const o of Object.values(objects)) {
    const d = o.value;
    if (d?.['/Type'] !== '/Font' || d['/Subtype'] !== '/Type0' || !d['/ToUnicode']) continue;
    const font = String(d['/BaseFont']).replace(/^\/[A-Z]{6}\+/, '');
    maps.set(font, [...(maps.get(font) ?? []), streamHash(objects, d['/ToUnicode'])].sort());
  }
  return maps;
}

/** Each CFF font program of a PDF (FontFile3) as stored: its length, and whether it is compressed. */
function cffPrograms(pdf: Buffer, dir: string, name: string): { length: number; deflated: boolean }[] {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  const objects = (JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=none', '--decode-level=none', file]).toString()) as { qpdf: [unknown, QpdfObjects] }).qpdf[1];
  return Object.values(objects)
    .filter((o) => o.value?.['/Type'] === '/FontDescriptor' && o.value['/FontFile3'])
    .map((o) => objects[`obj:${String(o.value!['/FontFile3'])}`].stream!.dict)
    .map((d) => ({ length: d['/Length'] as number, deflated: d['/Filter'] === '/FlateDecode' }));
}

/** Each page's content streams, decoded (qpdf reads them), in the order of the page's Contents. */
function contentStreams(pdf: Buffer, dir: string, name: string): Buffer[][] {
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-key=pages', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 64 << 20 }).toString()) as {
    qpdf: [unknown, QpdfObjects];
    pages: { contents: string[] }[];
  };
  const objects = json.qpdf[1];
  return json.pages.map((p) => p.contents.map((ref) => Buffer.from(objects[`obj:${ref}`].stream!.data!, 'base64')));
}

describe('content streams', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  async function recipients(rows: string[][]) {
    return (await readRecipients(writeCsv(t.dir, `r${rows.length}.csv`, rows))).recipients;
  }

  it('marks the items from the addressee block to the salutation as changing with the recipient, on the first page only', async () => {
    const merger = new Merger(loadCampaign(SAMPLE_CAMPAIGN));
    const [r] = await recipients([row({ id: 'a', language: 'es' })]);
    const letter = merger.merge(r, 'es');
    const blocks = parseMarkdown(letter.body);
    const layout = layoutLetter(letter, blocks);
    const [first, ...rest] = layout.pages;
    const texts = first.items.map((i) => (i.kind === 'text' ? i.text.trim() : ''));
    const salutation = blocks[0].kind === 'paragraph' ? blocks[0].runs.map((run) => run.text).join('') : '';
    expect(salutation).toMatch(/^\p{L}.*:$/u);
    expect(first.variable).toBeDefined();
    const { from: addressee, to: body } = first.variable!;
    // The addressee block starts with its label; the salutation ends just before the second stream.
    expect(texts[addressee]).toBe(letter.labels.to);
    expect(texts.slice(addressee, body).join(' ')).toContain(letter.addressee[0]);
    expect(texts.slice(addressee, body).join(' ')).toContain(salutation);
    expect(texts.slice(body).join(' ')).not.toContain(salutation);
    for (const page of rest) expect(page.variable).toBeUndefined();
  });

  (hasCommand('qpdf') ? it : it.skip)('writes the same bytes around the addressee block in letters to different recipients', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const merger = new Merger(campaign);
    // Different names, positions, organisations and addresses, in blocks of the same number of lines.
    const [a, b] = await recipients([
      row({ id: 'a', language: 'es', group: 'academia', first_name: 'Ada', last_name: 'Quinlan', organization: 'Universidad de Ejemplo', address: 'Calle Mayor 1\n28001 Madrid' }),
      row({ id: 'b', language: 'es', group: 'academia', first_name: 'Bruno', last_name: 'Zapata Ñúñez', position: 'Rector', organization: 'Instituto Tecnológico del Sur', address: 'Avenida del Río 250\n41001 Sevilla' }),
    ]);
    const [sa, sb] = [await produceLetter(campaign, merger, a, 'es'), await produceLetter(campaign, merger, b, 'es')].map((l, i) => contentStreams(l.pdf, t.dir, `same-${i}`));
    expect(sa.map((page) => page.length)).toEqual([3, 1]);
    expect(sb.map((page) => page.length)).toEqual([3, 1]);
    // The letterhead to the reference block; the addressee block to the salutation; the rest of the page.
    expect(sa[0][0].equals(sb[0][0])).toBe(true);
    expect(sa[0][1].equals(sb[0][1])).toBe(false);
    expect(sa[0][2].equals(sb[0][2])).toBe(true);
    expect(sa[1][0].equals(sb[1][0])).toBe(true);
    // Each Latin face has one font, the same program in both: it holds the characters names and
    // addresses most often use (LanguageInfo.commonCharacters), drawn or not.
    const [pa, pb] = [await produceLetter(campaign, merger, a, 'es'), await produceLetter(campaign, merger, b, 'es')].map((l, i) => fontPrograms(l.pdf, t.dir, `es-fonts-${i}`));
    for (const face of ['NotoSans-Regular', 'NotoSans-Bold']) {
      expect([face, pa.get(face)?.length]).toEqual([face, 1]);
      expect(pa.get(face)).toEqual(pb.get(face));
    }
    // And the same ToUnicode map, though each letter draws other common characters (Ñ and ú in
    // one): every glyph of the font is mapped, drawn or not, so the map is made once.
    const [ua, ub] = [await produceLetter(campaign, merger, a, 'es'), await produceLetter(campaign, merger, b, 'es')].map((l, i) => toUnicodeMaps(l.pdf, t.dir, `es-maps-${i}`));
    for (const face of ['NotoSans-Regular', 'NotoSans-Bold']) {
      expect([face, ua.get(face)?.length]).toEqual([face, 1]);
      expect(ua.get(face)).toEqual(ub.get(face));
    }
    // Arabic letters too: the letters in each of their forms, lam-alef and the word Allah.
    const [g, h] = await recipients([
      row({ id: 'g', language: 'ar', title: '', first_name: 'ليلى', last_name: 'الهاشمي', organization: 'جامعة المثال', address: 'شارع الجامعة 12\nعمّان', country: 'الأردن (افتراضي)' }),
      row({ id: 'h', language: 'ar', title: '', first_name: 'عبدالله', last_name: 'الزعبي', organization: 'وزارة الاتصالات', address: 'ص.ب. 1234\nالرباط', country: 'المغرب (افتراضي)' }),
    ]);
    const [pg, ph] = [await produceLetter(campaign, merger, g, 'ar'), await produceLetter(campaign, merger, h, 'ar')].map((l, i) => fontPrograms(l.pdf, t.dir, `ar-fonts-${i}`));
    for (const face of ['NotoNaskhArabic', 'NotoNaskhArabic-Bold']) {
      expect([face, pg.get(face)?.length]).toEqual([face, 1]);
      expect(pg.get(face)).toEqual(ph.get(face));
    }
    // A name with letters beyond them gets a second font of the face, for those letters only.
    const [e] = await recipients([row({ id: 'e', language: 'es', group: 'academia', first_name: 'Łucja', last_name: 'Żółć', organization: 'Uniwersytet Łódzki', address: 'ul. Narutowicza 68\n90-136 Łódź' })]);
    const le = await produceLetter(campaign, merger, e, 'es');
    const pe = fontPrograms(le.pdf, t.dir, 'es-fonts-e');
    for (const face of ['NotoSans-Regular', 'NotoSans-Bold']) {
      expect([face, pe.get(face)?.length]).toEqual([face, 2]);
      expect(pe.get(face)).toContain(pa.get(face)![0]);
    }
    const file = path.join(t.dir, 'e.pdf');
    writeFileSync(file, le.pdf);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    for (const words of ['Łucja Żółć', 'Uniwersytet Łódzki', '90-136 Łódź']) expect(text).toContain(words);
    // Chinese letters too: their CFF font is drawn with the font's glyph ids, whatever glyphs a letter adds.
    const [c, d] = await recipients([
      row({ id: 'c', language: 'zh', group: 'academia', title: '', first_name: '丽华', last_name: '王', position: '合作司司长', organization: '亚太数字发展组织', address: '北京市朝阳区建国门外大街1号\n邮编 100020', country: '中国（虚构）' }),
      row({ id: 'd', language: 'zh', group: 'academia', title: '', first_name: '伟', last_name: '张', position: '信息通信发展司副司长', organization: '数字经济部', address: '上海市浦东新区世纪大道88号\n邮编 200120', country: '中国（虚构）' }),
    ]);
    const [sc, sd] = [await produceLetter(campaign, merger, c, 'zh'), await produceLetter(campaign, merger, d, 'zh')].map((l, i) => contentStreams(l.pdf, t.dir, `zh-${i}`));
    expect(sc[0]).toHaveLength(3);
    expect(sc[0][0].equals(sd[0][0])).toBe(true);
    expect(sc[0][1].equals(sd[0][1])).toBe(false);
    expect(sc[0][2].equals(sd[0][2])).toBe(true);
    // Each Chinese face has two fonts: the text of every letter's, the same program in both, and
    // one for the characters only the recipient's text has.
    const [fc, fd] = [await produceLetter(campaign, merger, c, 'zh'), await produceLetter(campaign, merger, d, 'zh')].map((l, i) => fontPrograms(l.pdf, t.dir, `zh-fonts-${i}`));
    for (const face of ['NotoSansHans-Regular', 'NotoSansHans-Bold']) {
      expect([face, fc.get(face)?.length, fd.get(face)?.length]).toEqual([face, 2, 2]);
      expect(fc.get(face)!.filter((h) => fd.get(face)!.includes(h))).toHaveLength(1);
    }
    // A large program (the regular face's shared glyphs) is compressed; small ones (the
    // recipient's own glyphs) are not, their charstrings deflating by only a few per cent.
    const programs = cffPrograms((await produceLetter(campaign, merger, c, 'zh')).pdf, t.dir, 'zh-cff');
    expect(programs).toHaveLength(4);
    expect(programs.filter((p) => p.deflated).length).toBeGreaterThanOrEqual(1);
    expect(programs.filter((p) => !p.deflated).length).toBeGreaterThanOrEqual(2);
    for (const p of programs) if (!p.deflated) expect(p.length).toBeLessThan(16384);
    // Each stream stands alone: its text objects and saved states close within it.
    for (const stream of [...sa[0], ...sb[0]]) {
      const ops = stream.toString('latin1');
      expect((ops.match(/^BT$/gm) ?? []).length).toBe((ops.match(/^ET$/gm) ?? []).length);
      expect((ops.match(/^q$/gm) ?? []).length).toBe((ops.match(/^Q$/gm) ?? []).length);
      expect((ops.match(/ BDC$/gm) ?? []).length).toBe((ops.match(/^EMC$/gm) ?? []).length);
    }
  });
});
