import LineBreaker from 'linebreak';
import { measure, metrics } from '../fonts/fonts';
import type { FontFace } from '../fonts/fonts';

/** A run of text with everything needed to measure and draw it. */
export interface StyledRun {
  text: string;
  face: FontFace;
  size: number;
  color: string;
  link?: string;
}

/** A piece of a line, positioned relative to the line's left edge. */
export interface Segment {
  text: string;
  x: number;
  width: number;
  face: FontFace;
  size: number;
  color: string;
  link?: string;
  /** Extra space added to each space character (justification). */
  wordSpacing: number;
}

export interface Line {
  segments: Segment[];
  /** Width of the text without justification. */
  naturalWidth: number;
  ascent: number;
  descent: number;
}

export type Align = 'left' | 'right' | 'center' | 'justify';

interface Piece {
  start: number;
  end: number;
  /** Width with trailing spaces, and without them. */
  width: number;
  trimmedWidth: number;
  required: boolean;
}

/**
 * Breaks styled runs into lines no wider than `width` (UAX #14 break opportunities, greedy fill)
 * and positions each line's segments for the alignment. Lines hold logical-order text.
 */
export function breakLines(input: StyledRun[], width: number, align: Align = 'left'): Line[] {
  const runs = normaliseRuns(input);
  if (runs.length === 0) return [];
  const text = runs.map((r) => r.text).join('');
  const runAt: number[] = [];
  const runStart: number[] = [];
  let offset = 0;
  runs.forEach((r, i) => {
    runStart.push(offset);
    for (let k = 0; k < r.text.length; k++) runAt.push(i);
    offset += r.text.length;
  });

  const widthOf = (start: number, end: number): number => {
    let w = 0;
    let i = start;
    while (i < end) {
      const r = runAt[i];
      const runEnd = Math.min(end, runStart[r] + runs[r].text.length);
      w += measure(runs[r].face, text.slice(i, runEnd), runs[r].size);
      i = runEnd;
    }
    return w;
  };

  // Pieces between break opportunities.
  const pieces: Piece[] = [];
  const breaker = new LineBreaker(text);
  let last = 0;
  for (let bk = breaker.nextBreak(); bk; bk = breaker.nextBreak()) {
    if (bk.position <= last) continue;
    pieces.push(makePiece(last, bk.position, bk.required));
    last = bk.position;
  }
  if (last < text.length) pieces.push(makePiece(last, text.length, false));

  function makePiece(start: number, end: number, required: boolean): Piece {
    let trimmedEnd = end;
    while (trimmedEnd > start && /\s/.test(text[trimmedEnd - 1])) trimmedEnd--;
    return {
      start,
      end,
      width: widthOf(start, end),
      trimmedWidth: widthOf(start, trimmedEnd),
      required: required && text[end - 1] === '\n',
    };
  }

  // Greedy fill, with an emergency break for a piece wider than the whole line.
  const lines: Line[] = [];
  let lineStart = -1;
  let lineEnd = -1;
  let lineWidth = 0;
  const flush = (hard: boolean, isLast: boolean) => {
    if (lineStart >= 0) lines.push(buildLine(lineStart, lineEnd, hard || isLast));
    lineStart = -1;
    lineWidth = 0;
  };

  const queue = [...pieces];
  while (queue.length > 0) {
    const p = queue.shift() as Piece;
    if (lineStart >= 0 && lineWidth + p.trimmedWidth > width + 0.001) {
      flush(false, false);
    }
    if (lineStart < 0 && p.trimmedWidth > width + 0.001) {
      const cut = splitPoint(p.start, p.end);
      if (cut < p.end) {
        queue.unshift(makePiece(cut, p.end, p.required));
        lineStart = p.start;
        lineEnd = cut;
        flush(false, false);
        continue;
      }
    }
    if (lineStart < 0) lineStart = p.start;
    lineEnd = p.end;
    lineWidth += p.width;
    if (p.required) flush(true, false);
  }
  flush(true, true);
  return lines;

  function splitPoint(start: number, end: number): number {
    // The longest prefix (at least one character) that fits.
    let cut = start + 1;
    for (let i = start + 1; i <= end; i++) {
      if (widthOf(start, i) > width) break;
      cut = i;
    }
    // Do not split a surrogate pair.
    if (cut < end && /[\uDC00-\uDFFF]/.test(text[cut])) cut--;
    return Math.max(cut, start + 1);
  }

  function buildLine(start: number, end: number, lastOfParagraph: boolean): Line {
    while (end > start && /\s/.test(text[end - 1])) end--;
    const segments: Segment[] = [];
    let i = start;
    let x = 0;
    let ascent = 0;
    let descent = 0;
    while (i < end) {
      const r = runAt[i];
      const run = runs[r];
      const runEnd = Math.min(end, runStart[r] + run.text.length);
      const t = text.slice(i, runEnd);
      const w = measure(run.face, t, run.size);
      segments.push({ text: t, x, width: w, face: run.face, size: run.size, color: run.color, link: run.link, wordSpacing: 0 });
      const m = metrics(run.face, run.size);
      ascent = Math.max(ascent, m.ascent);
      descent = Math.max(descent, m.descent);
      x += w;
      i = runEnd;
    }
    if (segments.length === 0) {
      const m = metrics(runs[0].face, runs[0].size);
      return { segments, naturalWidth: 0, ascent: m.ascent, descent: m.descent };
    }
    const natural = x;
    const slack = width - natural;
    if (align === 'justify' && !lastOfParagraph && slack > 0) {
      const spaces = segments.reduce((n, s) => n + countSpaces(s.text), 0);
      if (spaces > 0) {
        // pdfkit draws a segment with word spacing by dropping its space glyphs and advancing
        // each word by (space + extra); a leading space would be lost, so it becomes an offset.
        const extra = slack / spaces;
        let pos = 0;
        for (const s of segments) {
          const lead = s.text.length - s.text.trimStart().length;
          const spaceWidth = measure(s.face, ' ', s.size) + extra;
          s.text = s.text.trimStart();
          s.x = pos + lead * spaceWidth;
          s.wordSpacing = extra;
          s.width = measure(s.face, s.text, s.size) + extra * countSpaces(s.text);
          pos = s.x + s.width;
        }
      }
    } else if (align === 'right' || align === 'center') {
      const shift = align === 'right' ? slack : slack / 2;
      for (const s of segments) s.x += shift;
    }
    return { segments, naturalWidth: natural, ascent, descent };
  }
}

function countSpaces(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === ' ') n++;
  return n;
}

/** Collapses white space (as HTML does) and drops empty runs; "\n" stays a hard break. */
function normaliseRuns(input: StyledRun[]): StyledRun[] {
  const out: StyledRun[] = [];
  let prevSpace = true;
  for (const r of input) {
    let t = '';
    for (const ch of r.text) {
      if (ch === '\n') {
        t = t.replace(/ $/, '');
        t += '\n';
        prevSpace = true;
      } else if (/\s/.test(ch)) {
        if (!prevSpace) t += ' ';
        prevSpace = true;
      } else {
        t += ch;
        prevSpace = false;
      }
    }
    if (t) out.push({ ...r, text: t });
  }
  return out;
}
