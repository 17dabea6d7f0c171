import { produceLetter } from '../../src/batch/produce';
import { loadCampaign } from '../../src/campaign/campaign';
import { readRecipients } from '../../src/data/recipients';
import { Merger } from '../../src/template/merge';
import { SAMPLE_CAMPAIGN, SAMPLE_CSV } from '../helpers';

describe('renderPdf', () => {
  it('writes the same bytes whether glyph layout is shared across letters or not', async () => {
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const merger = new Merger(campaign);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    const jobs = recipients.flatMap((r) => r.languages.map((l) => [r, l] as const));
    // Warm the shared caches with every letter, then compare each against an unshared render.
    const shared = [];
    for (const [r, l] of jobs) shared.push(await produceLetter(campaign, merger, r, l));
    for (const [i, [r, l]] of jobs.entries()) {
      const plain = await produceLetter(campaign, merger, r, l, { shareLayout: false });
      expect(plain.pdf.equals(shared[i].pdf)).toBe(true);
      expect(plain.eml.equals(shared[i].eml)).toBe(true);
    }
  });
});
