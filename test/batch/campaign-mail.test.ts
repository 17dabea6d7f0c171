import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { ManifestEntry } from '../../src/batch/generate';
import { send } from '../../src/batch/send';
import type { SentRecord } from '../../src/batch/send';
import { HEADER, SAMPLE_CSV, campaignCopy, cli, hasCommand, inspectPdfs, row, sampleYaml, tempDir, writeCsv } from '../helpers';
import { checkPdfRules } from '../helpers/pdf-rules';
import { startServer } from '../helpers/smtp';

function manifestOf(out: string): ManifestEntry[] {
  return readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
}

/** The sample campaign.yaml with its attachments replaced by `yaml` (a YAML list, indented). */
function withAttachments(yaml: string, ...edits: [RegExp, string][]): string {
  return sampleYaml([/\nattachments:\n(  .*\n|    .*\n|      .*\n)+/, `\nattachments:\n${yaml}`], ...edits);
}

describe('attachments', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('attaches the annex after the letter, in the letter language, set as a tagged PDF/A with the letterhead', async () => {
    const out = path.join(t.dir, 'sample');
    expect((await cli(['generate', SAMPLE_CSV, '--out', out])).code).toBe(0);
    const titles: Record<string, string> = {
      en: 'Partnership Packages for the WSIS Forum 2022',
      fr: 'Dossiers de partenariat pour le Forum du SMSI de 2022',
      ar: 'مجموعات الشراكة لمنتدى القمة العالمية لمجتمع المعلومات لعام 2022',
    };
    for (const lang of Object.keys(titles)) {
      const e = manifestOf(out).find((m) => m.language === lang)!;
      const mail = await simpleParser(readFileSync(path.join(out, e.files!.eml.path)));
      const annex = path.join(t.dir, `annex-${lang}.pdf`);
      writeFileSync(annex, mail.attachments[1].content);
      const [pdf] = inspectPdfs([annex]);
      expect(pdf.info.Title).toBe(titles[lang]);
      expect(pdf.lang).toBe({ en: 'en-GB', fr: 'fr', ar: 'ar' }[lang]);
      if (hasCommand('qpdf')) expect(checkPdfRules(annex).failures).toEqual([]);
    }
  });

  it('attaches other files as they are, with the content type of their name, to the groups named, falling back to the default language', async () => {
    const dir = campaignCopy(t.dir, {
      'campaign.yaml': withAttachments(
        ['  - { es: annex/es.md, en: annex/en.md }', '  - file: extra/budget.xlsx', '    groups: [government]', '  - file: { es: extra/nota.txt }', '    name: { es: Nota, en: Note }', ''].join('\n'),
      ),
    });
    mkdirSync(path.join(dir, 'extra'));
    const xlsx = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64, 7)]);
    writeFileSync(path.join(dir, 'extra', 'budget.xlsx'), xlsx);
    writeFileSync(path.join(dir, 'extra', 'nota.txt'), 'Plazos y condiciones.\n');
    const csv = writeCsv(t.dir, 'groups.csv', [row({ id: 'g1', group: 'government', language: 'en' }), row({ id: 'a1', group: 'academia', language: 'fr' })]);
    const out = path.join(t.dir, 'groups');
    const r = await cli(['generate', csv, '--campaign', dir, '--out', out]);
    expect(r.code).toBe(0);
    const gov = await simpleParser(readFileSync(path.join(out, 'en', 'g1.eml')));
    expect(gov.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      [expect.stringMatching(/g1\.pdf$/), 'application/pdf'],
      ['en.pdf', 'application/pdf'],
      ['budget.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['Note.txt', 'text/plain'],
    ]);
    expect(gov.attachments[2].content.equals(xlsx)).toBe(true);
    // French: no file of its own, so the default language's (Spanish); not government, so no budget.
    const acad = await simpleParser(readFileSync(path.join(out, 'fr', 'a1.eml')));
    expect(acad.attachments.map((a) => a.filename)).toEqual([expect.stringMatching(/a1\.pdf$/), 'es.pdf', 'Nota.txt']);
    expect(acad.attachments[2].content.toString()).toBe('Plazos y condiciones.\n');
  });

  it('stops before writing anything when an attachment is missing, unreadable or outside the campaign folder (exit 3, naming it)', async () => {
    const cases: [string, RegExp][] = [
      ['  - annex/nowhere.pdf\n', /attachments\[0\]: the attachment annex\/nowhere\.pdf was not found/],
      ['  - annex\n', /attachments\[0\]: the attachment annex is a folder, not a file/],
      ['  - ../outside.pdf\n', /attachments\[0\]: \.\.\/outside\.pdf is outside the campaign folder/],
      ['  - { es: annex/es.md, de: annex/en.md }\n', /attachments\[0\]: "de" is not a language code/],
      ['  - { file: annex/es.md, groups: [press] }\n', /attachments\[0\]\.groups: unknown group "press"/],
      // Links inside the folder to what is outside it (a shared campaign keeps its links): a file, and a folder.
      ['  - annex/key.pem\n', /attachments\[0\]: annex\/key\.pem is a link to .*secret\.pem, outside the campaign folder/],
      ['  - private/secret.pem\n', /attachments\[0\]: private\/secret\.pem is a link to .*secret\.pem, outside the campaign folder/],
    ];
    writeFileSync(path.join(t.dir, 'secret.pem'), '-----BEGIN PRIVATE KEY-----\n');
    for (const [i, [yaml, message]] of cases.entries()) {
      const dir = campaignCopy(path.join(t.dir, `bad-${i}`), { 'campaign.yaml': withAttachments(yaml) });
      writeFileSync(path.join(t.dir, `bad-${i}`, 'outside.pdf'), '%PDF-1.7\n');
      symlinkSync(path.join(t.dir, 'secret.pem'), path.join(dir, 'annex', 'key.pem'));
      symlinkSync(t.dir, path.join(dir, 'private'));
      const v = await cli(['validate', SAMPLE_CSV, '--campaign', dir]);
      expect(v.code).toBe(3);
      expect(v.stderr).toMatch(message);
      const out = path.join(t.dir, `bad-out-${i}`);
      const g = await cli(['generate', SAMPLE_CSV, '--campaign', dir, '--out', out]);
      expect(g.code).toBe(3);
      expect(g.stderr).toMatch(message);
      expect(existsSync(path.join(out, 'manifest.jsonl'))).toBe(false);
    }
  });

  it('fails a row whose e-mail would be larger than email.max_bytes, saying the size', async () => {
    const dir = campaignCopy(path.join(t.dir, 'small'), { 'campaign.yaml': sampleYaml([/ {2}# max_bytes: 10 MB.*/, '  max_bytes: 60 kB']) });
    const csv = writeCsv(t.dir, 'one.csv', [row({ id: 'big', language: 'en' })]);
    const out = path.join(t.dir, 'small-out');
    const r = await cli(['generate', csv, '--campaign', dir, '--out', out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/id big \(en\): the e-mail is \d+\.\d kB with its attachments, over email\.max_bytes \(60\.0 kB\)/);
    expect(readFileSync(path.join(out, 'failed.csv'), 'utf8')).toMatch(/over email\.max_bytes/);
  });

  it('has validate fail the rows whose attachments alone are over email.max_bytes, as generate would', async () => {
    const dir = campaignCopy(path.join(t.dir, 'heavy'), {
      'campaign.yaml': sampleYaml([/ {2}# max_bytes: 10 MB.*/, '  max_bytes: 100 kB'], [/\nattachments:\n/, '\nattachments:\n  - file: rules.bin\n    groups: [government]\n']),
      'rules.bin': 'x'.repeat(90_000),
    });
    const csv = writeCsv(t.dir, 'two.csv', [row({ id: 'gov', group: 'government' }), row({ id: 'uni', group: 'academia' })]);
    const v = await cli(['validate', csv, '--campaign', dir]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/id gov \(en\): the e-mail would be at least 123\.\d kB with its attachments, over email\.max_bytes \(100\.0 kB\)/);
    expect(v.stderr).not.toMatch(/id uni/);
    const g = await cli(['generate', csv, '--campaign', dir, '--out', path.join(t.dir, 'heavy-out')]);
    expect(g.code).toBe(4);
    expect(g.stderr).toMatch(/id gov \(en\): the e-mail is \d+\.\d kB with its attachments, over email\.max_bytes/);
  });

  it('warns when letters name an annex and nothing is attached, or the reverse', async () => {
    const none = campaignCopy(path.join(t.dir, 'none'), { 'campaign.yaml': sampleYaml([/\nattachments:\n(  .*\n|    .*\n|      .*\n)+/, '\n']) });
    const v = await cli(['validate', SAMPLE_CSV, '--campaign', none]);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/warning: letters in es to government name an annex \("Lotes de Asociación para el Foro de la CMSI de 2022"\) but nothing is attached/);
    const noLine = campaignCopy(path.join(t.dir, 'noline'), {
      'en/letter.md': readFileSync(path.join(none, 'en', 'letter.md'), 'utf8').replace(/^annex: .*\n/m, ''),
    });
    const w = await cli(['validate', writeCsv(t.dir, 'en.csv', [row({ id: 'e1', language: 'en' })]), '--campaign', noLine]);
    expect(w.stderr).toMatch(/warning: letters in en to academia have Partnership Packages – WSIS Forum 2022\.pdf attached, but name no annex/);
  });
});

describe('Cc, Bcc and Reply-To', () => {
  const t = tempDir();
  let out: string;
  afterAll(() => t.cleanup());

  beforeAll(async () => {
    const dir = campaignCopy(t.dir, {
      'campaign.yaml': sampleYaml([/ {2}# bcc: archive@example\.org/, '  bcc: archive@example.org'], [/ {2}# reply_to: .*/, '  reply_to: "Fund Desk <desk@example.org>"'], [/ {2}# cc: .*/, '  cc: "Registry <registry@example.org>"']),
    });
    const csv = writeCsv(
      t.dir,
      'copies.csv',
      [
        [...row({ id: 'c1', language: 'en', email: 'minister@example.gov' }), '"Mission of Utopia" <mission@example.gov>; deputy@example.gov', 'records@example.gov'],
        [...row({ id: 'c2', language: 'fr', email: 'prof@example.edu' }), '', ''],
      ],
      `${HEADER},cc,bcc`,
    );
    out = path.join(t.dir, 'out');
    const r = await cli(['generate', csv, '--campaign', dir, '--out', out]);
    expect(r.code).toBe(0);
  });

  it('writes Cc and Reply-To into the e-mail, and the blind copies only into the envelope', async () => {
    const raw = readFileSync(path.join(out, 'en', 'c1.eml'));
    const mail = await simpleParser(raw);
    const cc = (Array.isArray(mail.cc) ? mail.cc : [mail.cc]).flatMap((a) => a!.value.map((v) => [v.name, v.address]));
    expect(cc).toEqual([
      ['Registry', 'registry@example.org'],
      ['Mission of Utopia', 'mission@example.gov'],
      ['', 'deputy@example.gov'],
    ]);
    expect(mail.replyTo?.value).toEqual([{ name: 'Fund Desk', address: 'desk@example.org' }]);
    expect(mail.bcc).toBeUndefined();
    expect(raw.toString('latin1')).not.toMatch(/archive@example\.org|records@example\.gov|^bcc:/im);
    const e = manifestOf(out).find((m) => m.id === 'c1')!;
    expect(e.envelope).toMatchObject({ to: 'minister@example.gov', cc: ['registry@example.org', 'mission@example.gov', 'deputy@example.gov'], bcc: ['archive@example.org', 'records@example.gov'] });
    // A row without copies gets the campaign's.
    expect(manifestOf(out).find((m) => m.id === 'c2')!.envelope).toMatchObject({ cc: ['registry@example.org'], bcc: ['archive@example.org'] });
  });

  it("passes Python's e-mail parser: Cc and Reply-To as written, no Bcc", () => {
    const script = [
      'import sys, email, email.policy',
      'msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)',
      'assert not msg.defects, msg.defects',
      'print(msg["Cc"]); print(msg["Reply-To"]); print(msg["Bcc"])',
    ].join('\n');
    const lines = execFileSync('python3', ['-c', script, path.join(out, 'en', 'c1.eml')]).toString().trim().split('\n');
    expect(lines).toEqual(['Registry <registry@example.org>, Mission of Utopia <mission@example.gov>, deputy@example.gov', 'Fund Desk <desk@example.org>', 'None']);
  });

  it('fails a row with a bad copy address, and refuses a bad campaign one', async () => {
    const csv = writeCsv(t.dir, 'bad.csv', [[...row({ id: 'b1' }), 'jane.doe@'], [...row({ id: 'b2' }), 'a@example.org b@example.org']], `${HEADER},cc`);
    const v = await cli(['validate', csv]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/id b1, cc: .*jane\.doe@/);
    expect(v.stderr).toMatch(/id b2, cc: "a@example\.org b@example\.org" holds more than one address: separate them with ";" or ","/);
    const dir = campaignCopy(path.join(t.dir, 'badbcc'), { 'campaign.yaml': sampleYaml([/ {2}# bcc: archive@example\.org/, '  bcc: "archive at example.org"']) });
    const c = await cli(['validate', SAMPLE_CSV, '--campaign', dir]);
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/email\.bcc: /);
  });

  it('sends each message once to To, Cc and Bcc, and reports a copy the server refuses', async () => {
    const s = await startServer({
      onRcptTo(address, _session, callback) {
        if (address.address === 'deputy@example.gov') return callback(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
        callback();
      },
    });
    try {
      const r = await send({ out, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(r).toMatchObject({ sent: 2, partlyRejected: 1, rejected: 0 });
      expect(s.received).toHaveLength(2);
      const c1 = s.received.find((m) => m.to.includes('minister@example.gov'))!;
      expect(c1.to.sort()).toEqual(['archive@example.org', 'minister@example.gov', 'mission@example.gov', 'records@example.gov', 'registry@example.org']);
      expect(c1.data).not.toMatch(/records@example\.gov/);
      const log = readFileSync(path.join(out, 'sent.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentRecord);
      const sent = log.find((l) => l.id === 'c1' && l.status === 'sent')!;
      expect(sent.recipients).toContainEqual({ address: 'deputy@example.gov', accepted: false, response: expect.stringMatching(/550/) });
      expect(sent.recipients!.filter((x) => x.accepted)).toHaveLength(5);
      expect(r.failures).toEqual([expect.objectContaining({ id: 'c1', status: 'partly rejected', message: expect.stringMatching(/delivered to 5 of 6 recipients; the server refused deputy@example\.gov/) })]);
      // Delivered is delivered: a second run sends nothing.
      const again = await send({ out, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(again).toMatchObject({ sent: 0, alreadySent: 2 });
    } finally {
      await s.close();
    }
  });
});
