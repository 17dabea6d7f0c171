import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import * as mimeFuncs from 'nodemailer/lib/mime-funcs';
import * as qp from 'nodemailer/lib/qp';
import { asciiAddress } from '../data/address';
import type { Mailbox } from '../data/address';
import { messageIdCampaign } from './message-id';

export interface EmailInput {
  from: Mailbox;
  to: Mailbox;
  /** Copies, shown in the Cc header. (Blind copies are never written into the message.) */
  cc?: Mailbox[];
  replyTo?: Mailbox;
  subject: string;
  text: string;
  /** BCP 47 tag for Content-Language. */
  lang: string;
  date: Date;
  /** Stable parts of the Message-ID and MIME boundary: same input, same bytes. */
  campaignId: string;
  recipientId: string;
  /** The letter's PDF first, then the campaign's attachments. */
  attachments: { filename: string; content: Buffer; contentType: string }[];
}

function domainOf(box: Mailbox): string {
  return asciiAddress(box.address).split('@')[1] || 'lettermerge.invalid';
}

export function seedOf(input: Pick<EmailInput, 'campaignId' | 'recipientId' | 'lang'>): string {
  return createHash('sha256').update(`${input.campaignId}\0${input.recipientId}\0${input.lang}`).digest('hex');
}

/** The Message-ID of a letter's e-mail: stable for a campaign, recipient and language. */
export function messageIdFor(input: Pick<EmailInput, 'campaignId' | 'recipientId' | 'lang' | 'from'>): string {
  const local = `${seedOf(input).slice(0, 24)}.${messageIdCampaign(input.campaignId)}`;
  return `<${local}@${domainOf(input.from)}>`;
}



/**
 * Text that looks like an RFC 2047 encoded word ("=?UTF-8?B?…?=") would be decoded by mail
 * readers into other text. Such text is itself encoded, so that a reader decodes it back to
 * exactly what was typed. Other text goes to nodemailer as it is.
 */
const LOOKS_ENCODED = /=\?/;

function encodedWords(text: string): string {
  return mimeFuncs.encodeWord(text, 'B', 40);
}

/**
 * An address header (From, To): nodemailer writes it, except that a name that looks encoded
 * would be written as a quoted string, which many readers decode anyway. Such a name is left out
 * of what nodemailer writes and put back afterwards as encoded words, which readers decode once,
 * to the name as typed.
 */
function mailbox(box: Mailbox): { option: Mailbox | string; encodedName?: string } {
  const address = asciiAddress(box.address);
  if (!LOOKS_ENCODED.test(box.name)) return { option: box.name ? { name: box.name, address } : address };
  return { option: address, encodedName: encodedWords(box.name).split(' ').join('\r\n ') };
}

/** Puts encoded names back into the top-level header section of a built message. */
function withEncodedNames(message: Buffer, names: { header: string; address: string; encoded?: string }[]): Buffer {
  const todo = names.filter((n) => n.encoded);
  if (todo.length === 0) return message;
  const end = message.indexOf('\r\n\r\n');
  let head = message.subarray(0, end + 2).toString('latin1');
  for (const n of todo) {
    const line = `${n.header}: ${n.address}\r\n`;
    const at = head.startsWith(line) ? 0 : head.indexOf(`\r\n${line}`) + 2;
    if (at < 0 || head.slice(at, at + line.length) !== line) throw new Error(`${n.header} header not found to encode its name`);
    head = `${head.slice(0, at)}${n.header}: ${n.encoded}\r\n <${n.address}>\r\n${head.slice(at + line.length)}`;
  }
  return Buffer.concat([Buffer.from(head, 'latin1'), message.subarray(end + 2)]);
}

/**
 * Base64 as nodemailer's Encoder writes it: lines of 76 characters joined by CRLF, the last
 * without one. nodemailer's stream encoder copies each line into its output on its own (1,000 to
 * 2,500 copies a letter); for an 83 KB PDF it took 0.3 to 0.6 ms, this 0.12 once warm. (nodemailer's
 * own wrap(), the same text by a regular expression, took 0.29 once warm.)
 *
 * The encoded text is written once, at the end of the output, and each line is moved down to its
 * place with a CRLF after it: no string is made but the encoded text itself. (Slicing it into
 * lines and joining them made a string of every line and another of the whole: a tenth of all
 * that 800 Spanish letters allocated, 1,203 MB against 1,082 now.)
 */
const BASE64_LINE = 76;

function base64Lines(content: Buffer): Buffer {
  const b64 = content.toString('base64');
  const lines = Math.max(1, Math.ceil(b64.length / BASE64_LINE));
  const out = Buffer.allocUnsafe(b64.length + 2 * (lines - 1));
  // Line k moves down by the 2k bytes of the line breaks before it; the break written after it
  // lands on bytes of lines already moved, never on text still to move.
  let from = out.length - b64.length;
  out.write(b64, from, 'latin1');
  let to = 0;
  for (let k = 0; k < lines; k++) {
    const end = Math.min(from + BASE64_LINE, out.length);
    out.copyWithin(to, from, end);
    to += end - from;
    from = end;
    if (k < lines - 1) {
      out[to++] = 0x0d;
      out[to++] = 0x0a;
    }
  }
  return out;
}

/**
 * Content attached to many messages (an annex set once per language, a campaign's file): its
 * base64 lines are made for the first message and handed to the others, the same bytes. Keyed by
 * the buffer itself, so a message's own PDF (new for each) never waits here.
 */
const sharedBase64 = new WeakMap<Buffer, Buffer | null>();

/** Marks `content` as attached to many messages, unchanged (see sharedBase64); returns it. */
export function attachedToMany(content: Buffer): Buffer {
  if (!sharedBase64.has(content)) sharedBase64.set(content, null);
  return content;
}

