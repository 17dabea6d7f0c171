import path from 'node:path';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { WorkerPool } from '../../src/batch/renderer';
import type { JobResult, Renderer } from '../../src/batch/renderer';
import { Scheduler, TAKE_OVER_AT, homesFor, letterCost } from '../../src/batch/schedule';
import { SAMPLE_CAMPAIGN, row, tempDir, writeCsv } from '../helpers';

/** The work each thread gets from homesFor: the weights of its languages, a shared language split evenly. */
function loads(weights: Map<string, number>, homes: Map<string, number[]>, threads: number): number[] {
  const load = new Array<number>(threads).fill(0);
  for (const [lang, ts] of homes) for (const t of ts) load[t] += weights.get(lang)! / ts.length;
  return load;
}

describe('sharing the languages out among threads', () => {
  const six = new Map([
    ['en', 631 * letterCost('latin')],
    ['fr', 396 * letterCost('latin')],
    ['es', 363 * letterCost('latin')],
    ['ar', 242 * letterCost('arabic')],
    ['ru', 194 * letterCost('latin')],
    ['zh', 174 * letterCost('han')],
  ]);

  it('gives each language of a six-language list to one thread of two, the work about even', () => {
    const homes = homesFor(six, 2);
    expect([...homes.keys()].sort()).toEqual(['ar', 'en', 'es', 'fr', 'ru', 'zh']);
    for (const ts of homes.values()) expect(ts).toHaveLength(1);
    const [a, b] = loads(six, homes, 2);
    expect(Math.abs(a - b) / (a + b)).toBeLessThan(0.1);
    // A letter in Arabic or Chinese counts for more than one in a Latin script.
    expect(letterCost('arabic')).toBeGreaterThan(letterCost('han'));
    expect(letterCost('han')).toBeGreaterThan(letterCost('latin'));
  });

  it('gives a language that is more than a thread\'s share to as many threads as it fills', () => {
    expect(homesFor(new Map([['es', 2000]]), 2)).toEqual(new Map([['es', [0, 1]]]));
    expect(homesFor(new Map([['es', 2000]]), 4).get('es')).toEqual([0, 1, 2, 3]);
    const homes = homesFor(new Map([['es', 1500], ['en', 500]]), 4);
    expect(homes.get('es')).toHaveLength(3);
    expect(homes.get('en')).toHaveLength(1);
    expect(new Set([...homes.get('es')!, ...homes.get('en')!]).size).toBe(4);
  });

  it('does not depend on the order the languages are listed in', () => {
    const reversed = new Map([...six].reverse());
    expect(homesFor(reversed, 2)).toEqual(homesFor(six, 2));
    expect(homesFor(new Map([['b', 10], ['a', 10]]), 2)).toEqual(homesFor(new Map([['a', 10], ['b', 10]]), 2));
  });

  it('gives each thread at least one language when there are as many as threads', () => {
    const homes = homesFor(new Map([['es', 10], ['en', 10], ['fr', 10]]), 3);
    expect(new Set([...homes.values()].flat())).toEqual(new Set([0, 1, 2]));
  });
});

