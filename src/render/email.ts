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

function seedOf(input: Pick<EmailInput, 'campaignId' | 'recipientId' | 'lang'>): string {
  return createHash('sha256').update(`${input.campaignId}\0${input.recipientId}\0${input.lang}`).digest('hex');
}

/** The Message-ID of a letter's e-mail: stable for a campaign, recipient and language. */
export function messageIdFor(input: Pick<EmailInput, 'campaignId' | 'recipientId' | 'lang' | 'from'>): string {
  const local = `${seedOf(input).slice(0, 24)}.${input.campaignId.replace(/[^A-Za-z0-9.-]/g, '-')}`;
  return `<${local}@${domainOf(input.from)}>`;
}

/** The bare address in "Name <address>" or "address". */
export function addressOf(mailbox: string): string {
  const m = /<([^>]+)>\s*$/.exec(mailbox);
  return (m ? m[1] : mailbox).trim();
}

/** Builds the .eml (RFC 5322, MIME by nodemailer's composer) with the PDF attached. */
export function renderEmail(input: EmailInput): Promise<Buffer> {
  const seed = seedOf(input);
  const composer = new MailComposer({
    from: input.from,
    to: { name: input.to.name, address: input.to.address },
    subject: input.subject,
    text: input.text.replace(/\r?\n/g, '\r\n'),
    textEncoding: 'quoted-printable',
    date: input.date,
    messageId: messageIdFor(input),
    headers: { 'Content-Language': input.lang },
    attachments: [{ filename: input.attachment.filename, content: input.attachment.content, contentType: 'application/pdf' }],
    baseBoundary: seed.slice(24, 40),
  } as ConstructorParameters<typeof MailComposer>[0]);
  return new Promise((resolve, reject) => {
    composer.compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
