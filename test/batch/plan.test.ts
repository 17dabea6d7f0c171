import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { LetterIndex, lettersFor, plan } from '../../src/batch/plan';
import { letterKey } from '../../src/batch/keys';
import { letterId } from '../../src/batch/manifest';
import { SAMPLE_CAMPAIGN, row, tempDir, writeCsv } from '../helpers';

describe('the plan of a list', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it("holds every letter of a long list, in input order, with its row's line, key and scope", async () => {
    // More letters than the index first has room for, some rows with two languages, one row failing.
    const rows = Array.from({ length: 700 }, (_, i) =>
      row({
        id: `p${i}`,
        language: i % 3 === 0 ? 'es, fr' : ['en', 'ru', 'zh'][i % 3],
        first_name: `Name${i}`,
        email: i === 500 ? 'not an address' : `p${i}@example.org`,
      }),
    );
    const csv = writeCsv(t.dir, 'people.csv', rows);
    const campaign = await loadCampaign(SAMPLE_CAMPAIGN);
    const scope = { filter: ['es', 'en', 'zh'], shard: { index: 2, count: 3 } };
    const p = await plan(csv, campaign, scope);

    // The same, made from the rows as readRecipients reads them.
    const file = await readRecipients(csv);
    expect(file.recipients).toHaveLength(699);
    const expected: [string, { order: number; language: string; line: number; key: string; inScope: boolean }][] = [];
    for (const r of file.recipients) {
      const inScope = lettersFor(r, scope).languages;
      for (const language of r.languages) {
        const key = letterKey(campaign, r.fields, language);
        expected.push([letterId({ language, id: r.id }), { order: expected.length, language, line: r.line, key, inScope: inScope.includes(language) }]);
      }
    }
    expect(expected.length).toBeGreaterThan(900);
    expect(p.index.size).toBe(expected.length);
    expect([...p.index]).toEqual(expected);
    for (const [id, letter] of expected) expect(p.index.get(id)).toEqual(letter);
    expect(p.index.get('es/p1')).toBeUndefined();
    expect(p.index.get('en/p500')).toBeUndefined();
    expect(p.letters).toBe(expected.filter(([, l]) => l.inScope).length);
  });

  it('refuses a letter planned twice, and a key that is not one', () => {
    const index = new LetterIndex();
    index.add('es/a', { language: 'es', line: 2, key: '0123456789abcdef0123456789abcdef', inScope: true });
    expect(() => index.add('es/a', { language: 'es', line: 3, key: '0123456789abcdef0123456789abcdef', inScope: true })).toThrow(/planned twice/);
    expect(() => index.add('es/b', { language: 'es', line: 3, key: 'not a key', inScope: true })).toThrow(/key/);
    expect(index.size).toBe(1);
  });
});
