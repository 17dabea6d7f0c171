import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { parse } from 'csv-parse/sync';
import { generate } from '../../src/batch/generate';
import type { GenerateResult, ManifestEntry } from '../../src/batch/generate';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { Merger } from '../../src/template/merge';
import type { Recipient } from '../../src/data/recipients';
import { fullName } from '../../src/i18n/languages';
import { SAMPLE_CAMPAIGN, SAMPLE_CSV, SAMPLE_DATE_LINE, SAMPLE_SUBJECT, flatText, hasCommand, inspectPdfs, row, tempDir, writeCsv } from '../helpers';
import type { PdfInfo } from '../helpers';

const SUBJECT = SAMPLE_SUBJECT;
const DATE_LINE = SAMPLE_DATE_LINE;
const COVER: Record<string, string> = {
  es: 'Le remitimos adjunta',
  en: 'Please find attached',
  fr: 'Veuillez trouver ci-joint',
  ru: 'Направляем вам письмо',
  zh: '随函附上',
  ar: 'تجدون طيه',
};
const TAG: Record<string, string> = { es: 'es', en: 'en-GB', fr: 'fr', ru: 'ru', zh: 'zh-CN', ar: 'ar' };
// The sample campaign's annex, as each e-mail names it.
const ANNEX_FILE: Record<string, string> = {
  es: 'Lotes de Asociación – Foro de la CMSI 2022.pdf',
  en: 'Partnership Packages – WSIS Forum 2022.pdf',
  fr: 'Dossiers de partenariat – Forum du SMSI 2022.pdf',
  ru: 'Пакеты партнерства – Форум ВВУИО 2022.pdf',
  zh: '2022年WSIS论坛合作伙伴方案.pdf',
  ar: 'مجموعات الشراكة – منتدى القمة العالمية 2022.pdf',
};

/**
 * pdf.js sees a gap before a bracket drawn flipped (in right-to-left lines) and puts a space there;
 * take it out before comparing.
 */
function tidy(s: string): string {
  return withoutCjkGaps(s.replace(/ \)/g, ')'));
}

/**
 * Chinese is set with a quarter em between ideographs and Latin letters or digits ("2021 年"):
 * extractors read that space as a space. Take it out to compare with the text as written.
 */
function withoutCjkGaps(s: string): string {
  return s.replace(/(?<=\p{Script=Han}) (?=[\p{Script=Latin}\p{Nd}])|(?<=[\p{Script=Latin}\p{Nd}]) (?=\p{Script=Han})/gu, '');
}

