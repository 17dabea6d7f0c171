import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import MimeNode from 'nodemailer/lib/mime-node';
import { attachedToMany, renderEmail, renderEmailByNodemailer } from '../../src/render/email';
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

  it('attached to many messages, are encoded once and come out the same in each, as nodemailer writes them', async () => {
    for (const n of [1, 57, 58, 4096, 56_000]) {
      const annex = attachedToMany(randomBytes(n));
      for (const letter of [pdf(n + 3), pdf(2 * n + 1)]) {
        const mail = input([letter, { filename: 'Anexo.pdf', content: annex, contentType: 'application/pdf' }]);
        expect((await renderEmail(mail)).toString('latin1')).toBe((await renderEmailByNodemailer(mail)).toString('latin1'));
      }
    }
    // Marked content is the caller's promise that it does not change; unmarked content is encoded afresh every time.
    const changing = randomBytes(300);
    const mail = input([pdf(10), { filename: 'a.bin', content: changing, contentType: 'application/octet-stream' }]);
    const before = await renderEmail(mail);
    changing[0] ^= 0xff;
    const after = await renderEmail(mail);
    expect(after.equals(before)).toBe(false);
    expect(after.equals(await renderEmailByNodemailer(mail))).toBe(true);
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

  it('make the message nodemailer writes through its streams, byte for byte, whatever the text and headers', async () => {
    const texts = [
      '',
      'a',
      'Line with trailing spaces   \nand a tab\t\nand = signs, a dot\n.\nand the end without a line break',
      `${'x'.repeat(75)} ${'y'.repeat(80)}\n${'ñ'.repeat(40)}=\n`,
      'Windows\r\nline ends\r\n\r\n',
      '多语言文本：中文，العربية، русский.\n',
      ' \t \n',
    ];
    const a = pdf(3000);
    for (const text of texts) {
      for (const extra of [{}, { cc: [{ name: 'Cc =?x?= Name', address: 'cc@example.org' }], replyTo: { name: '=?UTF-8?B?eA==?=', address: 'reply@example.org' } }, { subject: '=?utf-8?Q?looks_encoded?= — ñ' }]) {
        const mail = { ...input([a]), text, ...extra };
        expect([text, (await renderEmail(mail)).toString('latin1')]).toEqual([text, (await renderEmailByNodemailer(mail)).toString('latin1')]);
      }
    }
    const parsed = await simpleParser(await renderEmail(input([a], texts[3])));
    expect(parsed.text).toBe(texts[3]);
  });

  it("are written at once, without nodemailer's streams", async () => {
    const build = jest.spyOn(MimeNode.prototype, 'build');
    try {
      await renderEmail(input([pdf(100)]));
      expect(build).not.toHaveBeenCalled();
      await renderEmailByNodemailer(input([pdf(100)]));
      expect(build).toHaveBeenCalled();
    } finally {
      build.mockRestore();
    }
  });
});