function base64Of(content: Buffer): Buffer {
  const kept = sharedBase64.get(content);
  if (kept) return kept;
  const lines = base64Lines(content);
  if (kept === null) sharedBase64.set(content, lines);
  return lines;
}

/** What writing a message needs of nodemailer's MimeNode (the tree MailComposer.compile() makes). */
interface MimeNodeInternals {
  multipart: string | false;
  boundary: string;
  childNodes: MimeNodeInternals[];
  content?: unknown;
  contentType?: string;
  _raw?: unknown;
  _transforms: unknown[];
  _processFuncs: unknown[];
  newline?: unknown;
  getTransferEncoding(): string | false;
  buildHeaders(): string;
}

/**
 * A node of the message as MimeNode.stream() writes it, at once: its headers (nodemailer's
 * buildHeaders), a blank line, its content (text in quoted-printable by nodemailer's own encoder,
 * a file in base64), and for a multipart node each child after its boundary, then the closing
 * boundary. nodemailer writes the same through a stream per node, with a pipeline and an abort
 * controller each: 0.5 ms a message, most of it that machinery, against 0.2 ms. Returns false
 * for anything else (content to fetch or read from a file, a raw node), which nodemailer then
 * writes itself.
 */
function writeNode(node: MimeNodeInternals, out: Buffer[]): boolean {
  if (node._raw) return false;
  const encoding = node.getTransferEncoding();
  out.push(Buffer.from(`${node.buildHeaders()}\r\n\r\n`));
  const content = node.content;
  if (content) {
    const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.isBuffer(content) ? content : undefined;
    if (!bytes) return false;
    if (encoding === 'base64') out.push(base64Of(bytes));
    else if (encoding === 'quoted-printable' && /^text\//i.test(node.contentType || '')) out.push(Buffer.from(qp.wrap(qp.encode(bytes), 76), 'latin1'));
    else if (encoding === 'quoted-printable') return false;
    else out.push(bytes);
  }
  if (node.multipart) {
    for (let i = 0; i < node.childNodes.length; i++) {
      out.push(Buffer.from(`${i > 0 ? '\r\n' : ''}--${node.boundary}\r\n`));
      if (!writeNode(node.childNodes[i], out)) return false;
    }
    out.push(Buffer.from(`\r\n--${node.boundary}--\r\n`));
  }
  return true;
}

/** The whole message from its root, as MimeNode.createReadStream() writes it; undefined when writeNode cannot. */
function writeMessage(root: MimeNodeInternals): Buffer | undefined {
  if (root._transforms.length || root._processFuncs.length || root.newline) return undefined;
  const out: Buffer[] = [];
  if (!writeNode(root, out)) return undefined;
  const message = Buffer.concat(out);
  // Its stream ends the message with a line break (LastNewline).
  const last = message.length ? message[message.length - 1] : undefined;
  if (last === 0x0a) return message;
  return Buffer.concat([message, Buffer.from(last === 0x0d ? '\n' : '\r\n')]);
}

/** Builds the .eml (RFC 5322, MIME by nodemailer's composer) with the PDF attached. */
export async function renderEmail(input: EmailInput): Promise<Buffer> {
  return composeEmail(input, true);
}

/** The message as nodemailer writes it, through its streams (to compare with renderEmail's). */
export async function renderEmailByNodemailer(input: EmailInput): Promise<Buffer> {
  return composeEmail(input, false);
}

/** The message nodemailer composes; written at once (writeMessage) when `atOnce` and it can be. (It may throw: its callers are async.) */
function composeEmail(input: EmailInput, atOnce: boolean): Promise<Buffer> {
  const seed = seedOf(input);
  const from = mailbox(input.from);
  const to = mailbox(input.to);
  // A Cc name that looks like an encoded word is left out (the address alone is sent): the header
  // holds several mailboxes, and only one-mailbox headers get their names put back encoded.
  const cc = (input.cc ?? []).map((box) => mailbox(LOOKS_ENCODED.test(box.name) ? { name: '', address: box.address } : box));
  const replyTo = input.replyTo ? mailbox(input.replyTo) : undefined;
  const composer = new MailComposer({
    from: from.option,
    to: to.option,
    ...(cc.length ? { cc: cc.map((c) => c.option) } : {}),
    ...(replyTo ? { replyTo: replyTo.option } : {}),
    subject: LOOKS_ENCODED.test(input.subject) ? encodedWords(input.subject) : input.subject,
    text: input.text.replace(/\r?\n/g, '\r\n'),
    textEncoding: 'quoted-printable',
    date: input.date,
    messageId: messageIdFor(input),
    headers: { 'Content-Language': input.lang },
    attachments: input.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })),
    baseBoundary: seed.slice(24, 40),
  } as ConstructorParameters<typeof MailComposer>[0]);
  const names = [
    { header: 'From', address: asciiAddress(input.from.address), encoded: from.encodedName },
    { header: 'To', address: asciiAddress(input.to.address), encoded: to.encodedName },
    ...(replyTo ? [{ header: 'Reply-To', address: asciiAddress(input.replyTo!.address), encoded: replyTo.encodedName }] : []),
  ];

  const root = composer.compile();
  if (atOnce) {
    const message = writeMessage(root as unknown as MimeNodeInternals);
    if (message) return Promise.resolve(withEncodedNames(message, names));
    // Content writeMessage does not write: nodemailer writes the whole message, from a new tree.
    return composeEmail(input, false);
  }
  return new Promise((resolve, reject) => {
    root.build((err, message) => {
      if (err) return reject(err);
      try {
        resolve(withEncodedNames(message, names));
      } catch (e) {
        reject(e);
      }
    });
  });
}
