import type { SignatureImage } from '../campaign/signature';
import type { Block } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';

export interface LabelledRow {
  label: string;
  value: string;
  /** A live link on the value (mailto: for the e-mail address). */
  link?: string;
}

/**
 * The parts of a letter, in reading order: the one definition of what a letter holds and in
 * which order it is read. The page layout places them (some side by side), the plain-text
 * preview prints them, and the PDF's structure tree follows them.
 */
export type LetterPart =
  | { kind: 'letterhead'; organization: string }
  | { kind: 'dateline'; office: string; dateLine: string }
  | { kind: 'reference'; rows: LabelledRow[] }
  | { kind: 'addressee'; label: string; lines: string[] }
  | { kind: 'subject'; label: string; text: string }
  | { kind: 'body'; blocks: readonly Block[] }
  | { kind: 'closing'; text: string }
  | { kind: 'signature'; image?: SignatureImage; name: string }
  | { kind: 'signatory'; name: string; title: string }
  | { kind: 'annex'; label: string; text: string }
  | { kind: 'footer'; text: string };

export type PartOf<K extends LetterPart['kind']> = Extract<LetterPart, { kind: K }>;

export function letterParts(letter: MergedLetter, body: readonly Block[]): LetterPart[] {
  const L = letter.labels;
  const { contact } = letter;
  const parts: LetterPart[] = [
    { kind: 'letterhead', organization: letter.organization },
    { kind: 'dateline', office: letter.office, dateLine: letter.dateLine },
    {
      kind: 'reference',
      rows: [
        { label: L.reference, value: letter.reference },
        { label: L.contact, value: contact.name },
        { label: L.telephone, value: contact.telephone },
        { label: L.fax, value: contact.fax },
        { label: L.email, value: contact.email, link: contact.email ? `mailto:${contact.email}` : undefined },
      ].filter((r) => r.value),
    },
    { kind: 'addressee', label: L.to, lines: letter.addressee },
    { kind: 'subject', label: L.subject, text: letter.subject },
    { kind: 'body', blocks: body },
    { kind: 'closing', text: letter.closing },
    { kind: 'signature', image: letter.sender.signature, name: letter.sender.name },
    { kind: 'signatory', name: letter.sender.name, title: letter.sender.title },
  ];
  if (letter.annex) parts.push({ kind: 'annex', label: L.annex, text: letter.annex });
  if (letter.footer) parts.push({ kind: 'footer', text: letter.footer });
  return parts;
}

/** The part of a kind; every letter has each part but the annex and the footer. */
export function partOf<K extends LetterPart['kind']>(parts: LetterPart[], kind: K): PartOf<K> | undefined {
  return parts.find((p) => p.kind === kind) as PartOf<K> | undefined;
}
