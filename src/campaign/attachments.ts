import { createHash } from 'node:crypto';
import path from 'node:path';
import type MimeTypes from 'mime-types';
import { LetterMergeError } from '../errors';

/**
 * Files attached to every e-mail after the letter: an annex in the recipient's language, for all
 * stakeholder groups or some. A file is sent as it is, except a Markdown source (`.md`), which
 * lettermerge sets as a PDF document with the campaign's letterhead (see annex.ts).
 */

/** One attachment's file in one language. */
export interface AttachmentFile {
  /** Absolute path. */
  file: string;
  /** The path as campaign.yaml gives it, for messages. */
  written: string;
  /** The name the recipient sees. */
  filename: string;
  contentType: string;
  /** "file": sent as read; "markdown": set as a PDF by lettermerge. */
  source: 'file' | 'markdown';
  /** The file as read (a Markdown source as text bytes). */
  bytes: Uint8Array;
  sha256: string;
}

export interface CampaignAttachment {
  /** The file for each of the campaign's languages (the default language's when one has none). */
  byLanguage: Record<string, AttachmentFile>;
  /** Stakeholder groups it is sent to; all when absent. */
  groups?: string[];
  /** Line in campaign.yaml, for messages. */
  line: number;
}

/** An attachment ready for the e-mail. */
export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** The largest file lettermerge attaches. */
export const ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024;

/** The default largest message (the .eml), when email.max_bytes does not say. */
export const EMAIL_MAX_BYTES = 10 * 1000 * 1000;

/** mime-types, loaded for the first file attached as it is: its table of types took 20 ms of every run's start. */
let mime: typeof MimeTypes | undefined;
function mimeTypes(): typeof MimeTypes {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (mime ??= require('mime-types') as typeof MimeTypes);
}

/** The name and content type of a file to attach; a Markdown source becomes a PDF. */
export function describeFile(written: string, name: string | undefined): Pick<AttachmentFile, 'filename' | 'contentType' | 'source'> {
  const markdown = /\.(md|markdown)$/i.test(written);
  const base = path.basename(written);
  const ext = markdown ? '.pdf' : path.extname(base);
  const filename = name ? (name.toLowerCase().endsWith(ext.toLowerCase()) ? name : `${name}${ext}`) : markdown ? base.replace(/\.(md|markdown)$/i, '.pdf') : base;
  const contentType = markdown ? 'application/pdf' : mimeTypes().lookup(base) || 'application/octet-stream';
  return { filename, contentType, source: markdown ? 'markdown' : 'file' };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The attachments a letter in `lang` to a recipient of `group` gets, in campaign order. */
export function attachmentsOf(attachments: CampaignAttachment[], lang: string, group: string): AttachmentFile[] {
  return attachments.filter((a) => !a.groups || a.groups.includes(group)).map((a) => a.byLanguage[lang]).filter((f): f is AttachmentFile => !!f);
}

/** "10.2 MB": a size as people read it. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * The row error for an e-mail over email.max_bytes: its size once made (generate), or the least it
 * would be from the files attached as they are (validate, before anything is made).
 */
export function emailTooLarge(bytes: number, maxBytes: number, atLeast = false): LetterMergeError {
  return new LetterMergeError('EMAIL_TOO_LARGE', `the e-mail ${atLeast ? 'would be at least' : 'is'} ${formatBytes(bytes)} with its attachments, over email.max_bytes (${formatBytes(maxBytes)})`, {
    kind: 'row',
    hint: 'Attach smaller files (a compressed PDF, say), or raise email.max_bytes in campaign.yaml if the mail servers on the way accept larger messages.',
  });
}