describe('generate on the bundled sample', () => {
  const t = tempDir();
  let result: GenerateResult;
  let recipients: Recipient[];
  let manifest: ManifestEntry[];
  let pdfs: Map<string, PdfInfo>;

  beforeAll(async () => {
    result = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'out') });
    recipients = (await readRecipients(SAMPLE_CSV)).recipients;
    manifest = readFileSync(result.manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
    const files = manifest.map((m) => path.join(result.out, m.files!.pdf.path));
    pdfs = new Map(inspectPdfs(files).map((p) => [p.file, p]));
  });
  afterAll(() => t.cleanup());

  it('produces a PDF and an e-mail for every row, and a manifest line for each', () => {
    expect(result.failed).toBe(0);
    const expected = recipients.flatMap((r) => r.languages.map((l) => `${l}/${r.id}`));
    expect(result.produced).toBe(expected.length);
    expect(manifest.map((m) => `${m.language}/${m.id}`)).toEqual(expected);
    for (const r of recipients) {
      for (const l of r.languages) {
        expect(readdirSync(path.join(result.out, l))).toEqual(expect.arrayContaining([`${r.id}.pdf`, `${r.id}.eml`]));
      }
    }
  });

  it('records sizes and hashes that match the files', () => {
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    for (const m of manifest) {
      for (const f of [m.files!.pdf, m.files!.eml]) {
        const data = readFileSync(path.join(result.out, f.path));
        expect(data.length).toBe(f.bytes);
        expect(createHash('sha256').update(data).digest('hex')).toBe(f.sha256);
      }
    }
  });

  it("reads back each recipient's name, the localised date line and the subject, in every language", () => {
    const seen = new Set<string>();
    for (const m of manifest) {
      const r = recipients.find((x) => x.id === m.id)!;
      const lang = m.language;
      seen.add(lang);
      const pdf = pdfs.get(path.join(result.out, m.files!.pdf.path))!;
      const text = tidy(flatText(pdf));
      const name = fullName(r.first_name, r.last_name);
      expect(text).toContain(name || r.organization);
      expect(text).toContain(r.organization);
      expect(text).toContain(DATE_LINE[lang]);
      expect(text).toContain(SUBJECT[lang]);
      expect(pdf.info.Title).toBe(SUBJECT[lang]);
      expect(pdf.lang).toBe(TAG[lang]);
    }
    expect([...seen].sort()).toEqual(['ar', 'en', 'es', 'fr', 'ru', 'zh']);
  });

  it('sets Arabic right to left with numbers and Latin text in their own order', () => {
    const pdf = pdfs.get(path.join(result.out, 'ar', 'gov-ar-019.pdf'))!;
    const text = tidy(flatText(pdf));
    expect(text).toContain('عام 2011');
    expect(text).toContain('+41 22 730 6240');
    expect(text).toContain('50 000');
    expect(text).toContain('wsis-fund@example.org');
    expect(text).toContain('https://www.itu.int/go/wsisfund');
    // Brackets read back as written, not as the mirror images they are drawn as.
    expect(text).toContain('(2009-2021)');
    expect(text).toContain('(WSIS)');
    expect(text).toContain('دولة الواحة (خيالية)');
    expect(text).not.toMatch(/1102|SISW|0402 037/);
    // Mirrored page: the letterhead starts at the right margin, the date line sits left.
    const items = pdf.pages[0].items;
    // The letterhead is the top line (pdf.js gives each glyph of a right-to-left word written in
    // reading order as its own item).
    const top = Math.max(...items.map((i) => i.y));
    const head = items.filter((i) => Math.abs(i.y - top) < 1);
    const date = items.find((i) => i.str.includes('2021') && i.y > 700)!;
    expect(Math.max(...head.map((i) => i.x + i.width))).toBeCloseTo(595.28 - 68, 0); // the start margin, on the right
    expect(date.x).toBeLessThan(120);
    expect(pdf.fonts.some((f) => f.includes('NotoNaskhArabic'))).toBe(true);
  });

  it('sets Chinese in Noto Sans SC, never breaking before "，" or "。"', () => {
    const pdf = pdfs.get(path.join(result.out, 'zh', 'intl-zh-017.pdf'))!;
    expect(pdf.fonts.some((f) => f.includes('NotoSansHans'))).toBe(true);
    const lines = pdf.pages.flatMap((p) => p.text.split('\n')).map((l) => l.trim()).filter(Boolean);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line).not.toMatch(/^[，。、；：）」』》]/);
    expect(flatText(pdf)).toContain('王丽华女士');
  });

  it('sets the salutation by gender and title', () => {
    const text = (id: string, lang: string) => flatText(pdfs.get(path.join(result.out, lang, `${id}.pdf`))!);
    expect(text('gov-es-002', 'es')).toContain('Muy Señor mío:');
    expect(text('csoc-es-007', 'es')).toContain('Muy Señora mía/Muy Señor mío:');
    expect(text('psec-es-005', 'es')).toContain('Muy Señora mía:');
    expect(text('gov-en-003', 'en')).toContain('Excellency,');
    expect(text('gov-en-004', 'en')).toContain('Dear Sir/Madam,');
    expect(text('csoc-en-008', 'en')).toContain('Dear Madam,');
  });

  it('embeds subset fonts only, and has live links', () => {
    for (const pdf of pdfs.values()) {
      expect(pdf.fonts.length).toBeGreaterThanOrEqual(2);
      for (const f of pdf.fonts) expect(f).toMatch(/^[A-Z]{6}\+Noto(Sans|NaskhArabic|SansHans)\b/);
      expect(pdf.embeddedFontFiles).toBe(pdf.fonts.length);
      const urls = pdf.pages.flatMap((p) => p.annotations.map((a) => a.url));
      expect(urls).toEqual(expect.arrayContaining(['mailto:wsis-fund@example.org', 'https://www.itu.int/go/wsisfund']));
    }
  });

  it('ends every letter on one page with the closing, the signatory, the annex line and then the footer, in that order', () => {
    const merger = new Merger(loadCampaign(SAMPLE_CAMPAIGN));
    const squeeze = (s: string) => tidy(s).replace(/[\s\u202a-\u202e]+/g, '');
    for (const m of manifest) {
      const letter = merger.merge(recipients.find((x) => x.id === m.id)!, m.language);
      const last = squeeze(pdfs.get(path.join(result.out, m.files!.pdf.path))!.pages.at(-1)!.text);
      const order = [letter.closing, letter.sender.name, letter.sender.title, letter.labels.annex, letter.annex, letter.footer].map(squeeze);
      const at = order.map((piece) => last.indexOf(piece));
      expect([m.language, m.id, at.every((i) => i >= 0)]).toEqual([m.language, m.id, true]);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
    }
  });

  it('draws every text item inside the page margins', () => {
    for (const pdf of pdfs.values()) {
      for (const page of pdf.pages) {
        const [, , w, h] = page.view;
        for (const item of page.items) {
          expect(item.x).toBeGreaterThanOrEqual(50);
          expect(item.x + item.width).toBeLessThanOrEqual(w - 50);
          expect(item.y).toBeGreaterThan(20);
          expect(item.y).toBeLessThan(h - 30);
        }
      }
    }
  });

  it('numbers pages from page 2 on', () => {
    const longer = [...pdfs.values()].filter((pdf) => pdf.numPages > 1);
    expect(longer.length).toBeGreaterThan(0); // the check below must see second pages
    for (const pdf of pdfs.values()) {
      expect(pdf.pages[0].text).not.toMatch(/- 1 -/);
      pdf.pages.slice(1).forEach((p, i) => expect(p.text).toContain(`- ${i + 2} -`));
    }
  });

  it('writes e-mails that a MIME parser reads back whole, with the PDF attached', async () => {
    for (const m of manifest) {
      const r = recipients.find((x) => x.id === m.id)!;
      const raw = readFileSync(path.join(result.out, m.files!.eml.path));
      for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
      expect(raw.toString('latin1')).toMatch(/^[\x00-\x7f]*$/);
      const mail = await simpleParser(raw);
      expect(mail.subject).toBe(SUBJECT[m.language]);
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : '').toBe(r.email);
      expect(mail.from?.value[0].address).toBe('wsis-fund@example.org');
      expect(mail.messageId).toMatch(/^<[^@]+@example\.org>$/);
      expect(mail.date?.toISOString().slice(0, 10)).toBe(new Date(2021, 8, 3).toISOString().slice(0, 10));
      expect(mail.headers.get('content-language')).toBe(TAG[m.language]);
      expect(mail.text).toContain(COVER[m.language]);
      // The letter, then the annex it names, in its language.
      expect(mail.attachments).toHaveLength(2);
      expect(mail.attachments[0].contentType).toBe('application/pdf');
      expect(mail.attachments[0].content.equals(readFileSync(path.join(result.out, m.files!.pdf.path)))).toBe(true);
      expect(mail.attachments[1].contentType).toBe('application/pdf');
      expect(mail.attachments[1].filename).toBe(ANNEX_FILE[m.language]);
    }
  });

  it("passes Python's e-mail parser without defects", () => {
    const files = manifest.map((m) => path.join(result.out, m.files!.eml.path));
    const script = [
      'import sys, email, email.policy',
      'bad = []',
      'for f in sys.argv[1:]:',
      '    msg = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)',
      '    defects = list(msg.defects) + [d for part in msg.walk() for d in part.defects]',
      '    pdfs = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]',
      '    if defects or len(pdfs) != 2 or not all(p.get_content().startswith(b"%PDF-") for p in pdfs): bad.append((f, defects))',
      'print(bad)',
      'sys.exit(1 if bad else 0)',
    ].join('\n');
    expect(execFileSync('python3', ['-c', script, ...files]).toString().trim()).toBe('[]');
  });

  // poppler-utils and qpdf: .ci/run installs them; a developer machine may not have them yet.
  const tools = hasCommand('qpdf') && hasCommand('pdffonts') && hasCommand('pdftotext');
  (tools ? it : it.skip)('passes qpdf --check; pdffonts shows every font embedded; pdftotext reads the letter', () => {
    for (const m of manifest) {
      const file = path.join(result.out, m.files!.pdf.path);
      execFileSync('qpdf', ['--check', file]);
      const fonts = execFileSync('pdffonts', [file]).toString().trim().split('\n').slice(2);
      expect(fonts.length).toBeGreaterThan(0);
      for (const line of fonts) expect(line).toMatch(/\s+yes\s+yes\s+yes\s+\d+\s+\d+$/);
      // poppler marks right-to-left runs with embedding controls; drop them to compare.
      const text = withoutCjkGaps(execFileSync('pdftotext', [file, '-']).toString().replace(/[\u202a-\u202e]/g, '').replace(/\s+/g, ' '));
      const r = recipients.find((x) => x.id === m.id)!;
      if (m.language === 'ar') {
        expect(text).toContain('أحمد المنصوري'.includes(r.last_name) ? 'أحمد المنصوري' : r.last_name);
        expect(text).toContain('سبتمبر 2021');
        expect(text).toContain('WSIS');
        expect(text).toContain('(خيالية)'); // a bracket reads as written
        expect(text).not.toMatch(/1202|SISW/);
        // Every mark (tanween, shadda…) on the line of its letter, none on a line of its own.
        const lines = execFileSync('pdftotext', [file, '-']).toString().split('\n');
        expect(lines.join('')).toMatch(/[\u064b-\u065f]/);
        expect(lines.filter((l) => /^[\u064b-\u065f\u0670\u202a-\u202e\s]*$/.test(l) && /[\u064b-\u065f\u0670]/.test(l))).toEqual([]);
      } else {
        expect(text).toContain(fullName(r.first_name, r.last_name) || r.organization);
        expect(text).toContain(DATE_LINE[m.language]);
        expect(text).toContain(SUBJECT[m.language]);
      }
    }
  });
});

