/**
 * Which thread makes which letter, when several do: each language is kept to as few threads as
 * will keep them all busy.
 *
 * A thread's first letter in a language costs far more than the next: the language's fonts are
 * parsed, its annex drawn, its hyphenation patterns read and its lines broken for the first time
 * (80 to 280 ms a language, measured warm in other languages), and its caches then hold that
 * language too. Two threads that each made every language of a six-language list paid all of it
 * twice: sharing the languages out made 2,000 of them 0.4 to 1.1 s sooner (of 11.7 to 12.7 s) and
 * took 30 to 75 MB less memory at the peak (three rounds, alternating).
 *
 * The languages are shared out before the run from the number of letters in each (see
 * homesFor). A thread that would otherwise wait takes a language of another's that has many
 * letters waiting, and keeps it (see Scheduler.next): estimates are rough, and a worker thread
 * starts a second after the main thread.
 */

/**
 * How long a letter takes in a language set in this script, against a Latin one (steady, one
 * thread, six languages mixed: Spanish, English and French 3.7 to 4.4 ms, Russian 5.1, Chinese
 * 6.1, Arabic 9.7). Russian is set in the Latin fonts (Noto Sans has Cyrillic), and counted so.
 */
const SCRIPT_COST: Record<string, number> = { latin: 1, han: 1.5, arabic: 2.3 };

/** The cost of a language's first letter in a thread, in letters (see above). */
const FIRST_LETTER_COST = 40;

/**
 * Letters of a language waiting for the threads it was given before a thread with nothing to do
 * takes that language too: enough that the first letter's cost pays back.
 */
export const TAKE_OVER_AT = 32;

export function letterCost(script: string): number {
  return SCRIPT_COST[script] ?? 1;
}

/**
 * The threads each language goes to (thread numbers, from 0), from its weight (letters times their
 * cost): each language in turn, heaviest first, to the thread with the least work so far; a
 * language that is more than a thread's share goes to as many threads as it fills, so that a
 * one-language list keeps every thread busy.
 */
export function homesFor(weights: ReadonlyMap<string, number>, threads: number): Map<string, number[]> {
  const load = new Array<number>(threads).fill(0);
  let total = 0;
  for (const w of weights.values()) total += w + FIRST_LETTER_COST;
  const share = total / threads;
  const homes = new Map<string, number[]>();
  // Heaviest first; equal weights in the order of their names, so that the outcome does not depend on the map's order.
  const order = [...weights].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [lang, w] of order) {
    const n = Math.min(threads, Math.max(1, Math.round(w / share)));
    const byLoad = load.map((l, i) => ({ l, i })).sort((a, b) => a.l - b.l || a.i - b.i);
    const chosen = byLoad.slice(0, n).map((t) => t.i);
    for (const i of chosen) load[i] += w / n + FIRST_LETTER_COST;
    homes.set(lang, chosen.sort((a, b) => a - b));
  }
  return homes;
}

interface Waiting<J> {
  job: J;
  language: string;
}

/**
 * The letters waiting for a thread, in the order they came, and the languages each thread makes.
 * Pure bookkeeping: the pool asks it for a thread's next job whenever that thread can take one.
 */
export class Scheduler<J> {
  private readonly waiting: Waiting<J>[] = [];
  /** The languages each thread makes; undefined: every thread makes every language. */
  private readonly languages: Set<string>[] | undefined;
  /** Whether more jobs may come (see noMoreJobs). */
  private open = true;

  /**
   * `homes`: the threads each language goes to at first (see homesFor); a language not in it goes
   * to the first thread that asks. Without it, every thread makes every language, first come
   * first served.
   */
  constructor(threads: number, homes?: ReadonlyMap<string, readonly number[]>) {
    if (!homes) return;
    this.languages = Array.from({ length: threads }, () => new Set<string>());
    for (const [lang, threadsOf] of homes) for (const t of threadsOf) this.languages[t]?.add(lang);
  }

  get size(): number {
    return this.waiting.length;
  }

  add(job: J, language: string): void {
    this.waiting.push({ job, language });
  }

  /** No more jobs will come: a thread with nothing to do takes any language's letters. */
  noMoreJobs(): void {
    this.open = false;
  }

  /** The languages thread `t` makes now (undefined: every language). */
  languagesOf(t: number): ReadonlySet<string> | undefined {
    return this.languages?.[t];
  }

  /**
   * The next job for thread `t`, or undefined when it should wait. `idle`: it has nothing else to
   * do. In this order:
   * - the first waiting job in one of its languages;
   * - the first in a language no thread makes yet (it becomes this thread's);
   * - when idle: the first in the language with the most letters waiting, if they are
   *   TAKE_OVER_AT or more, or if no more jobs will come (the language becomes this thread's too).
   */
  next(t: number, idle: boolean): J | undefined {
    if (!this.languages) return this.waiting.length ? this.take(0) : undefined;
    const mine = this.languages[t];
    let unclaimed = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      const lang = this.waiting[i].language;
      if (mine.has(lang)) return this.take(i);
      if (unclaimed < 0 && !this.languages.some((s) => s.has(lang))) unclaimed = i;
    }
    if (unclaimed >= 0) {
      mine.add(this.waiting[unclaimed].language);
      return this.take(unclaimed);
    }
    if (!idle || this.waiting.length === 0) return undefined;
    const counts = new Map<string, number>();
    for (const w of this.waiting) counts.set(w.language, (counts.get(w.language) ?? 0) + 1);
    let best: string | undefined;
    for (const [lang, n] of counts) if (best === undefined || n > counts.get(best)!) best = lang;
    if (best === undefined || (this.open && counts.get(best)! < TAKE_OVER_AT)) return undefined;
    mine.add(best);
    return this.take(this.waiting.findIndex((w) => w.language === best));
  }

  /** Takes every waiting job out (a run that stops): they are not to be made. */
  clear(): J[] {
    return this.waiting.splice(0).map((w) => w.job);
  }

  private take(i: number): J {
    return this.waiting.splice(i, 1)[0].job;
  }
}
