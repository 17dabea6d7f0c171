import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { generate } from '../../src/batch/generate';
import type { ManifestEntry } from '../../src/batch/generate';
import { readRecipients } from '../../src/data/recipients';
import { SAMPLE_CSV, SAMPLE_DATE_LINE, SAMPLE_SUBJECT, campaignCopy, hasCommand, inspectPdfs, row, sampleYaml, signaturePng, tempDir, writeCsv } from '../helpers';
import type { StructNode } from '../helpers';
import { checkPdfRules, literalBytes } from '../helpers/pdf-rules';

/**
 * The rules of veraPDF's PDF/A-2a and PDF/UA-1 profiles (and the Matterhorn conditions) that apply
 * to what a letter holds: text in embedded fonts, links, a signature image, tables, lists,
 * headings, metadata. Every letter is checked against all of them; each must have been evaluated
 * on some letter. Rules about content letters never hold (optional content, JPEG 2000, CMYK,
 * embedded files, Type 1 and Type 3 fonts, notes, formulas, tables of contents, media) are not listed.
 */
const RULES = [
  ...['6.1.2-1', '6.1.2-2', '6.1.3-1', '6.1.3-2', '6.1.3-3', '6.1.7-3', '6.1.7-4', '6.1.13-1', '6.1.13-3', '6.1.13-4', '6.1.13-7'],
  ...['6.2.3-1', '6.2.4.3-2', '6.2.8-1', '6.2.8-2', '6.2.8-3'],
  ...['6.2.11.2-1', '6.2.11.2-2', '6.2.11.2-3', '6.2.11.3-1', '6.2.11.3-2', '6.2.11.4-1', '6.2.11.4-4', '6.2.11.5-1', '6.2.11.7-1', '6.2.11.8-1'],
  ...['6.3.1-1', '6.3.2-1', '6.3.2-2', '6.3.3-1', '6.4.2-2', '6.5.1-1', '6.5.2-1', '6.5.2-2', '6.11-1'],
  ...['6.6.2.1-1', '6.6.2.1-2', '6.6.2.1-3', '6.6.2.1-4', '6.6.2.3-7', '6.6.4-1', '6.6.4-2', '6.6.4-3', '6.7.2-1', '6.7.3-1', '6.7.3-2'],
]
  .map((r) => `ISO 19005-2 ${r}`)
  .concat(
    [
      ...['5-1', '5-2', '7.1-1', '7.1-2', '7.1-4', '7.1-5', '7.1-8', '7.1-9', '7.1-10'],
      ...['7.2-3', '7.2-4', '7.2-8', '7.2-9', '7.2-10', '7.2-17', '7.2-18', '7.2-19', '7.2-20', '7.2-21', '7.2-22', '7.2-29', '7.2-33'],
      ...['7.3-1', '7.4.2-1', '7.4.4-1', '7.4.4-2', '7.18.3-1', '7.18.5-1', '7.18.5-2'],
      ...['7.21.3.1-1', '7.21.3.2-1', '7.21.4.1-1', '7.21.5-1', '7.21.7-1', '7.21.7-2', '7.21.8-1'],
    ].map((r) => `ISO 14289-1 ${r}`),
  )
  .concat([
    'Matterhorn 01-005 (content is tagged or an artifact)',
    'ISO 32000-1 14.7.4.4 (parent tree agrees with the content)',
    'ISO 32000-1 14.7.4.4 (MCID unique on its page)',
    'ISO 32000-1 14.7.4.3 (annotation referenced from its element, on its page)',
    'ISO 32000-1 8.4.4 (marked content balanced)',
    'Info and XMP agree',
  ]);

/** A node of `pdfinfo -struct-text`'s tree: an element with its attributes, children and text. */
interface Elem {
  type: string;
  attrs: string[];
  children: (Elem | string)[];
}

