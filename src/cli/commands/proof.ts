import { DEFAULTS } from '../../config';
import { EXIT } from '../../errors';
import { supportedLanguages, GROUPS } from '../../i18n/languages';
import { plural, problemLine, say } from '../io';
import { mapOption, positiveInt, runLanguages, runMapping, pathOption } from '../options';
import { Run, shown } from '../progress';
import type { Register } from './context';

interface Flags {
  campaign?: string;
  sheet?: string;
  map?: Record<string, string>;
  out?: string;
  lang?: string;
  group?: string;
  limit?: number;
  json?: boolean;
}

const HELP = `
The proof is one PDF to read or print before anything is sent:
  - a first page with the letters counted by language and stakeholder group, and every row
    that failed, with its reason;
  - then every letter, each starting on a new page, laid out exactly as its own PDF;
  - bookmarks by language, then "id — full name", and page labels such as "gov-es-001 es 2".
It is written one letter at a time, so thousands of letters take no more memory than one.
Nothing else is written, and nothing is sent. Exit status: 0 every letter in scope is in the
proof, 3 the file or campaign cannot be used, 4 some rows failed (listed on the first page).

Examples:
  lettermerge proof samples/recipients.csv --out proof.pdf
  lettermerge proof people.xlsx --sheet Recipients --lang es --group government --out es-gov.pdf`;

export const registerProof: Register = (program, ctx) => {
  program
    .command('proof')
    .description('write one PDF of every letter, with a summary first, to read before sending')
    .argument('<csv>', 'recipients file: CSV, or an Excel workbook (.xlsx)', pathOption('<csv>'))
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)', pathOption('--campaign'))
    .option('--sheet <name>', "the workbook's sheet to read (default: the first that is not hidden)")
    .option('--map <field=header>', 'read this column as this field, e.g. --map email="Correo electrónico" (repeatable; over columns: in campaign.yaml and the config file)', mapOption)
    .option('-o, --out <file>', 'where to write the proof (default: "proof.pdf")', pathOption('--out'))
    .option('-l, --lang <codes>', `only these languages, comma-separated (${supportedLanguages().join(', ')}, or their names: Español, French…)`)
    .option('-g, --group <groups>', `only these stakeholder groups, comma-separated (${GROUPS.join(', ')}, or their names in the six languages)`)
    .option('--limit <n>', 'only the first N letters', positiveInt('--limit'))
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText('after', HELP)
    .action(async (csv: string, opts: Flags) => {
      const io = ctx.io;
      const run = new Run(io, { unit: 'letters', stopping: 'Stopping: the proof is not written' });
      const config = ctx.config();
      // As generate makes them: a proof of languages generate leaves out would not be the batch's.
      const lang = runLanguages(opts.lang, config);
      let result;
      try {
        const { proof } = await import('../../batch/proof');
        result = await proof({
          csv,
          sheet: opts.sheet,
          mapping: runMapping(config, opts.map),
          campaign: opts.campaign ?? config?.campaign ?? DEFAULTS.campaign,
          out: opts.out,
          languages: lang.languages,
          groups: opts.group ? [opts.group] : undefined,
          limit: opts.limit,
          signal: run.signal,
          onProgress: run.onProgress(),
        });
      } finally {
        run.end();
      }
      if (result.interrupted) {
        say(io, `Stopped after ${plural(result.letters, 'letter')}: no proof was written.\n`);
        ctx.status = EXIT.interrupted;
        return;
      }
      for (const n of result.notices) say(io, `note: ${n}\n`);
      for (const p of result.failures) say(io, `${problemLine(p)}\n`);
      say(io, `Wrote the proof of ${plural(result.letters, 'letter')} (${plural(result.pages, 'page')}) to ${shown(result.out)} in ${(result.elapsedMs / 1000).toFixed(1)} s${result.failures.length ? `; ${plural(result.failures.length, 'row')} failed, listed on its first page` : ''}${result.skipped ? `; ${plural(result.skipped, 'letter')} of the list skipped by ${[lang.from, opts.group ? '--group' : ''].filter(Boolean).join(' and ')}` : ''}.\n`);
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      ctx.status = result.failures.length ? EXIT.partial : EXIT.ok;
    });
};
