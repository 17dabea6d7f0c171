import { closest, distance } from 'fastest-levenshtein';

/** "did you mean `reference`?" when a known word is close to what was typed. */
export function didYouMean(typed: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(typed.toLowerCase(), known.map((k) => k.toLowerCase()));
  const d = distance(typed.toLowerCase(), best);
  if (d > Math.max(2, Math.floor(typed.length / 3))) return undefined;
  return known.find((k) => k.toLowerCase() === best);
}

/** A value quoted in a message: whole, or its first `max - 1` characters and "…". */
export function shortened(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The lines of `text` before `index` (its line breaks): where something found in a text is, counted from the text's first line. */
export function linesBefore(text: string, index: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The first `n` items, and how many more there are: "3, 5, 8, 13, 21, and 4 more". */
export function firstFew(items: readonly string[], n = 5): string {
  return items.slice(0, n).join(', ') + (items.length > n ? `, and ${items.length - n} more` : '');
}

/** Items as a sentence lists them: "fr", "fr and ru", "fr, ru and zh" (or with "or"). */
export function wordList(items: readonly string[], conjunction: 'and' | 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
