import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { produceLetter } from '../src/batch/produce';
import { loadCampaign } from '../src/campaign/campaign';
import { readRecipients } from '../src/data/recipients';
import { setSubroutineInlining } from '../src/fonts/fonts';
import { Merger } from '../src/template/merge';
import { SAMPLE_CAMPAIGN, SAMPLE_CSV, hasCommand, tempDir } from './helpers';

describe('Chinese font subsets without subroutines', () => {
  const t = tempDir();
  afterAll(() => {
    setSubroutineInlining(true);
    t.cleanup();
  });

  async function chineseLetter(inline: boolean): Promise<Buffer> {
    setSubroutineInlining(inline);
    const campaign = loadCampaign(SAMPLE_CAMPAIGN);
    const { recipients } = await readRecipients(SAMPLE_CSV);
    const r = recipients.find((x) => x.id === 'intl-zh-017')!;
    return (await produceLetter(campaign, new Merger(campaign), r, 'zh', { shareLayout: false })).pdf;
  }

  it('are smaller than with fontkit’s full subroutine index', async () => {
    const inlined = await chineseLetter(true);
    const indexed = await chineseLetter(false);
    expect(inlined.length).toBeLessThan(indexed.length);
  });

  // Rendering both and comparing pixels shows that every outline is unchanged (pdftoppm is in
  // poppler-utils, which .ci/run installs).
  (hasCommand('pdftoppm') ? it : it.skip)('draw every glyph exactly as the original font does', async () => {
    const raster = (pdf: Buffer, name: string) => {
      const file = path.join(t.dir, `${name}.pdf`);
      writeFileSync(file, pdf);
      execFileSync('pdftoppm', ['-gray', '-r', '110', file, path.join(t.dir, name)]);
      return readFileSync(path.join(t.dir, `${name}-1.pgm`));
    };
    const a = raster(await chineseLetter(true), 'inlined');
    const b = raster(await chineseLetter(false), 'indexed');
    expect(a.length).toBeGreaterThan(100000);
    expect(a.equals(b)).toBe(true);
  });
});
