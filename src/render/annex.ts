import { createHash } from 'node:crypto';
import { readTemplateText } from '../campaign/template-text';
import { fileText } from '../files';
import type { Campaign } from '../campaign/campaign';
import { attachmentsOf } from '../campaign/attachments';
import type { AttachmentFile, EmailAttachment } from '../campaign/attachments';
import { layoutDocument } from '../layout/letter';
import { parseMarkdown } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';
import { attachedToMany } from './email';
import { renderPdf } from './pdf';

/**
 * An annex written in Markdown, set by lettermerge as a PDF in the letter's language, with the
 * campaign's letterhead and footer: tagged and archival like the letters. It is the same for every
 * letter in a language, so it is set once per language and process.
 */
const annexes = new Map<string, Promise<Buffer>>();
const ANNEX_CACHE = 32;

function annexPdf(file: AttachmentFile, letter: Pick<MergedLetter, 'lang' | 'labels' | 'organization' | 'footer' | 'author'>, day: Date, campaignId: string): Promise<Buffer> {
  const key = createHash('sha256').update(JSON.stringify([file.sha256, letter.lang.tag, letter.labels, letter.organization, letter.footer, letter.author, day.toISOString(), campaignId])).digest('hex');
  let pdf = annexes.get(key);
  if (!pdf) {
    const source = readTemplateText(fileText(Buffer.from(file.bytes), file.file, { what: 'the annex' }), file.file);
    const title = source.front.title;
    const layout = layoutDocument({ lang: letter.lang, labels: letter.labels, organization: letter.organization, footer: letter.footer, title }, parseMarkdown(source.body));
    pdf = renderPdf(layout, { title, author: letter.author, subject: title, keywords: campaignId, lang: letter.lang.tag, date: day });
    if (annexes.size >= ANNEX_CACHE) annexes.delete(annexes.keys().next().value as string);
    annexes.set(key, pdf);
    pdf.catch(() => annexes.delete(key));
  }
  return pdf;
}

/** A campaign file's bytes, as one Buffer for all the letters that attach it. */
const fileBuffers = new WeakMap<AttachmentFile, Buffer>();

function bufferOf(file: AttachmentFile): Buffer {
  let b = fileBuffers.get(file);
  if (!b) fileBuffers.set(file, (b = Buffer.from(file.bytes)));
  return b;
}

/** The files attached after the letter for one recipient and language: read, or set as a PDF. */
export async function letterAttachments(campaign: Campaign, letter: MergedLetter, group: string, day: Date): Promise<EmailAttachment[]> {
  const out: EmailAttachment[] = [];
  for (const file of attachmentsOf(campaign.attachments, letter.lang.code, group)) {
    const content = attachedToMany(file.source === 'markdown' ? await annexPdf(file, letter, day, campaign.id) : bufferOf(file));
    out.push({ filename: file.filename, contentType: file.contentType, content });
  }
  return out;
}
