/**
 * Where words may be hyphenated at the end of a justified line: Knuth–Liang patterns (TeX's, as
 * the `hyphen` package ships them) for the languages whose letters are justified by widening
 * spaces. Arabic is not hyphenated, and Chinese breaks between any two ideographs.
 */
import { Recent } from '../recent';

/** The patterns of each language, by the package's module name (British English, as the letters are written). */
const PATTERNS: Record<string, string> = { es: 'hyphen/es', en: 'hyphen/en-gb', fr: 'hyphen/fr', ru: 'hyphen/ru' };

/** Letters before a break, and after it: a break leaves at least "co-" on one line and "tar" on the next. */
export const LEFT_MIN = 2;
export const RIGHT_MIN = 3;

export interface Hyphenator {
  /** The language, for keys of caches. */
  readonly lang: string;
  /** The offsets in `word` (lower-case letters) after which it may be broken, in order. */
  points(word: string): readonly number[];
}

const hyphenators = new Map<string, Hyphenator | null>();
const WORDS_KEPT = 20_000;

/** The hyphenator of a language (by its code), or undefined for a language that is not hyphenated. */
export function hyphenatorFor(code: string): Hyphenator | undefined {
  let h = hyphenators.get(code);
  if (h === undefined) {
    const module = PATTERNS[code];
    h = module ? makeHyphenator(code, module) : null;
    hyphenators.set(code, h);
  }
  return h ?? undefined;
}

function makeHyphenator(lang: string, module: string): Hyphenator {
  // Loaded on first use: letters in other languages never pay for these patterns.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { hyphenateSync } = require(module) as { hyphenateSync(text: string, options?: { hyphenChar?: string; minWordLength?: number }): string };
  const cache = new Recent<string, readonly number[]>(WORDS_KEPT);
  return {
    lang,
    points(word: string): readonly number[] {
      let pts = cache.get(word);
      if (!pts) {
        const marked = hyphenateSync(word, { hyphenChar: '\u00ad', minWordLength: LEFT_MIN + RIGHT_MIN });
        const found: number[] = [];
        let at = 0;
        for (const ch of marked) {
          if (ch === '\u00ad') found.push(at);
          else at += ch.length;
        }
        pts = found.filter((k) => k >= LEFT_MIN && word.length - k >= RIGHT_MIN);
        cache.set(word, pts);
      }
      return pts;
    },
  };
}

const WORDS = /[\p{L}\p{M}'’]+/gu;
const CAPITALISED = /^\p{Lu}/u;

/**
 * The words of a recipient's row that are never hyphenated, lower-case: every word of the
 * person's name, and the capitalised words of the other cells (the names in an organisation,
 * a position or an address: "Gutiérrez", "Universidad", "Libertador"). Lower-case words of those
 * cells ("directora", "информационного") are ordinary words, and the letter's own text
 * may use them. Only words long enough to be broken are kept.
 */
export function keptWords(names: Iterable<string>, others: Iterable<string>): string[] {
  const words = new Set<string>();
  const add = (v: string, all: boolean) => {
    for (const [w] of v.matchAll(WORDS)) if (w.length >= LEFT_MIN + RIGHT_MIN && (all || CAPITALISED.test(w))) words.add(w.toLowerCase());
  };
  for (const v of names) add(v, true);
  for (const v of others) add(v, false);
  return [...words].sort();
}
