import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { renderEmail, renderEmailByNodemailer, seedOf, standIn } from '../../src/render/email';
import type { EmailInput } from '../../src/render/email';

function input(attachments: EmailInput['attachments'], text = 'Estimada Sra. Núñez:\n\nLe remitimos la carta adjunta.\n'): EmailInput {
  return {
    from: { name: 'Fondo Fiduciario', address: 'fondo@example.org' },
    to: { name: 'Ana Núñez', address: 'ana@example.org' },
    subject: 'Invitación a contribuir',
    text,
    lang: 'es',
    date: new Date(Date.UTC(2021, 8, 3)),
    campaignId: 'trust-fund',
    recipientId: 'r-1',
    attachments,
  };
}

const pdf = (n: number, name = 'carta.pdf') => ({ filename: name, content: randomBytes(n), contentType: 'application/pdf' });

describe("the e-mail's attachments", () => {
  it('are the bytes nodemailer writes when it encodes them itself, at every length around a line and a group of three', async () => {
    for (const n of [1, 2, 3, 56, 57, 58, 113, 114, 115, 4096, 150_001]) {
      const mail = input([pdf(n), pdf(n + 1, 'Anexo — términos.pdf'), { filename: 'logo.png', content: randomBytes(n % 500), contentType: 'image/png' }]);
      expect((await renderEmail(mail)).toString('latin1')).toBe((await renderEmailByNodemailer(mail)).toString('latin1'));
    }
  });

  it('read back whole in a mail reader', async () => {
    const a = pdf(31_620);
    const b = pdf(25_001, 'Anexo.pdf');
    const parsed = await simpleParser(await renderEmail(input([a, b])));
    expect(parsed.attachments.map((x) => [x.filename, x.contentType])).toEqual([
      ['carta.pdf', 'application/pdf'],
      ['Anexo.pdf', 'application/pdf'],
    ]);
    expect(parsed.attachments[0].content.equals(a.content)).toBe(true);
    expect(parsed.attachments[1].content.equals(b.content)).toBe(true);
  });

  it('an empty attachment, and none, as nodemailer writes them', async () => {
    for (const attachments of [[], [{ filename: 'vacío.txt', content: Buffer.alloc(0), contentType: 'text/plain' }, pdf(10)]]) {
      const mail = input(attachments);
      expect((await renderEmail(mail)).equals(await renderEmailByNodemailer(mail))).toBe(true);
    }
  });

  it("are encoded by nodemailer when the letter's own text holds a stand-in", async () => {
    const mail = input([pdf(5000), pdf(7000, 'b.pdf')]);
    const token = standIn(seedOf(mail), 1).toString('base64');
    const tricky = { ...mail, text: `Referencia: ${token}\n` };
    const out = await renderEmail(tricky);
    expect(out.equals(await renderEmailByNodemailer(tricky))).toBe(true);
    const parsed = await simpleParser(out);
    expect(parsed.text).toContain(token);
    expect(parsed.attachments[1].content.equals(tricky.attachments[1].content)).toBe(true);
  });
});
