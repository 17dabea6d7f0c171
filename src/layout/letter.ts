import { latinFace, measure, metrics, styleOf } from '../fonts/fonts';
import type { FontFace } from '../fonts/fonts';
import type { Block, Run } from '../markup/markdown';
import type { MergedLetter } from '../template/merge';
import { breakLines } from './lines';
import type { Align, Line, StyledRun } from './lines';

/** Everything on a page, positioned in points from the top-left corner. Text `y` is the baseline. */
export type Item =
  | { kind: 'text'; x: number; y: number; text: string; face: FontFace; size: number; color: string; wordSpacing: number }
  | { kind: 'link'; x: number; y: number; width: number; height: number; url: string }
  | { kind: 'rule'; x1: number; y1: number; x2: number; y2: number; width: number; color: string }
  | { kind: 'signature'; file: string; x: number; y: number; width: number; height: number };

export interface PageLayout {
  items: Item[];
}

export interface LetterLayout {
  width: number;
  height: number;
  pages: PageLayout[];
}

export const A4 = { width: 595.28, height: 841.89 };

/** The letter's geometry and type; one place to tune the look. */
export const STYLE = {
  margin: { left: 68, right: 56, top: 48, bottom: 78 },
  body: { size: 11, leading: 1.36 },
  small: { size: 9.5, leading: 1.3 },
  footer: { size: 7.5, leading: 1.3 },
  letterhead: { size: 13 },
  office: { size: 12 },
  colors: { text: '#141414', accent: '#1d3c6e', muted: '#5a5a5a', link: '#1a4f9c' },
  paragraphGap: 7,
  listIndent: 20,
  signature: { width: 150, height: 46 },
};

const LIVE_LINK = /^(https?:|mailto:)/i;

class Composer {
  readonly pages: PageLayout[] = [];
  y = 0;
  readonly left = STYLE.margin.left;
  readonly width = A4.width - STYLE.margin.left - STYLE.margin.right;
  readonly bottom = A4.height - STYLE.margin.bottom;

  constructor(private readonly letter: MergedLetter) {
    this.newPage();
  }

  get page(): PageLayout {
    return this.pages[this.pages.length - 1];
  }

  newPage(): void {
    const page: PageLayout = { items: [] };
    this.pages.push(page);
    this.y = STYLE.margin.top;
    const n = this.pages.length;
    if (n > 1) {
      const label = this.letter.labels.pageNumber.replace('{n}', String(n));
      const lines = breakLines([this.run(label, false, false, STYLE.small.size, STYLE.colors.muted)], this.width, 'center');
      this.y = STYLE.margin.top - 16;
      this.placeLines(lines, this.left, STYLE.small.size * STYLE.small.leading);
      this.y = STYLE.margin.top + 14;
    }
  }

  /** The footer goes last on each page, so the text layer reads it after the letter. */
  footer(page: PageLayout): void {
    const text = this.letter.footer;
    if (!text) return;
    const size = STYLE.footer.size;
    const lh = size * STYLE.footer.leading;
    const lines = breakLines([this.run(text, false, false, size, STYLE.colors.muted)], this.width, 'center');
    let y = A4.height - STYLE.margin.bottom + 26;
    page.items.push({ kind: 'rule', x1: this.left, y1: y - 6, x2: this.left + this.width, y2: y - 6, width: 0.5, color: STYLE.colors.accent });
    for (const line of lines) {
      this.pushLine(page, line, this.left, y, lh);
      y += lh;
    }
  }

  run(text: string, bold: boolean, italic: boolean, size: number, color: string = STYLE.colors.text, link?: string): StyledRun {
    return { text, face: latinFace(styleOf(bold, italic)), size, color, link };
  }

  runs(runs: Run[], size: number, forceBold = false): StyledRun[] {
    return runs.map((r) => {
      const live = r.link && LIVE_LINK.test(r.link) ? r.link : undefined;
      return this.run(r.text, r.bold || forceBold, r.italic, size, live ? STYLE.colors.link : STYLE.colors.text, live);
    });
  }

  /** Adds one line's items with its top at `top`. */
  pushLine(page: PageLayout, line: Line, x: number, top: number, lineHeight: number): void {
    const baseline = top + (lineHeight - (line.ascent + line.descent)) / 2 + line.ascent;
    for (const s of line.segments) {
      page.items.push({
        kind: 'text',
        x: x + s.x,
        y: baseline,
        text: s.text,
        face: s.face,
        size: s.size,
        color: s.color,
        wordSpacing: s.wordSpacing,
      });
    }
    // One link rectangle per stretch of segments that share a link.
    let i = 0;
    while (i < line.segments.length) {
      const url = line.segments[i].link;
      let j = i;
      while (j + 1 < line.segments.length && line.segments[j + 1].link === url) j++;
      if (url) {
        const a = line.segments[i];
        const b = line.segments[j];
        page.items.push({ kind: 'link', x: x + a.x, y: top, width: b.x + b.width - a.x, height: lineHeight, url });
      }
      i = j + 1;
    }
  }

