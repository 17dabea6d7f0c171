import type { Campaign } from '../campaign/campaign';
import { glyphError } from '../fonts/fonts';
import type { Recipient } from '../data/recipients';
import { layoutLetter } from '../layout/letter';
import { parseMarkdown } from '../markup/markdown';
import { asciiAddress } from '../data/address';
import { messageIdFor, renderEmail } from '../render/email';
import { renderPdf } from '../render/pdf';
import type { RenderOptions } from '../render/pdf';
import type { Merger, MergedLetter } from '../template/merge';

export interface ProducedLetter {
  merged: MergedLetter;
  pdf: Buffer;
  eml: Buffer;
  pages: number;
  /** Who the e-mail is from and to (bare addresses), and its Message-ID: the SMTP envelope. */
  envelope: { from: string; to: string; messageId: string };
}

/** One recipient, one language: merge, lay out, draw the PDF, and wrap it in an e-mail. */
export async function produceLetter(
  campaign: Campaign,
  merger: Merger,
  recipient: Recipient,
  code: string,
  options: RenderOptions = {},
): Promise<ProducedLetter> {
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
    date: campaign.date,
  }, options);
  const eml = await renderEmail({
    from: merged.email.from,
    to: merged.email.to,
    subject: merged.email.subject,
    text: merged.email.text,
    lang: merged.lang.tag,
    date: campaign.date,
    campaignId: campaign.id,
    recipientId: recipient.id,
    attachment: { filename: `${campaign.id}-${recipient.id}.pdf`, content: pdf },
  });
  const envelope = {
    from: asciiAddress(merged.email.from.address),
    to: asciiAddress(merged.email.to.address),
    messageId: messageIdFor({ campaignId: campaign.id, recipientId: recipient.id, lang: merged.lang.tag, from: merged.email.from }),
  };
  return { merged, pdf, eml, pages: layout.pages.length, envelope };
}
