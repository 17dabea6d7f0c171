import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { layoutLetter } from '../../src/layout/letter';
import type { TextItem } from '../../src/layout/letter';
import { SOFT_HYPHEN } from '../../src/layout/lines';
import { parseMarkdown } from '../../src/markup/markdown';
import { Merger } from '../../src/template/merge';
import { SAMPLE_CAMPAIGN, row, tempDir, writeCsv } from '../helpers';

describe('letter layout', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  /** The texts drawn, in order, and the words broken at a line end (as "Desa|rrollo"). */
  function drawn(merger: Merger, recipient: Parameters<Merger['merge']>[0]): { texts: string[]; broken: string[] } {
    const letter = merger.merge(recipient, 'es');
    const items = layoutLetter(letter, parseMarkdown(letter.body)).pages.flatMap((p) => p.items.filter((i): i is TextItem => i.kind === 'text'));
    const texts = items.map((i) => i.text);
    const broken: string[] = [];
    texts.forEach((text, k) => {
      if (!text.endsWith(SOFT_HYPHEN)) return;
      const before = /\p{L}+$/u.exec(text.slice(0, -1))?.[0] ?? '';
      const after = /^\p{L}+/u.exec(texts[k + 1] ?? '')?.[0] ?? '';
      broken.push(`${before}|${after}`);
    });
    return { texts, broken };
  }

  it('breaks a paragraph once for every letter, and again, with the word whole, for a recipient whose word it would break', async () => {
    const merger = new Merger(loadCampaign(SAMPLE_CAMPAIGN));
    const first = await readRecipients(writeCsv(t.dir, 'a.csv', [row({ id: 'a', language: 'es' })]));
    const a = drawn(merger, first.recipients[0]);
    // The sample's Spanish body has hyphenated line ends; one of its words becomes a recipient's name.
    expect(a.broken.length).toBeGreaterThan(0);
    const [before, after] = a.broken[0].split('|');
    const word = before + after;
    const name = word[0].toUpperCase() + word.slice(1);
    const second = await readRecipients(writeCsv(t.dir, 'b.csv', [row({ id: 'b', language: 'es', last_name: name })]));
    const b = drawn(merger, second.recipients[0]);
    expect(b.texts.join(' ')).toContain(word);
    expect(b.broken.map((w) => w.replace('|', '').toLowerCase())).not.toContain(word.toLowerCase());
    // Other letters keep the lines made first, whatever came between.
    expect(drawn(merger, first.recipients[0])).toEqual(a);
  });
});