  fits(height: number): boolean {
    return this.y + height <= this.bottom + 0.001;
  }

  /** Places lines at the cursor, breaking pages between lines; no orphan or widow where avoidable. */
  placeLines(lines: Line[], x: number, lineHeight: number, keepTogether = false): void {
    let i = 0;
    if (keepTogether && !this.fits(lines.length * lineHeight) && this.y > STYLE.margin.top + 20) this.newPage();
    while (i < lines.length) {
      const remaining = lines.length - i;
      const room = Math.floor((this.bottom - this.y + 0.001) / lineHeight);
      let take = Math.max(0, Math.min(remaining, room));
      if (take < remaining) {
        if (take < 2 && i === 0 && remaining > 1 && this.pageHasContent()) take = 0; // orphan
        else if (remaining - take === 1 && take >= 3) take -= 1; // widow
      }
      if (take <= 0 && !this.pageHasContent()) take = 1; // a page must make progress
      for (let k = 0; k < take; k++) {
        this.pushLine(this.page, lines[i + k], x, this.y, lineHeight);
        this.y += lineHeight;
      }
      i += take;
      if (i < lines.length) this.newPage();
    }
  }

  private pageHasContent(): boolean {
    return this.y > STYLE.margin.top + (this.pages.length > 1 ? 14 : 0) + 1;
  }
}

function labelWidth(labels: string[], size: number): number {
  const face = latinFace('regular');
  return Math.max(0, ...labels.map((l) => measure(face, l, size))) + 8;
}

/** Two-column rows "label  value" at the cursor; returns the bottom y. */
function labelledRows(
  c: Composer,
  rows: { label: string; value: string; link?: string; bold?: boolean }[],
  x: number,
  width: number,
  labelW: number,
  top: number,
  size: number,
  lineHeight: number,
): number {
  let y = top;
  for (const row of rows) {
    const valueLines = breakLines(
      [c.run(row.value, !!row.bold, false, size, row.link ? STYLE.colors.link : STYLE.colors.text, row.link)],
      width - labelW,
      'left',
    );
    const labelLines = breakLines([c.run(row.label, false, false, size, STYLE.colors.text)], labelW, 'left');
    if (row.label) c.pushLine(c.page, labelLines[0], x, y, lineHeight);
    for (const line of valueLines) {
      c.pushLine(c.page, line, x + labelW, y, lineHeight);
      y += lineHeight;
    }
    if (valueLines.length === 0) y += lineHeight;
  }
  return y;
}

function layoutBlocks(c: Composer, blocks: Block[], x: number, width: number, align: Align): void {
  const size = STYLE.body.size;
  const lh = size * STYLE.body.leading;
  blocks.forEach((block, index) => {
    if (index > 0) c.y += STYLE.paragraphGap;
    switch (block.kind) {
      case 'paragraph':
        c.placeLines(breakLines(c.runs(block.runs, size), width, align), x, lh);
        break;
      case 'heading': {
        const hs = block.level <= 2 ? size + 1 : size;
        const lines = breakLines(c.runs(block.runs, hs, true), width, 'left');
        // keep a heading with the first two lines that follow it
        if (!c.fits(lines.length * hs * STYLE.body.leading + 2 * lh + STYLE.paragraphGap)) c.newPage();
        c.placeLines(lines, x, hs * STYLE.body.leading, true);
        break;
      }
      case 'list': {
        block.items.forEach((item, n) => {
          if (n > 0) c.y += 2;
          const marker = block.ordered ? `${block.start + n}.` : '•';
          const markerLines = breakLines([c.run(marker, false, false, size)], STYLE.listIndent, 'left');
          if (!c.fits(lh)) c.newPage();
          const page = c.page;
          const top = c.y;
          const mw = markerLines[0].naturalWidth;
          c.pushLine(page, markerLines[0], x + STYLE.listIndent - mw - 6, top, lh);
          layoutBlocks(c, item, x + STYLE.listIndent, width - STYLE.listIndent, align);
        });
        break;
      }
      case 'quote':
        layoutBlocks(c, block.blocks, x + STYLE.listIndent, width - 2 * STYLE.listIndent, align);
        break;
      case 'rule':
        c.page.items.push({ kind: 'rule', x1: x, y1: c.y + 4, x2: x + width, y2: c.y + 4, width: 0.5, color: STYLE.colors.muted });
        c.y += 8;
        break;
    }
  });
}

