/**
 * Numbers that right-to-left text shows as written, against the bidi algorithm's own order.
 */
import { LRI, LRM, PDI } from './unicode';

/**
 * The two deliberate exceptions to the bidi algorithm (UAX #9) in right-to-left text, each kept as
 * one left-to-right unit, as written:
 * - a telephone number, "+41 22 730 6240" (its groups may be separated by spaces, hyphens or
 *   dots): read right to left group by group it would be another number, and it is dialled as
 *   written; a group in brackets is part of it, "+41 (0)22 730 6240", a bracket that closes what
 *   the number is written in is not ("(الهاتف: +41 22 730 6240)"). A plus joined to the word
 *   before it is no telephone number: "القمة+10" (WSIS+10) follows the algorithm, which puts the
 *   plus between the word and the number, as Chromium shows it; taken for one, it showed as "+10"
 *   beside the word, the plus on the far side;
 * - digit groups separated by spaces, "50 000": a space between digits takes the paragraph's
 *   direction, so the algorithm would show "000 50", another number.
 * Everything else follows the algorithm. A range "(2009-2021)" after Arabic words is two Arabic
 * numbers that a hyphen does not join (rules W2, W4), so it shows as "(2021-2009)" and a reader
 * going right to left meets 2009 first, as Typst, Chromium and Word show it. Decimals and dates
 * ("3.5", "3/9/2021") are joined by the algorithm itself (W4: one separator between two numbers).
 */
export const BIDI_EXCEPTIONS = /(?<![\p{L}\p{M}\p{N}])\+(?:\(\d+\)|\d+)(?:[ \u00a0\-.]?(?:\(\d+\)|\d+))*|\d+(?:[ \u00a0]\d+)+/gu;

export function isolateNumbers(text: string): string {
  return text.replace(BIDI_EXCEPTIONS, (m) => `${LRI}${m}${PDI}`);
}

/**
 * The same exceptions in right-to-left plain text that other programs lay out (an e-mail's cover
 * note and subject), each between two left-to-right marks (U+200E): the mark before makes the
 * digits and the spaces between them one left-to-right run (UAX #9, W7 and N1), so a mail reader
 * shows "+41 22 730 6240", not "6240 730 22 41+". A mark is what every bidi implementation knows;
 * the isolates the letters use (isolateNumbers) are newer than some mail readers.
 */
export function markNumbersLeftToRight(text: string): string {
  return text.replace(BIDI_EXCEPTIONS, (m) => `${LRM}${m}${LRM}`);
}
