import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { parse } from 'csv-parse/sync';
import { generate } from '../../src/batch/generate';
import type { GenerateResult, ManifestEntry } from '../../src/batch/generate';
import { readRecipients } from '../../src/data/recipients';
import type { Recipient } from '../../src/data/recipients';
import { SAMPLE_CSV, flatText, hasCommand, inspectPdfs, row, tempDir, writeCsv } from '../helpers';
import type { PdfInfo } from '../helpers';

const SUBJECT = {
  es: 'Invitación a contribuir al Fondo Fiduciario de la CMSI – 2022',
  en: 'Invitation to contribute to the WSIS Trust Fund – 2022',
} as Record<string, string>;
const DATE_LINE = { es: 'Ginebra, 3 de septiembre de 2021', en: 'Geneva, 3 September 2021' } as Record<string, string>;

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
    expect(result.produced).toBe(recipients.length);
    expect(manifest.map((m) => m.id)).toEqual(recipients.map((r) => r.id));
    for (const r of recipients) {
      const dir = readdirSync(path.join(result.out, r.languages[0]));
      expect(dir).toEqual(expect.arrayContaining([`${r.id}.pdf`, `${r.id}.eml`]));
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

  it("reads back each recipient's name, the localised date line and the subject", () => {
    for (const r of recipients) {
      const lang = r.languages[0];
      const pdf = pdfs.get(path.join(result.out, lang, `${r.id}.pdf`))!;
      const text = flatText(pdf);
      if (r.last_name) expect(text).toContain(r.last_name);
      expect(text).toContain(r.organization);
      expect(text).toContain(DATE_LINE[lang]);
      expect(text).toContain(SUBJECT[lang]);
      expect(pdf.info.Title).toBe(SUBJECT[lang]);
      expect(pdf.lang).toBe(lang === 'en' ? 'en-GB' : 'es');
    }
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

  it('embeds subset fonts only, and has live links and the closing block', () => {
    for (const pdf of pdfs.values()) {
      expect(pdf.fonts.length).toBeGreaterThanOrEqual(2);
      for (const f of pdf.fonts) expect(f).toMatch(/^[A-Z]{6}\+NotoSans-/);
      expect(pdf.embeddedFontFiles).toBe(pdf.fonts.length);
      const urls = pdf.pages.flatMap((p) => p.annotations.map((a) => a.url));
      expect(urls).toEqual(expect.arrayContaining(['mailto:wsis-fund@example.org', 'https://www.itu.int/go/wsisfund']));
      expect(flatText(pdf)).toContain('Tomás ARRIAGA');
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
      expect(mail.headers.get('content-language')).toBe(m.language === 'en' ? 'en-GB' : 'es');
      expect(mail.text).toContain(m.language === 'es' ? 'Le remitimos adjunta' : 'Please find attached');
      expect(mail.attachments).toHaveLength(1);
      expect(mail.attachments[0].contentType).toBe('application/pdf');
      expect(mail.attachments[0].content.equals(readFileSync(path.join(result.out, m.files!.pdf.path)))).toBe(true);
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
      '    if defects or len(pdfs) != 1 or not pdfs[0].get_content().startswith(b"%PDF-"): bad.append((f, defects))',
      'print(bad)',
      'sys.exit(1 if bad else 0)',
    ].join('\n');
    expect(execFileSync('python3', ['-c', script, ...files]).toString().trim()).toBe('[]');
  });

  // poppler-utils and qpdf: .ci/run installs them; a developer machine may not have them yet.
  const tools = hasCommand('qpdf') && hasCommand('pdffonts') && hasCommand('pdftotext');
  (tools ? it : it.skip)('passes qpdf --check; pdffonts shows every font embedded; pdftotext reads the letter', () => {
    for (const file of pdfs.keys()) {
      execFileSync('qpdf', ['--check', file]);
      const fonts = execFileSync('pdffonts', [file]).toString().trim().split('\n').slice(2);
      expect(fonts.length).toBeGreaterThan(0);
      for (const line of fonts) expect(line).toMatch(/\s+yes\s+yes\s+yes\s+\d+\s+\d+$/);
      const text = execFileSync('pdftotext', ['-layout', file, '-']).toString();
      expect(text).toMatch(/Ginebra, 3 de septiembre de 2021|Geneva, 3 September 2021/);
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
    for (const lang of ['es', 'en']) {
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

  it('filters by language and counts what it skipped', async () => {
    const r = await generate({ csv: SAMPLE_CSV, out: path.join(t.dir, 'out'), languages: ['en'] });
    expect(r.skipped).toBe(6);
    expect(r.produced).toBe(6);
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
  });
});