/** Lays a merged letter out on A4 pages. Pure: returns positioned data, draws nothing. */
export function layoutLetter(letter: MergedLetter, body: Block[]): LetterLayout {
  const c = new Composer(letter);
  const { left, width } = c;
  const L = letter.labels;
  const small = STYLE.small.size;
  const smallLh = small * STYLE.small.leading;

  // Letterhead: organisation, a rule, the office and the date line.
  const orgLines = breakLines([c.run(letter.organization, true, false, STYLE.letterhead.size, STYLE.colors.accent)], width, 'left');
  c.placeLines(orgLines, left, STYLE.letterhead.size * 1.3);
  c.y += 4;
  c.page.items.push({ kind: 'rule', x1: left, y1: c.y, x2: left + width, y2: c.y, width: 1, color: STYLE.colors.accent });
  c.y += 14;
  const officeSize = STYLE.office.size;
  const dateRun = c.run(letter.dateLine, false, false, STYLE.body.size);
  const dateWidth = measure(dateRun.face, letter.dateLine, STYLE.body.size);
  const officeLines = letter.office
    ? breakLines([c.run(letter.office, true, false, officeSize)], width - dateWidth - 24, 'left')
    : [];
  const officeLh = officeSize * 1.35;
  const top = c.y;
  for (const line of officeLines) {
    c.pushLine(c.page, line, left, c.y, officeLh);
    c.y += officeLh;
  }
  const dateLines = breakLines([dateRun], width, 'right');
  c.pushLine(c.page, dateLines[0], left, top, officeLh);
  c.y = Math.max(c.y, top + officeLh) + 18;

  // Reference and contact block (left) beside the addressee block (right).
  const gap = 18;
  const leftW = Math.round(width * 0.5);
  const rightX = left + leftW + gap;
  const rightW = width - leftW - gap;
  const refRows = [
    { label: L.reference, value: letter.reference },
    { label: L.contact, value: letter.contact.name },
    { label: L.telephone, value: letter.contact.telephone },
    { label: L.fax, value: letter.contact.fax },
    { label: L.email, value: letter.contact.email, link: letter.contact.email ? `mailto:${letter.contact.email}` : undefined },
  ].filter((r) => r.value);
  const refLabelW = labelWidth(refRows.map((r) => r.label), small);
  const blockTop = c.y;
  const leftBottom = labelledRows(c, refRows, left, leftW, refLabelW, blockTop, small, smallLh);
  const toLabelW = labelWidth([L.to], small);
  const addressee = letter.addressee.map((value, i) => ({ label: i === 0 ? L.to : '', value, bold: i === 0 }));
  const rightBottom = labelledRows(c, addressee, rightX, rightW, toLabelW, blockTop, small, smallLh);
  c.y = Math.max(leftBottom, rightBottom) + 22;

  // Subject: the label, then the subject in bold with a hanging indent.
  const size = STYLE.body.size;
  const lh = size * STYLE.body.leading;
  const subjectLabelW = Math.max(refLabelW, labelWidth([L.subject], size));
  const subjectLines = breakLines([c.run(letter.subject, true, false, size)], width - subjectLabelW, 'left');
  const labelLine = breakLines([c.run(L.subject, false, false, size)], subjectLabelW, 'left');
  c.pushLine(c.page, labelLine[0], left, c.y, lh);
  c.placeLines(subjectLines, left + subjectLabelW, lh);
  c.y += 16;

  // Closing, signature, name and title: kept together on one page.
  const closingLines = breakLines([c.run(letter.closing, false, false, size)], width, 'left');
  const nameLines = breakLines([c.run(letter.sender.name, true, false, size)], width / 2, 'left');
  const titleLines = letter.sender.title ? breakLines([c.run(letter.sender.title, false, false, size)], width / 2, 'left') : [];
  const sigH = STYLE.signature.height;
  const blockH = 14 + (closingLines.length + nameLines.length + titleLines.length) * lh + sigH + 14;

  // Body. A short last paragraph goes with the closing, so the signature never stands alone.
  const last = body[body.length - 1];
  layoutBlocks(c, body.slice(0, -1), left, width, 'justify');
  if (last) {
    if (body.length > 1) c.y += STYLE.paragraphGap;
    if (last.kind === 'paragraph') {
      const lines = breakLines(c.runs(last.runs, size), width, 'justify');
      if (lines.length <= 3 && c.fits(lines.length * lh) && !c.fits(lines.length * lh + blockH)) c.newPage();
    }
    layoutBlocks(c, [last], left, width, 'justify');
  }

  c.y += 14;
  if (!c.fits(blockH - 14)) c.newPage();
  c.placeLines(closingLines, left, lh);
  c.y += 6;
  if (letter.sender.signature) {
    c.page.items.push({ kind: 'signature', file: letter.sender.signature, x: left, y: c.y, width: STYLE.signature.width, height: sigH });
  }
  c.y += sigH + 8;
  c.placeLines(nameLines, left, lh);
  c.placeLines(titleLines, left, lh);

  // Annex line.
  if (letter.annex) {
    c.y += 22;
    const annexLabelW = labelWidth([L.annex], small);
    const lines = breakLines([c.run(letter.annex, false, false, small)], width - annexLabelW, 'left');
    if (!c.fits(smallLh)) c.newPage();
    const labelLines = breakLines([c.run(L.annex, false, false, small)], annexLabelW, 'left');
    c.pushLine(c.page, labelLines[0], left, c.y, smallLh);
    c.placeLines(lines, left + annexLabelW, smallLh);
  }

  for (const page of c.pages) c.footer(page);
  return { width: A4.width, height: A4.height, pages: c.pages };
}

