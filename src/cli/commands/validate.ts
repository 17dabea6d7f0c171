import path from 'node:path';
import { DEFAULTS } from '../../config';
import { EXIT } from '../../errors';
import { oneLine, plural, problemLine, say } from '../io';
import { mapOption, runLanguages, runMapping, pathOption } from '../options';
import type { Register } from './context';
import { signingOption } from './sign';

export const registerValidate: Register = (program, ctx) => {
  program
    .command('validate')
    .description('check a recipients file against a campaign, writing nothing; list every problem')
    .argument('<csv>', 'recipients file: CSV, or an Excel workbook (.xlsx)', pathOption('<csv>'))
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)', pathOption('--campaign'))
    .option('--sheet <name>', "the workbook's sheet to read (default: the first that is not hidden)")
    .option('--map <field=header>', 'read this column as this field, e.g. --map email="Correo electrónico" (repeatable; over columns: in campaign.yaml and the config file)', mapOption)
    .option('--suggest', 'print a columns: and values: block for campaign.yaml on stdout: how each column and word is read, with what had to be guessed marked')
    .option('--sign <file.p12>', 'also check a signing certificate: it opens with LETTERMERGE_SIGN_PASSWORD (or the password asked for), holds a private key, and is valid today', pathOption('--sign'))
    .option('--json', 'print the problems as one JSON object on stdout')
    .addHelpText(
      'after',
      `
Checks the campaign (campaign.yaml against its schema, its addresses, the templates and the
signature image), the encoding (UTF-8; UTF-16 and Windows-1252 are decoded, with a note), the
delimiter, the CSV syntax, the columns (the core ones and every field the templates use), and
each row: language, group, gender, e-mail address, required fields, lengths, characters no
bundled font has, and unique ids. With --sign, the signing certificate too: it must open with
its password, hold a private key, and be valid today; one that expires within 30 days gets a
warning. Exit status: 0 no problem, 3 a problem with the campaign, the signing certificate or
the file as a whole, 4 problems in rows.

Columns may be named in the six languages and in any case or spelling ("E-mail", "First Name",
"Correo electrónico", "Prénom"), and group, language and gender cells may hold words
("Gobierno", "Español", "es-ES", "Mme"): validate says how each was read. A column the mapping
names wins (columns: in campaign.yaml, then the config file, then --map); --suggest prints that
block, with any column or word lettermerge could only guess marked GUESSED, to review and
paste into campaign.yaml. generate never guesses: an unknown word fails its row.

Examples:
  lettermerge validate contacts.xlsx --suggest > mapping.yaml
  lettermerge validate contacts.csv --map email="Correo electrónico" --map group=Sector`,
    )
    .action(async (csv: string, opts: { campaign?: string; json?: boolean; sign?: string; sheet?: string; map?: Record<string, string>; suggest?: boolean }) => {
      const io = ctx.io;
      const config = ctx.config();
      // Only when asked for: a config file's sign would otherwise make every check ask for a password.
      const sign = await signingOption(ctx, opts.sign);
      const { validate } = await import('../../batch/validate');
      // The letters generate would make: its languages from the config file too.
      const lang = runLanguages(undefined, config);
      const result = await validate({ csv, sheet: opts.sheet, mapping: runMapping(config, opts.map), suggest: opts.suggest, campaign: opts.campaign ?? config?.campaign ?? DEFAULTS.campaign, sign, languages: lang.languages });
      if (result.signer) {
        say(io, `Signing certificate: ${oneLine(result.signer.name)}, valid until ${result.signer.notAfter.slice(0, 10)}.\n`);
        if (result.signer.warning) say(io, `warning: ${oneLine(opts.sign ?? '')}: ${result.signer.warning}\n`);
      }
      // A note of the list is said at the list; one of campaign.yaml's (a value some languages borrow) at its line.
      const yaml = `${path.join(result.campaign, 'campaign.yaml')}:`;
      for (const n of result.notices) say(io, `note: ${n.startsWith(yaml) ? '' : `${csv}: `}${n}\n`);
      for (const c of result.columns ?? []) {
        if (c.field && c.field !== c.header) say(io, `note: column ${JSON.stringify(oneLine(c.header))} read as ${c.field}${c.by === 'mapping' ? ' (as mapped)' : ''}\n`);
      }
      for (const w of result.words) say(io, `note: ${w.field} ${JSON.stringify(oneLine(w.word))} read as ${w.value} (${plural(w.rows, 'row')})\n`);
      for (const w of result.warnings) say(io, `warning: ${oneLine(w)}\n`);
      for (const p of result.problems) say(io, `${problemLine(p)}${p.hint ? `\n  ${p.hint.replace(/\n/g, '\n  ')}` : ''}\n`);
      const signing = result.problems.filter((p) => p.code === 'SIGNING');
      const problems = result.problems.filter((p) => p.code !== 'SIGNING');
      const files = problems.filter((p) => p.scope === 'file').length;
      say(
        io,
        problems.length === 0
          ? result.campaignUsable
            ? `${csv}: ${plural(result.rows, 'row')} checked, no problems (${plural(result.letters, 'letter')} to make${result.skipped ? `; ${result.skipped} skipped by ${lang.from}` : ''}).\n`
            : ''
          : !result.campaignUsable
            ? `The campaign cannot be used as it is (${plural(problems.length, 'problem')}); the rows of ${csv} were not checked.\n`
            : `${csv}: ${plural(problems.length, 'problem')}${result.rows ? ` in ${plural(result.rows, 'row')}` : ''}${files ? ' (the file cannot be used as it is)' : ''}.\n`,
      );
      if (signing.length) say(io, `The signing certificate cannot be used: generate --sign would stop before writing anything.\n`);
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      else if (opts.suggest && result.suggestion) io.stdout(result.suggestion);
      ctx.status = files + signing.length > 0 ? EXIT.input : problems.length > 0 ? EXIT.partial : EXIT.ok;
    });
};
