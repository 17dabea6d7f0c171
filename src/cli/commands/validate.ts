import { validate } from '../../batch/validate';
import { DEFAULTS } from '../../config';
import { EXIT } from '../../errors';
import { plural, problemLine, say } from '../io';
import type { Register } from './context';

export const registerValidate: Register = (program, ctx) => {
  program
    .command('validate')
    .description('check a recipients file against a campaign, writing nothing; list every problem')
    .argument('<csv>', 'recipients file')
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)')
    .option('--json', 'print the problems as one JSON object on stdout')
    .addHelpText(
      'after',
      `
Checks the campaign (campaign.yaml against its schema, its addresses, the templates and the
signature image), the encoding (UTF-8; UTF-16 and Windows-1252 are decoded, with a note), the
delimiter, the CSV syntax, the columns (the core ones and every field the templates use), and
each row: language, group, gender, e-mail address, required fields, lengths, characters no
bundled font has, and unique ids. Exit status: 0 no problem, 3 a problem with the campaign or
the file as a whole, 4 problems in rows.`,
    )
    .action(async (csv: string, opts: { campaign?: string; json?: boolean }) => {
      const io = ctx.io;
      const result = await validate({ csv, campaign: opts.campaign ?? ctx.config()?.campaign ?? DEFAULTS.campaign });
      for (const n of result.notices) say(io, `note: ${csv}: ${n}\n`);
      for (const p of result.problems) say(io, `${problemLine(p)}${p.hint ? `\n  ${p.hint.replace(/\n/g, '\n  ')}` : ''}\n`);
      const files = result.problems.filter((p) => p.scope === 'file').length;
      const campaignBroken = !result.campaignUsable;
      say(
        io,
        result.problems.length === 0
          ? `${csv}: ${plural(result.rows, 'row')} checked, no problems (${plural(result.letters, 'letter')} to make).\n`
          : campaignBroken
            ? `The campaign cannot be used as it is (${plural(result.problems.length, 'problem')}); the rows of ${csv} were not checked.\n`
            : `${csv}: ${plural(result.problems.length, 'problem')} in ${plural(result.rows, 'row')}${files ? ' (the file cannot be used as it is)' : ''}.\n`,
      );
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      ctx.status = files > 0 ? EXIT.input : result.problems.length > 0 ? EXIT.partial : EXIT.ok;
    });
};
