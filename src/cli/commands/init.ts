import path from 'node:path';
import { say } from '../io';
import { pathOption } from '../options';
import type { Register } from './context';

export const registerInit: Register = (program, ctx) => {
  program
    .command('init')
    .description('write a new campaign folder from the built-in sample, ready to edit')
    .argument('<dir>', 'the new folder (must not exist, or be empty)', pathOption('<dir>'))
    .action(async (dir: string) => {
      const { init } = await import('../../batch/init');
      const r = init({ dir });
      say(
        ctx.io,
        `Wrote a campaign to ${dir}/: ${r.files.join(', ')}.\nStart with ${path.join(dir, 'GUIDE.md')}; try it with:\n  lettermerge preview ${path.join(dir, 'recipients.csv')} --campaign ${dir} --row 1 --text\n`,
      );
    });
};
