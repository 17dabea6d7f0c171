import type { Block } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';

function blockText(blocks: Block[], indent = ''): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'paragraph':
      case 'heading':
        out.push(indent + b.runs.map((r) => (r.link && r.link !== r.text && /^(https?:|mailto:)/.test(r.link) ? `${r.text} <${r.link}>` : r.text)).join(''));
        break;
      case 'list':
        b.items.forEach((item, i) => {
          const [first, ...rest] = blockText(item, `${indent}   `);
          out.push(`${indent}${b.ordered ? `${b.start + i}.` : '-'} ${(first ?? '').trimStart()}`, ...rest);
        });
        break;
      case 'quote':
        out.push(...blockText(b.blocks, `${indent}    `));
        break;
      case 'rule':
        out.push(`${indent}----`);
        break;
    }
  }
  return out;
}

/** The letter as plain text, in reading order: what a template author checks while editing. */
export function letterText(letter: MergedLetter, body: Block[]): string {
  const L = letter.labels;
  const lines: string[] = [
    letter.organization,
    '',
    `${letter.office}    ${letter.dateLine}`,
    '',
    ...[
      [L.reference, letter.reference],
      [L.contact, letter.contact.name],
      [L.telephone, letter.contact.telephone],
      [L.fax, letter.contact.fax],
      [L.email, letter.contact.email],
    ]
      .filter(([, v]) => v)
      .map(([k, v]) => `${k} ${v}`),
    '',
    ...letter.addressee.map((l, i) => (i === 0 ? `${L.to} ${l}` : `    ${l}`)),
    '',
    `${L.subject} ${letter.subject}`,
    '',
    ...blockText(body).flatMap((p) => [p, '']),
    letter.closing,
    '',
    letter.sender.name,
    letter.sender.title,
  ];
  if (letter.annex) lines.push('', `${L.annex} ${letter.annex}`);
  if (letter.footer) lines.push('', letter.footer);
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}