describe('the scheduler', () => {
  it('gives a thread the first letter waiting in one of its languages, skipping others', () => {
    const s = new Scheduler<string>(2, new Map([['es', [0]], ['ar', [1]]]));
    s.add('ar1', 'ar');
    s.add('es1', 'es');
    s.add('es2', 'es');
    expect(s.next(0, false)).toBe('es1');
    expect(s.next(0, false)).toBe('es2');
    expect(s.next(0, true)).toBeUndefined();
    expect(s.next(1, false)).toBe('ar1');
    expect(s.size).toBe(0);
  });

  it('gives a language no thread has to the first thread that asks, and keeps it there', () => {
    const s = new Scheduler<string>(2, new Map([['es', [0]]]));
    s.add('zh1', 'zh');
    s.add('zh2', 'zh');
    expect(s.next(1, false)).toBe('zh1');
    expect(s.languagesOf(1)).toEqual(new Set(['zh']));
    expect(s.next(0, true)).toBeUndefined();
    expect(s.next(1, false)).toBe('zh2');
  });

  it('lets a thread with nothing to do take another\'s language once enough of its letters wait', () => {
    const s = new Scheduler<number>(2, new Map([['es', [0]], ['ar', [1]]]));
    for (let i = 0; i < TAKE_OVER_AT - 1; i++) s.add(i, 'es');
    // Not while it has letters of its own in hand, and not for fewer letters than pay for a language's first.
    expect(s.next(1, true)).toBeUndefined();
    s.add(TAKE_OVER_AT - 1, 'es');
    expect(s.next(1, false)).toBeUndefined();
    expect(s.next(1, true)).toBe(0);
    // Both make Spanish now, the oldest letter first.
    expect(s.languagesOf(1)).toEqual(new Set(['ar', 'es']));
    expect(s.next(1, false)).toBe(1);
    expect(s.next(0, false)).toBe(2);
  });

  it('lets a thread with nothing to do take any letter once no more will come', () => {
    const s = new Scheduler<string>(2, new Map([['es', [0]], ['ar', [1]]]));
    s.add('es1', 'es');
    s.add('es2', 'es');
    expect(s.next(1, true)).toBeUndefined();
    s.noMoreJobs();
    expect(s.next(1, false)).toBeUndefined();
    expect(s.next(1, true)).toBe('es1');
  });

  it('without homes, gives every thread the first letter waiting, whatever its language', () => {
    const s = new Scheduler<string>(2);
    s.add('ar1', 'ar');
    s.add('es1', 'es');
    expect(s.next(0, false)).toBe('ar1');
    expect(s.next(1, false)).toBe('es1');
    expect(s.languagesOf(0)).toBeUndefined();
  });

  it('hands back every waiting job when cleared, in order', () => {
    const s = new Scheduler<string>(1, new Map([['es', [0]]]));
    s.add('a', 'es');
    s.add('b', 'zh');
    expect(s.clear()).toEqual(['a', 'b']);
    expect(s.next(0, true)).toBeUndefined();
  });
});

describe('a pool that shares languages out', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  /** This thread's renderer for the tests: says it made the letter here, after `ms`. */
  function here(ms: number): Renderer & { made: string[] } {
    const made: string[] = [];
    return {
      made,
      async render(job) {
        await new Promise((r) => setTimeout(r, ms));
        made.push(job.language);
        return { seq: job.seq, ok: false, problem: { scope: 'row', code: 'ROW', message: 'here' } };
      },
      close: async () => undefined,
    };
  }

  it("sends each letter to its language's thread, this thread's own here and the worker's to the worker", async () => {
    const local = here(5);
    // slow-worker.js answers each job after 30 ms, saying "worker".
    const pool = new WorkerPool(loadCampaign(SAMPLE_CAMPAIGN), 1, path.join(__dirname, '..', 'fixtures', 'slow-worker.js'), undefined, local, new Map([['es', [0]], ['ar', [1]]]));
    const { recipients } = await readRecipients(writeCsv(t.dir, 'r.csv', [row()]));
    try {
      const langs = ['es', 'ar', 'es', 'es', 'ar', 'es', 'ar', 'es'];
      const results = await Promise.all(langs.map((language, i) => pool.render({ seq: i + 1, recipient: recipients[0], language, out: t.dir })));
      const by = results.map((r: JobResult) => ('problem' in r ? r.problem.message : ''));
      expect(by).toEqual(langs.map((l) => (l === 'es' ? 'here' : 'worker')));
      expect(local.made).toEqual(['es', 'es', 'es', 'es', 'es']);
    } finally {
      await pool.close();
    }
  });

  it('resolves the letters still waiting as cancelled when the run stops, and makes none of them', async () => {
    const local = here(20);
    const pool = new WorkerPool(loadCampaign(SAMPLE_CAMPAIGN), 1, path.join(__dirname, '..', 'fixtures', 'slow-worker.js'), undefined, local, new Map([['es', [0]], ['ar', [1]]]));
    const { recipients } = await readRecipients(writeCsv(t.dir, 'r2.csv', [row()]));
    try {
      const jobs = Array.from({ length: 10 }, (_, i) => pool.render({ seq: i + 1, recipient: recipients[0], language: 'es', out: t.dir }));
      pool.cancel();
      const results = await Promise.all(jobs);
      // This thread had begun one; the worker makes no Spanish, and the rest never began.
      expect(results.filter((r) => 'cancelled' in r)).toHaveLength(9);
      expect(local.made).toEqual(['es']);
    } finally {
      await pool.close();
    }
  });
});