/** Reads poppler's `pdfinfo -struct-text` output: two spaces of indent per level; quoted strings are content. */
function structText(file: string): Elem {
  const out = execFileSync('pdfinfo', ['-struct-text', file]).toString('utf8');
  const root: Elem = { type: 'root', attrs: [], children: [] };
  const stack: { depth: number; el: Elem }[] = [{ depth: -1, el: root }];
  for (const line of out.split('\n')) {
    if (!line.trim()) continue;
    const depth = (line.length - line.trimStart().length) / 2;
    const body = line.trim();
    while (stack.length > 1 && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack[stack.length - 1].el;
    // Quoted as is, without escapes.
    if (body.startsWith('"')) parent.children.push(body.slice(1, -1));
    else if (body.startsWith('/')) parent.attrs.push(body);
    else if (/^Object \d+ \d+$/.test(body)) parent.children.push({ type: 'OBJR', attrs: [body], children: [] });
    else {
      const el: Elem = { type: body.replace(/ \((block|inline)\)/, '').replace(/:$/, ''), attrs: [], children: [] };
      parent.children.push(el);
      stack.push({ depth, el });
    }
  }
  return root.children[0] as Elem;
}

function textOf(node: Elem | string): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

function squash(s: string): string {
  return s.replace(/\s+/g, '');
}

function all(node: Elem, type: string): Elem[] {
  const out: Elem[] = node.type === type ? [node] : [];
  for (const c of node.children) if (typeof c !== 'string') out.push(...all(c, type));
  return out;
}

/** pdf.js's structure nodes of a given role, anywhere in the tree. */
function roles(node: StructNode | null, role: string): StructNode[] {
  if (!node) return [];
  const here = node.role === role ? [node] : [];
  return here.concat(...(node.children ?? []).map((c) => roles(c, role)));
}

function contentText(node: StructNode, items: Map<string, string>): string {
  if (node.type === 'content' && node.id) return items.get(node.id) ?? '';
  return (node.children ?? []).map((c) => contentText(c, items)).join('');
}

const SUBJECT = SAMPLE_SUBJECT;
const DATE_LINE = SAMPLE_DATE_LINE;
const TAG: Record<string, string> = { es: 'es', en: 'en-GB', fr: 'fr', ru: 'ru', zh: 'zh-CN', ar: 'ar' };

const tools = hasCommand('qpdf') && hasCommand('pdfinfo');

(tools ? describe : describe.skip)('tagged, archival letters (PDF/UA-1, PDF/A-2a)', () => {
  const t = tempDir();
  let sample: { file: string; lang: string; name: string }[];
  let stress: { en: string; fr: string; hi: string };
  const subject = 'R&D <Partners> & "Friends" – 2022';

  beforeAll(async () => {
    const result = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'sample') });
    const manifest = readFileSync(result.manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    sample = manifest.map((m) => {
      const r = recipients.find((x) => x.id === m.id)!;
      return { file: path.join(result.out, m.files!.pdf.path), lang: m.language, name: r.last_name || r.organization };
    });

    // A letter with what the sample lacks: a subject that XML must escape, a heading and a list
    // in the body, a PNG signature with transparency, a Chinese name in an English letter and an
    // Arabic organisation in a French one.
    const dir = campaignCopy(t.dir, {
      'en/letter.md': `---\nsubject: '${subject}'\nannex: Two annexes\n---\n{{salutation}}\n\nThe Fund supports three lines of work.\n\n## Lines of work\n\n- capacity building in [member states](https://www.itu.int/en/membership/);\n- the WSIS Forum;\n- the WSIS Prizes.\n\nI look forward to hearing from you.\n`,
      'campaign.yaml': sampleYaml([/signature: signature\.svg.*/, 'signature: signature.png']),
    });
    writeFileSync(path.join(dir, 'signature.png'), signaturePng());
    const csv = writeCsv(t.dir, 'stress.csv', [
      row({ id: 'zh-name', language: 'en', first_name: '晓明', last_name: '王', organization: 'Institute for Information Society Studies' }),
      row({ id: 'ar-org', language: 'fr', first_name: 'Amira', last_name: 'Haddad', organization: 'جامعة القاهرة' }),
      row({ id: 'hi-name', language: 'en', title: 'Dr', first_name: 'प्रिया', last_name: 'शर्मा', organization: 'किंग्स्टन विश्वविद्यालय' }),
    ]);
    const out = path.join(t.dir, 'stress');
    await generate({ csv, campaign: dir, out });
    const find = (id: string) => path.join(out, readdirSync(out, { recursive: true }).map(String).find((f) => f.includes(id) && f.endsWith('.pdf'))!);
    stress = { en: find('zh-name'), fr: find('ar-org'), hi: find('hi-name') };
  }, 120_000);
  afterAll(() => t.cleanup());

  it('passes every machine-checkable PDF/A-2a and PDF/UA-1 rule that applies, on every letter', () => {
    const checked = new Set<string>();
    const failures: string[] = [];
    for (const file of [...sample.map((s) => s.file), stress.en, stress.fr, stress.hi]) {
      const report = checkPdfRules(file);
      report.checked.forEach((r) => checked.add(r));
      for (const f of report.failures) failures.push(`${path.basename(file)}: ${f.rule}: ${f.detail}`);
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(RULES.filter((r) => !checked.has(r))).toEqual([]);
  });

  it('has a checker that finds what a damaged letter gets wrong', () => {
    type Objects = Record<string, { value?: Record<string, unknown>; stream?: { dict: Record<string, unknown>; data?: string } }>;
    const read = (file: string): Objects =>
      (JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 64 << 20 }).toString()) as { qpdf: [unknown, Objects] }).qpdf[1];
    const original = stress.en;
    const objects = read(original);
    const find = (test: (v: Record<string, unknown>) => boolean) => Object.entries(objects).find(([k, o]) => k.startsWith('obj:') && o.value && typeof o.value === 'object' && test(o.value))!;
    /** A copy of the letter with some objects replaced (qpdf --update-from-json), and the rules it then fails. */
    const failsAfter = (name: string, changes: Objects): string[] => {
      const patch = path.join(t.dir, `${name}.json`);
      writeFileSync(patch, JSON.stringify({ qpdf: [{ jsonversion: 2, pushedinheritedpageresources: false, calledgetallpages: false, maxobjectid: 0 }, changes] }));
      const out = path.join(t.dir, `${name}.pdf`);
      execFileSync('qpdf', [original, out, `--update-from-json=${patch}`]);
      return [...new Set(checkPdfRules(out).failures.map((f) => f.rule))];
    };
    expect(checkPdfRules(original).failures).toEqual([]);

    const [figure, fig] = find((v) => v['/S'] === '/Figure');
    const { ['/Alt']: _alt, ...noAlt } = fig.value!;
    expect(failsAfter('no-alt', { [figure]: { value: noAlt } })).toEqual(['ISO 14289-1 7.3-1']);

    const [page, pg] = find((v) => v['/Type'] === '/Page' && Array.isArray(v['/Annots']));
    const { ['/Tabs']: _tabs, ...noTabs } = pg.value!;
    expect(failsAfter('no-tabs', { [page]: { value: noTabs } })).toEqual(['ISO 14289-1 7.18.3-1']);

    const [link, ln] = find((v) => v['/Subtype'] === '/Link');
    expect(failsAfter('hidden-link', { [link]: { value: { ...ln.value, '/F': 2 } } })).toEqual(['ISO 19005-2 6.3.2-2']);
    const { ['/Contents']: _contents, ...noContents } = ln.value!;
    expect(failsAfter('link-without-contents', { [link]: { value: noContents } })).toEqual(['ISO 14289-1 7.18.5-2']);

    const [font, ft] = find((v) => v['/Subtype'] === '/Type0');
    const { ['/ToUnicode']: _u, ...noUnicode } = ft.value!;
    expect(failsAfter('no-tounicode', { [font]: { value: noUnicode } })).toEqual(expect.arrayContaining(['ISO 19005-2 6.2.11.7-1', 'ISO 14289-1 7.21.7-1']));

    // Widths that disagree with the font program: every width in W 50 units wider.
    const [cidKey, cidFont] = find((v) => v['/Subtype'] === '/CIDFontType2');
    const widen = (w: unknown): unknown => (Array.isArray(w) ? w.map(widen) : w);
    const W = (cidFont.value!['/W'] as unknown[]).map((entry) => (Array.isArray(entry) ? entry.map((x) => (x as number) + 50) : widen(entry)));
    expect(failsAfter('wrong-widths', { [cidKey]: { value: { ...cidFont.value, '/W': W } } })).toEqual(['ISO 19005-2 6.2.11.5-1', 'ISO 14289-1 7.21.5-1']);
    // A character id past the font program's last glyph (drawn by glyph id, CIDToGIDMap Identity).
    const last = W.length - 2;
    const beyond = [...W.slice(0, last), 65000, W[last + 1]];
    expect(failsAfter('beyond-the-font', { [cidKey]: { value: { ...cidFont.value, '/W': beyond } } })).toEqual(expect.arrayContaining(['ISO 19005-2 6.2.11.4-1', 'ISO 14289-1 7.21.4.1-1']));

    // Text drawn before any marked content: neither tagged nor an artifact.
    // (The first of the page's content streams: the page's Contents may be an array of them.)
    const contents = pg.value!['/Contents'] as string | string[];
    const contentsKey = `obj:${Array.isArray(contents) ? contents[0] : contents}`;
    const content = objects[contentsKey].stream!;
    const fontName = Object.keys((find((v) => typeof v['/Font'] === 'object')[1].value!['/Font'] as Record<string, unknown>))[0];
    // (A code the letter draws with that font, so that only the tagging is wrong.)
    const shown = new RegExp(`${fontName} [\\d.]+ Tf\\n\\[\\(([^]{8})`).exec(Buffer.from(content.data!, 'base64').toString('latin1'))![1];
    const code = Buffer.from(literalBytes(shown).slice(0, 2)).toString('hex');
    const untagged = Buffer.concat([Buffer.from(`BT ${fontName} 12 Tf 1 0 0 1 10 10 Tm <${code}> Tj ET\n`), Buffer.from(content.data!, 'base64')]);
    const { ['/Filter']: _f, ['/Length']: _l, ...dict } = content.dict;
    expect(failsAfter('untagged', { [contentsKey]: { stream: { dict, data: untagged.toString('base64') } } })).toEqual(['Matterhorn 01-005 (content is tagged or an artifact)']);

    // Metadata that claims PDF/A-1 and lacks the PDF/UA identification.
    const metaKey = `obj:${(find((v) => v['/Type'] === '/Catalog')[1].value!['/Metadata'] as string)}`;
    const xmp = Buffer.from(objects[metaKey].stream!.data!, 'base64').toString('utf8').replace('<pdfaid:part>2</pdfaid:part>', '<pdfaid:part>1</pdfaid:part>').replace('<pdfuaid:part>1</pdfuaid:part>', '');
    const { ['/Filter']: _mf, ['/Length']: _ml, ...metaDict } = objects[metaKey].stream!.dict;
    expect(failsAfter('wrong-claims', { [metaKey]: { stream: { dict: metaDict, data: Buffer.from(xmp).toString('base64') } } })).toEqual(['ISO 19005-2 6.6.4-2', 'ISO 14289-1 5-1', 'ISO 14289-1 5-2']);
  });

  it('tags a letter of several pages with links on each, and one without a signature image', async () => {
    const para = 'Information on the Fund is on [the website](https://www.itu.int/go/wsisfund) and in [the report](https://www.itu.int/report). '.repeat(5);
    const dir = campaignCopy(path.join(t.dir, 'long'), {
      'en/letter.md': `---\nsubject: A long letter\nannex: None\n---\n{{salutation}}\n\n${Array(30).fill(para).join('\n\n')}\n`,
      'campaign.yaml': sampleYaml([/\n  signature: signature\.svg.*/, '']),
    });
    const csv = writeCsv(t.dir, 'long.csv', [row({ id: 'long-1', language: 'en' })]);
    const out = path.join(t.dir, 'long-out');
    await generate({ csv, campaign: dir, out });
    const file = path.join(out, 'en', 'long-1.pdf');
    const pages = execFileSync('pdfinfo', [file]).toString().match(/Pages:\s+(\d+)/)![1];
    expect(Number(pages)).toBeGreaterThanOrEqual(3);
    expect(checkPdfRules(file).failures).toEqual([]);
    // pdf.js: pdfinfo -struct-text takes seconds on a page with many links.
    const [pdf] = inspectPdfs([file]);
    expect(pdf.pages.flatMap((p) => roles(p.structTree, 'Figure'))).toHaveLength(0);
    expect(pdf.pages.slice(1).every((p) => roles(p.structTree, 'Link').length > 0)).toBe(true);
  });

  it('passes qpdf --check', () => {
    for (const file of [...sample.map((s) => s.file), stress.en, stress.fr]) execFileSync('qpdf', ['--check', file]);
  });

  it('keeps the metadata valid XML when the subject holds & and <, and says the same in Info and XMP', () => {
    const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', stress.en]).toString()) as {
      qpdf: [unknown, Record<string, { value?: Record<string, unknown>; stream?: { dict: Record<string, unknown>; data: string } }>];
    };
    const objects = json.qpdf[1];
    const root = objects[`obj:${(objects.trailer.value as Record<string, string>)['/Root']}`].value as Record<string, unknown>;
    expect(root['/Lang']).toBe('u:en-GB');
    expect((objects[`obj:${root['/ViewerPreferences']}`]?.value ?? root['/ViewerPreferences']) as unknown).toEqual({ '/DisplayDocTitle': true });
    expect(objects[`obj:${root['/MarkInfo']}`]?.value ?? root['/MarkInfo']).toEqual({ '/Marked': true });
    const intents = root['/OutputIntents'] as string[];
    expect(intents).toHaveLength(1);
    expect(objects[`obj:${intents[0]}`].value).toMatchObject({ '/S': '/GTS_PDFA1', '/OutputConditionIdentifier': 'u:sRGB IEC61966-2.1' });
    const xmp = Buffer.from(objects[`obj:${root['/Metadata']}`].stream!.data, 'base64').toString('utf8');
    const errors: string[] = [];
    const doc = new DOMParser({ onError: (level: string, msg: string) => void (level !== 'warning' && errors.push(msg)) }).parseFromString(xmp, 'text/xml');
    expect(errors).toEqual([]);
    const title = doc.getElementsByTagNameNS('http://purl.org/dc/elements/1.1/', 'title')[0];
    expect(title.textContent).toBe(subject);
    const info = objects[`obj:${(objects.trailer.value as Record<string, string>)['/Info']}`].value as Record<string, string>;
    const infoTitle = objects[`obj:${info['/Title']}`]?.value ?? info['/Title'];
    expect(infoTitle).toBe(`u:${subject}`);
    // The image's transparency is a soft mask, which PDF/A-2 allows (and no transparency group is needed with an output intent).
    const images = Object.values(objects).filter((o) => o.stream?.dict['/Subtype'] === '/Image' && o.stream.dict['/ColorSpace'] === '/DeviceRGB');
    expect(images).toHaveLength(1);
    expect(images[0].stream!.dict['/SMask']).toBeDefined();
  });

  it('reads a letter in each language in reading order (pdfinfo -struct-text), with the footer left out', () => {
    const langs = new Set<string>();
    // One letter per language: pdfinfo takes about half a second for each.
    for (const { file, lang, name } of sample.filter((s, k) => sample.findIndex((x) => x.lang === s.lang) === k)) {
      const doc = structText(file);
      expect(doc.type).toBe('Document');
      const top = doc.children.filter((c): c is Elem => typeof c !== 'string').map((c) => c.type);
      // Letterhead and office, place and date, reference block, addressee, subject, body, closing.
      expect(top.slice(0, 6)).toEqual(['P', 'P', 'P', 'Table', 'Div', 'H1']);
      expect(top).toContain('Figure');
      const blocks = doc.children.filter((c): c is Elem => typeof c !== 'string');
      expect(squash(textOf(blocks[2]))).toBe(squash(DATE_LINE[lang]));
      expect(squash(textOf(blocks[4]))).toContain(squash(name));
      expect(squash(textOf(blocks[5]))).toContain(squash(SUBJECT[lang]));
      // The reference block: each row a label (TH) and its value.
      for (const tr of all(blocks[3], 'TR')) expect(tr.children.map((c) => (typeof c === 'string' ? 'text' : c.type))).toEqual(['TH', 'TD']);
      // After the signature image: the signatory's name, title and the annex line.
      const figure = top.lastIndexOf('Figure');
      expect(top.slice(figure + 1).every((x) => x === 'P')).toBe(true);
      expect(top.length - figure - 1).toBeGreaterThanOrEqual(2);
      // Text in reading order, also in Arabic; the footer (an artifact) is not in it.
      const whole = squash(textOf(doc));
      expect(whole.indexOf(squash(DATE_LINE[lang]))).toBeLessThan(whole.indexOf(squash(SUBJECT[lang])));
      expect(whole).not.toContain(squash('Place des Nations'));
      langs.add(lang);
    }
    expect([...langs].sort()).toEqual(['ar', 'en', 'es', 'fr', 'ru', 'zh']);
  });

  it('gives a run whose glyphs are not in reading order (Devanagari) its text, where the run is drawn', () => {
    // Devanagari draws the vowel sign ि before its consonant and a reph above the syllable after
    // it: read from the glyphs, the name came out "Dr िप्रया शमार्".
    const plain = execFileSync('pdftotext', ['-f', '1', '-l', '1', stress.hi, '-']).toString('utf8');
    expect(plain).toMatch(/^To: Dr प्रिया शर्मा$/m);
    expect(plain).toMatch(/^Professor\nकिंग्स्टन विश्वविद्यालय\n/m);
    expect(plain).not.toMatch(/ि[पक]/);
    // As marked content of the run (ActualText), inside its text object; no other run has one.
    const content = (file: string) => execFileSync('qpdf', ['--stream-data=uncompress', '--object-streams=disable', file, '-']).toString('latin1');
    const actual = [...content(stress.hi).matchAll(/BT\n(?:[^\n]*\n)*?\/Span <<\/ActualText <feff([0-9a-f]+)>>> BDC\n/g)].map((m) => Buffer.from(m[1], 'hex').swap16().toString('utf16le'));
    expect(actual).toEqual(['Dr प्रिया शर्मा', 'किंग्स्टन विश्वविद्यालय']);
    expect(content(stress.en)).not.toContain('/ActualText <feff');
  });

  it('draws a hyphen where a word is broken, extracts it as U+00AD, and reads the word whole from the structure', () => {
    let checked = 0;
    for (const { file } of sample.filter((s) => ['es', 'en', 'fr', 'ru'].includes(s.lang)).slice(0, 4)) {
      // pdftotext: the line ends with the soft hyphen, and the hyphen's box reaches the right margin.
      const bbox = execFileSync('pdftotext', ['-bbox', file, '-']).toString('utf8');
      const ends = [...bbox.matchAll(/<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*\u00ad)<\/word>/g)];
      expect(ends.length).toBeGreaterThan(0);
      for (const [, xMax] of ends) expect(Number(xMax)).toBeCloseTo(595.28 - 56, 0);
      const plain = execFileSync('pdftotext', [file, '-']).toString('utf8');
      const structure = textOf(structText(file));
      expect(structure).not.toContain('\u00ad');
      for (const [, before, after] of plain.matchAll(/(\p{L}+)\u00ad\n(\p{L}+)/gu)) {
        expect(structure).toContain(before + after);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(4);
  });

  it('tags links with their annotation and a description, and a body list and heading as L/LI and H2', () => {
    const doc = structText(stress.en);
    const links = all(doc, 'Link');
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const link of links) expect(link.children.some((c) => typeof c !== 'string' && c.type === 'OBJR')).toBe(true);
    expect(all(doc, 'H2').map(textOf)).toEqual(['Lines of work']);
    const items = all(doc, 'LI');
    expect(items).toHaveLength(3);
    for (const li of items) expect(li.children.map((c) => (typeof c === 'string' ? 'text' : c.type))).toEqual(['Lbl', 'LBody']);
    expect(textOf(items[0])).toContain('member states');
    // A link broken over two lines (the Chinese sample's web address) is one Link, with an annotation on each line.
    const zh = structText(sample.find((x) => x.lang === 'zh')!.file);
    const split = all(zh, 'Link').find((l) => textOf(l).includes('wsisfund'))!;
    expect(textOf(split)).toBe('https://www.itu.int/go/wsisfund');
    expect(split.children.filter((c) => typeof c !== 'string' && c.type === 'OBJR')).toHaveLength(2);
  });

  it('gives the document its language and a span in another script its own (pdf.js)', () => {
    const [en, fr] = inspectPdfs([stress.en, stress.fr]);
    expect(en.lang).toBe(TAG.en);
    expect(fr.lang).toBe(TAG.fr);
    const zhSpans = en.pages.flatMap((p) => roles(p.structTree, 'Span')).filter((s) => s.lang === 'zh');
    expect(zhSpans.length).toBeGreaterThan(0);
    const arSpans = fr.pages.flatMap((p) => roles(p.structTree, 'Span')).filter((s) => s.lang === 'ar');
    expect(arSpans.length).toBeGreaterThan(0);
    const figures = en.pages.flatMap((p) => roles(p.structTree, 'Figure'));
    expect(figures.map((f) => f.alt)).toEqual([expect.stringMatching(/^Signature of .+/)]);
    // The Chinese name is the text of its span.
    const doc = structText(stress.en);
    const spans = all(doc, 'Span').map(textOf);
    expect(spans.some((s) => s.includes('王') || s.includes('晓明'))).toBe(true);
  });

  it('claims PDF/UA-1 and PDF/A-2a for every sample letter in the language of its recipient', () => {
    const infos = inspectPdfs(sample.map((s) => s.file));
    for (const [k, pdf] of infos.entries()) {
      expect(pdf.lang).toBe(TAG[sample[k].lang]);
      expect(pdf.markInfo?.Marked).toBe(true);
      expect(pdf.info.Title).toBe(SUBJECT[sample[k].lang]);
    }
  });
});
