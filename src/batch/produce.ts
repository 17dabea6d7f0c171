import type { Campaign } from '../campaign/campaign';
import { glyphError } from '../fonts/fonts';
import type { Recipient } from '../data/recipients';
import { layoutLetter } from '../layout/letter';
import { parseMarkdown } from '../markup/markdown';
import { asciiAddress } from '../data/address';
import { emailTooLarge } from '../campaign/attachments';
import { LetterMergeError } from '../errors';
import { letterAttachments } from '../render/annex';
import { messageIdFor, renderEmail } from '../render/email';
import { renderPdf } from '../render/pdf';
import { signingTime } from '../sign/identity';
import type { SigningIdentity } from '../sign/identity';
import type { Merger, MergedLetter } from '../template/merge';

export interface ProducedLetter {
  merged: MergedLetter;
  pdf: Buffer;
  eml: Buffer;
  pages: number;
  /** Who the e-mail is from and to (bare addresses), and its Message-ID: the SMTP envelope. */
  envelope: Envelope;
  /** The e-mail's attachments in order (the letter first), as the recipient sees them. */
  attachments: { filename: string; contentType: string; bytes: number }[];
}

/**
 * The SMTP envelope of a letter's e-mail, in bare (ASCII) addresses: the sender, the recipient,
 * the copies shown in the message (cc), and the blind copies, which only the envelope holds
 * (bcc). Each address appears once.
 */
export interface Envelope {
  from: string;
  to: string;
  cc?: string[];
  bcc?: string[];
  messageId: string;
}

function envelopeOf(merged: MergedLetter, messageId: string): Envelope {
  const seen = new Set<string>();
  const once = (boxes: { address: string }[]) =>
    boxes.map((b) => asciiAddress(b.address)).filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
  const [to] = once([merged.email.to]);
  const cc = once(merged.email.cc);
  const bcc = once(merged.email.bcc);
  return { from: asciiAddress(merged.email.from.address), to, ...(cc.length ? { cc } : {}), ...(bcc.length ? { bcc } : {}), messageId };
}

export interface ProduceOptions {
  /** Reuse work across letters (the default); false draws as plain pdfkit would (tests). */
  reuse?: boolean;
  /** Sign the PDF with this identity (PAdES B-B). */
  sign?: SigningIdentity;
}

/** One recipient, one language: merge, lay out, draw the PDF (signed when asked), and wrap it in an e-mail. */
export async function produceLetter(
  campaign: Campaign,
  merger: Merger,
  recipient: Recipient,
  code: string,
  options: ProduceOptions = {},
): Promise<ProducedLetter> {
  // The letter's calendar day, at midnight UTC: the same bytes on a machine in any time zone.
  const day = new Date(Date.UTC(campaign.date.getFullYear(), campaign.date.getMonth(), campaign.date.getDate()));
  const glyphs = glyphError(recipient.fields);
  if (glyphs) throw glyphs;
  const merged = merger.merge(recipient, code);
  const layout = layoutLetter(merged, parseMarkdown(merged.body));
  const pdf = await renderPdf(layout, {
    title: merged.subject,
    author: merged.author,
    subject: merged.subject,
    keywords: campaign.id,
    lang: merged.lang.tag,
    date: day,
  }, {
    reuse: options.reuse,
    sign: options.sign && {
      identity: options.sign,
      reason: merged.labels.signatureReason.replace('{office}', merged.office || merged.organization),
      tooltip: merged.labels.signatureField.replace('{name}', options.sign.name),
      time: signingTime(options.sign),
    },
  });
  const annexes = await letterAttachments(campaign, merged, recipient.group, day);
  const attachments = [{ filename: `${campaign.id}-${recipient.id}.pdf`, content: pdf, contentType: 'application/pdf' }, ...annexes];
  const eml = await renderEmail({
    from: merged.email.from,
    to: merged.email.to,
    cc: merged.email.cc,
    ...(merged.email.replyTo ? { replyTo: merged.email.replyTo } : {}),
    subject: merged.email.subject,
    text: merged.email.text,
    lang: merged.lang.tag,
    date: day,
    campaignId: campaign.id,
    recipientId: recipient.id,
    attachments,
  });
  if (eml.length > campaign.email.maxBytes) throw emailTooLarge(eml.length, campaign.email.maxBytes);
  const envelope = envelopeOf(merged, messageIdFor({ campaignId: campaign.id, recipientId: recipient.id, lang: merged.lang.tag, from: merged.email.from }));
  return { merged, pdf, eml, pages: layout.pages.length, envelope, attachments: attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, bytes: a.content.length })) };
}