describe('generate: determinism and failures', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('writes byte-identical files when run twice', async () => {
    const a = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'a') });
    const b = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'b') });
    const read = (r: GenerateResult) => readFileSync(r.manifest, 'utf8');
    expect(read(a)).toBe(read(b));
    for (const lang of ['es', 'en', 'fr', 'ru', 'zh', 'ar']) {
      for (const f of readdirSync(path.join(a.out, lang))) {
        expect(readFileSync(path.join(a.out, lang, f)).equals(readFileSync(path.join(b.out, lang, f)))).toBe(true);
      }
    }
  });

  it('produces the good rows, lists the bad ones and writes failed.csv', async () => {
    const csv = writeCsv(t.dir, 'mixed.csv', [
      row({ id: 'ok1' }),
      row({ id: 'bad-lang', language: 'xx' }),
      row({ id: 'ok2', language: 'es' }),
      row({ id: 'bad-mail', email: 'nobody' }),
    ]);
    const r = await generate({ csv, out: path.join(t.dir, 'out') });
    expect(r.produced).toBe(2);
    expect(r.failed).toBe(2);
    expect(r.failures.map((f) => [f.id, f.line, f.field])).toEqual([
      ['bad-lang', 4, 'language'], // each row spans two lines (the address)
      ['bad-mail', 8, 'email'],
    ]);
    const failed = parse(readFileSync(r.failedCsv!, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(failed.map((f) => f.id)).toEqual(['bad-lang', 'bad-mail']);
    expect(failed[0]).toMatchObject({ language: 'xx', address: '1 College Road\nExampletown', email: 'ada@example.edu' });
    expect(failed[0].error).toMatch(/^line 4, language: unknown language "xx"/);
    expect(readdirSync(path.join(r.out, 'en')).sort()).toEqual(['ok1.eml', 'ok1.pdf']);
  });

  it('fails a recipient whose name has a character no font can draw, and goes on with the rest', async () => {
    const csv = writeCsv(t.dir, 'glyph.csv', [
      row({ id: 'ok-zh', language: 'en', first_name: '丽华', last_name: '王' }),
      row({ id: 'hiero', last_name: 'Scribe \u{13000}' }),
      row({ id: 'ok-ar', language: 'fr', organization: 'مركز الدراسات' }),
    ]);
    const r = await generate({ csv, out: path.join(t.dir, 'out') });
    expect(r.produced).toBe(2);
    expect(r.failures).toEqual([
      expect.objectContaining({ id: 'hiero', field: 'last_name', message: expect.stringMatching(/"\u{13000}" \(U\+13000\)/u) }),
    ]);
    const [zh, ar] = inspectPdfs([path.join(r.out, 'en', 'ok-zh.pdf'), path.join(r.out, 'fr', 'ok-ar.pdf')]);
    expect(flatText(zh)).toContain('Dr 王丽华');
    expect(flatText(ar)).toContain('مركز الدراسات');
    expect(ar.fonts.some((f) => f.includes('NotoNaskhArabic'))).toBe(true);
  });

  it('filters by language and counts what it skipped', async () => {
    const r = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'out'), languages: ['en'] });
    const all = (await readRecipients(SAMPLE_CSV)).recipients.flatMap((x) => x.languages);
    const english = all.filter((l) => l === 'en').length;
    expect(english).toBeGreaterThan(5);
    expect(r.produced).toBe(english);
    expect(r.skipped).toBe(all.length - english);
    expect(readdirSync(r.out).sort()).toEqual(['en', 'manifest.jsonl']);
  });

  it('gives one letter per language to a recipient with several', async () => {
    const csv = writeCsv(t.dir, 'multi.csv', [row({ id: 'both', language: 'es;en' })]);
    const r = await generate({ csv, out: path.join(t.dir, 'out') });
    expect(r.produced).toBe(2);
    const [es, en] = inspectPdfs([path.join(r.out, 'es', 'both.pdf'), path.join(r.out, 'en', 'both.pdf')]);
    expect(flatText(es)).toContain(DATE_LINE.es);
    expect(flatText(en)).toContain(DATE_LINE.en);
  });

  it('writes nothing when the file as a whole is unusable', async () => {
    const csv = writeCsv(t.dir, 'dup.csv', [row({ id: 'x' }), row({ id: 'x' })]);
    const out = path.join(t.dir, 'out');
    await expect(generate({ csv, out })).rejects.toMatchObject({ code: 'DUPLICATE_ID', kind: 'input' });
    expect(() => readdirSync(out)).toThrow();
  });

  it('places a template that fails for some rows at each row, naming the template line; one that fails for the first row is told once', async () => {
    const { campaignCopy } = await import('../helpers');
    const { validate } = await import('../../src/batch/validate');
    const dir = campaignCopy(t.dir, { 'en/letter.md': '---\nsubject: S\n---\nDear reader,\n\n{{#if (eq gender "male")}}{{formatDate "soon"}}{{/if}}\n' });
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'f1' }), row({ id: 'm1', gender: 'male' }), row({ id: 'f2' }), row({ id: 'm2', gender: 'male' })]);
    const template = { file: path.join(dir, 'en', 'letter.md'), line: 6 };
    // Each row takes two lines (its address has two). Before, a row's problem took the template's
    // file and the row's line ("letter.md:4"), or in generate the template's line as the row's.
    const v = await validate({ csv, campaign: dir });
    expect(v.problems.map((p) => [p.file, p.line, p.id, p.source])).toEqual([
      [csv, 4, 'm1', template],
      [csv, 8, 'm2', template],
    ]);
    const r = await generate({ csv, campaign: dir, out: path.join(t.dir, 'out') });
    expect(r.produced).toBe(2);
    expect(r.failures.map((p) => [p.line, p.source])).toEqual([[4, template], [8, template]]);
    const failed = parse(readFileSync(path.join(r.out, 'failed.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(failed.map((f) => f.error)).toEqual([4, 8].map((n) => `line ${n} (en): the letter template cannot be used: formatDate: "soon" is not YYYY-MM-DD (at ${template.file}:6)`));
    // Failing for the first row, the template is one problem, where generate stops.
    const first = writeCsv(t.dir, 'm.csv', [row({ id: 'm1', gender: 'male' }), row({ id: 'm2', gender: 'male' })]);
    const w = await validate({ csv: first, campaign: dir });
    expect(w.problems).toMatchObject([{ scope: 'file', file: template.file, line: 6, hint: `Checked against ${first}, line 2.` }]);
    await expect(generate({ csv: first, campaign: dir, out: path.join(t.dir, 'out2') })).rejects.toMatchObject({ code: 'TEMPLATE', location: template });
  });

  it("refuses an output folder that holds another campaign's letters, and leaves them as they are", async () => {
    const { campaignCopy, sampleYaml } = await import('../helpers');
    const out = path.join(t.dir, 'out');
    const csv = writeCsv(t.dir, 'r.csv', [row({ id: 'a' }), row({ id: 'b' })]);
    await generate({ csv, out });
    const before = readFileSync(path.join(out, 'en', 'a.pdf'));
    // The next campaign into the same folder (the default "out" used again) replaced them, before.
    const next = campaignCopy(t.dir, { 'campaign.yaml': sampleYaml([/^id: .*$/m, 'id: next-campaign-2023']) });
    await expect(generate({ csv, campaign: next, out })).rejects.toMatchObject({
      code: 'OUT_FOLDER',
      message: `the output folder ${out} holds the letters of another campaign (wsis-trust-fund-2022), and this run is of next-campaign-2023: they would be replaced, or moved aside`,
    });
    await expect(generate({ csv, campaign: next, out, resume: true })).rejects.toMatchObject({ code: 'OUT_FOLDER' });
    expect(readFileSync(path.join(out, 'en', 'a.pdf')).equals(before)).toBe(true);
    expect((await generate({ csv, campaign: next, out: path.join(t.dir, 'next') })).produced).toBe(2);
  });

  it('lays out a long letter over several pages without losing text', async () => {
    const { campaignCopy } = await import('../helpers');
    const para = 'This sentence is part of a very long body used to test page breaks. '.repeat(25);
    const body = Array.from({ length: 8 }, (_, i) => `Paragraph ${i + 1}. ${para}`).join('\n\n');
    const dir = campaignCopy(t.dir, { 'en/letter.md': `---\nsubject: Long\nannex: Something\n---\n{{salutation}}\n\n${body}\n\n- item one\n- item two\n` });
    const csv = writeCsv(t.dir, 'one.csv', [row({ id: 'long' })]);
    const r = await generate({ csv, campaign: dir, out: path.join(t.dir, 'out') });
    const [pdf] = inspectPdfs([path.join(r.out, 'en', 'long.pdf')]);
    expect(pdf.numPages).toBeGreaterThanOrEqual(4);
    const text = flatText(pdf);
    for (let i = 1; i <= 8; i++) expect(text).toContain(`Paragraph ${i}.`);
    expect(text).toContain('item two');
    expect(text.indexOf('Yours faithfully,')).toBeLessThan(text.indexOf('Tomás ARRIAGA'));
    expect(pdf.pages[pdf.numPages - 1].text).toContain('Annex:');
    pdf.pages.forEach((p, i) => (i === 0 ? expect(p.text).not.toMatch(/- 1 -/) : expect(p.text).toContain(`- ${i + 1} -`)));
  });
});
