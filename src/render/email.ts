import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

export interface EmailInput {
  from: string;
  to: { name: string; address: string };
  subject: string;
  text: string;
  /** BCP 47 tag for Content-Language. */
  lang: string;
  date: Date;
  /** Stable parts of the Message-ID and MIME boundary: same input, same bytes. */
  campaignId: string;
  recipientId: string;
  attachment: { filename: string; content: Buffer };
}

function domainOf(address: string): string {
  const m = /@([^>\s]+)>?\s*$/.exec(address);
  return m ? m[1] : 'lettermerge.invalid';
}

/** Builds the .eml (RFC 5322, MIME by nodemailer's composer) with the PDF attached. */
export function renderEmail(input: EmailInput): Promise<Buffer> {
  const seed = createHash('sha256')
    .update(`${input.campaignId}\0${input.recipientId}\0${input.lang}`)
    .digest('hex');
  const local = `${seed.slice(0, 24)}.${input.campaignId.replace(/[^A-Za-z0-9.-]/g, '-')}`;
  const composer = new MailComposer({
    from: input.from,
    to: { name: input.to.name, address: input.to.address },
    subject: input.subject,
    text: input.text.replace(/\r?\n/g, '\r\n'),
    textEncoding: 'quoted-printable',
    date: input.date,
    messageId: `<${local}@${domainOf(input.from)}>`,
    headers: { 'Content-Language': input.lang },
    attachments: [{ filename: input.attachment.filename, content: input.attachment.content, contentType: 'application/pdf' }],
    baseBoundary: seed.slice(24, 40),
  } as ConstructorParameters<typeof MailComposer>[0]);
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
