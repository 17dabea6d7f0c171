/**
 * What the preview server answers and the page reads: the shapes of its JSON, shared by both (the
 * page's script is type-checked with this file, without Node's types).
 */

/** A recipient in the page's list. */
export interface ListedRecipient {
  row: number;
  id: string;
  name: string;
  organization: string;
  group: string;
  languages: string[];
  /** Why the row cannot be made, when it cannot. */
  error?: string;
}

/** An error to show in the page, with where it is. */
export interface ErrorReport {
  message: string;
  file?: string;
  line?: number;
  field?: string;
  hint?: string;
}

/** /api/recipients */
export interface RecipientsAnswer {
  version: number;
  file?: string;
  recipients?: ListedRecipient[];
  error?: ErrorReport;
}

/** /api/letter: the letter (PDF, in base64) and its e-mail, or what stops it. */
export interface LetterAnswer {
  version: number;
  error?: ErrorReport;
  id: string;
  language: string;
  languages: string[];
  dir: 'ltr' | 'rtl';
  pdf: string;
  email: {
    from: string;
    to: string;
    cc: string[];
    bcc: string[];
    replyTo?: string;
    subject: string;
    text: string;
    attachments: { filename: string; contentType: string; bytes: number }[];
  };
}
