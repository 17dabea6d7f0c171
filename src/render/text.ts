import { letterParts } from '../layout/parts';
import type { LetterPart } from '../layout/parts';
import type { Block } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';

function blockText(blocks: readonly Block[], indent = ''): string[] {
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
          out.push(`${indent}${b.ordered ? `${b.start + i}${b.delimiter ?? '.'}` : '-'} ${(first ?? '').trimStart()}`, ...rest);
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

/** The lines of one part; an empty string is a blank line after it. */
function partText(part: LetterPart): string[] {
  switch (part.kind) {
    case 'letterhead':
      return [part.organization, ''];
    case 'dateline':
      return [`${part.office}    ${part.dateLine}`, ''];
    case 'reference':
      return [...part.rows.map((r) => `${r.label} ${r.value}`), ''];
    case 'addressee':
      return [...part.lines.map((l, i) => (i === 0 ? `${part.label} ${l}` : `    ${l}`)), ''];
    case 'subject':
      return [`${part.label} ${part.text}`, ''];
    case 'body':
      return blockText(part.blocks).flatMap((p) => [p, '']);
    case 'closing':
      return [part.text, ''];
    case 'signature':
      return [];
    case 'signatory':
      return [part.name, part.title];
    case 'annex':
      return ['', `${part.label} ${part.text}`];
    case 'footer':
      return ['', part.text];
  }
}

/** The letter as plain text, in reading order: what a template author checks while editing. */
export function letterText(letter: MergedLetter, body: readonly Block[]): string {
  const lines = letterParts(letter, body).flatMap(partText);
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}
