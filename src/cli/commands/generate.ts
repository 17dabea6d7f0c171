import type { GenerateResult, ProgressEvent } from '../../batch/generate';
import { CORE_COLUMNS } from '../../data/mapping';
import { EXIT } from '../../errors';
import { GROUPS, supportedLanguages } from '../../i18n/languages';
import { DEFAULTS } from '../../config';
import { firstFew } from '../../text/suggest';
import { plural, problemLine, say } from '../io';
import { commandLine, mapOption, parseShard, positiveInt, runLanguages, runMapping, pathOption } from '../options';
import { Run, shown } from '../progress';
import type { Context, Register } from './context';
import { signingOption } from './sign';

interface Flags {
  sheet?: string;
  map?: Record<string, string>;
  campaign?: string;
  out?: string;
  lang?: string;
  json?: boolean;
  jobs?: number;
  limit?: number;
  shard?: { index: number; count: number };
  resume?: boolean;
  sign?: string;
}

function summaryLine(r: GenerateResult, langFrom = '--lang'): string {
  const secs = r.elapsedMs / 1000;
  // A rate only says something for a run of some length: "2 letters in 1.8 s (1 letters/s)" does not.
  const perSecond = secs > 0 ? r.produced / secs : 0;
  const rate = r.produced >= 10 && perSecond > 0 ? ` (${perSecond.toFixed(perSecond < 10 ? 1 : 0)} letters/s)` : '';
  let s = `Wrote ${plural(r.produced, 'letter')} (PDF and e-mail each) to ${shown(r.out)}/ in ${secs.toFixed(1)} s${rate}`;
  if (r.kept) s += `; ${r.kept} kept from the earlier run`;
  if (r.skipped) s += `; ${r.skipped} skipped by ${langFrom}`;
  if (r.failed) s += `; ${r.failed} failed`;
  return `${s}.\n`;
}

/**
 * Why a resumed run made letters that an earlier run had made: their input changed, or their files
 * were missing or edited (named, as someone may have changed them by hand). Empty when none.
 */
function remadeLine(r: GenerateResult): string {
  const parts: string[] = [];
  const { changed, altered } = r.remade;
  if (altered.length > 0) {
    parts.push(`${plural(altered.length, 'letter')} whose files were missing or not as the manifest records them (${firstFew(altered)})`);
  }
  if (changed > 0) parts.push(`${plural(changed, 'letter')} whose input changed since ${changed === 1 ? 'it was' : 'they were'} made (${changed === 1 ? 'its' : 'their'} row, the campaign, the signing or lettermerge's version)`);
  return parts.length > 0 ? `Made again, not kept: ${parts.join('; ')}.\n` : '';
}

/** The exit status of a generate run: never 0 when something asked for was not produced. */
export function generateStatus(r: GenerateResult): number {
  if (r.interrupted) return EXIT.interrupted;
  if (r.failures.some((f) => f.internal)) return EXIT.internal;
  if (r.failed > 0) return EXIT.partial;
  if (r.letters > 0 && r.produced + r.kept < r.letters) return EXIT.internal;
  return EXIT.ok;
}

/** What a generate run prints on stderr: notes, failures, the summary, and what to do next. */
function report(ctx: Context, csv: string, result: GenerateResult, langFrom?: string): void {
  const io = ctx.io;
  for (const n of result.notices) say(io, `note: ${n}\n`);
  for (const f of result.failures) {
    say(io, `${problemLine({ ...f, file: csv })}\n`);
    for (const other of f.also ?? []) say(io, `${problemLine({ ...other, file: csv })}\n`);
    if (f.detail && ctx.debug()) say(io, `${f.detail}\n`);
  }
  say(io, summaryLine(result, langFrom));
  const remade = remadeLine(result);
  if (remade) say(io, remade);
  if (result.removed) {
    say(io, `${plural(result.removed, 'letter')} of earlier runs ${result.removed === 1 ? 'belongs' : 'belong'} to recipients or languages no longer in ${csv}: taken out of the manifest (not sendable), ${result.removedDir ? `files moved to ${shown(result.removedDir)}/` : `no files of ${result.removed === 1 ? 'it' : 'theirs'} left in the folder to move`}.\n`);
  }
  if (result.stale) {
    say(io, `${plural(result.stale, 'letter')} outside this run ${result.stale === 1 ? 'was' : 'were'} made from an earlier version of ${result.stale === 1 ? 'its' : 'their'} input: marked stale, and send refuses ${result.stale === 1 ? 'it' : 'them'}. Make ${result.stale === 1 ? 'it' : 'them'} again with a run that covers ${result.stale === 1 ? 'it' : 'them'}.\n`);
  }
  if (result.failedCsv) say(io, `Failed rows, with the reason, are in ${shown(result.failedCsv)}.\n`);
  if (result.interrupted) {
    const finished = result.produced + result.kept + result.failed;
    say(io, `Interrupted after ${finished} of ${result.letters} letters. To finish, run:\n  ${commandLine(ctx.argv, '--resume')}\n`);
  }
}

const HELP = `
Writes <out>/<language>/<id>.pdf and <out>/<language>/<id>.eml for each recipient, and
<out>/manifest.jsonl (one line per letter: files, sizes, sha256, status). Rows that cannot be
made are listed, and copied to <out>/failed.csv with the reason, ready to fix and run again
("generate <out>/failed.csv --out <out>": a list ending with the "error" column keeps the other
letters).

The manifest describes every letter of the current input in <out>: a narrower run (--lang,
--limit, --shard) adds and updates letters and keeps the others. A letter whose recipient is no
longer in the file is taken out of the manifest and its files moved to <out>/removed/; a letter
this run did not make whose row, campaign or lettermerge changed is marked stale, and send
refuses it until it is made again.

CSV columns: ${CORE_COLUMNS.join(', ')}
  group:    ${GROUPS.join(', ')}
  language: ${supportedLanguages().join(', ')} (several, separated by ";" or "/", give one letter each)
Extra columns are passed to the templates.

Ctrl-C (or SIGTERM) stops cleanly: letters under way are finished, no half-written file is
left, and the command to resume is printed. --shard K/N splits a campaign over N machines or CI
jobs: the N shards together make every letter exactly once.

Exit status: 0 all produced, 1 internal error, 2 usage error, 3 input unusable (nothing
written), 4 some rows failed (the others were produced), 130 interrupted.

Examples:
  lettermerge generate samples/recipients.csv --out letters --lang es,en
  lettermerge generate people.csv --shard 2/3 --out letters-2 --json`;

export const registerGenerate: Register = (program, ctx) => {
  program
    .command('generate')
    .description('write a PDF letter and an .eml e-mail for every recipient in the CSV')
    .argument('<csv>', 'recipients file: CSV, or an Excel workbook (.xlsx)', pathOption('<csv>'))
    .option('-c, --campaign <dir>', 'campaign folder holding campaign.yaml and templates (default: the built-in sample)', pathOption('--campaign'))
    .option('--sheet <name>', "the workbook's sheet to read (default: the first that is not hidden)")
    .option('--map <field=header>', 'read this column as this field, e.g. --map email="Correo electrónico" (repeatable; over columns: in campaign.yaml and the config file)', mapOption)
    .option('-o, --out <dir>', `output folder: new, empty, or one an earlier run of the campaign wrote (default: "${DEFAULTS.out}")`, pathOption('--out'))
    .option('-l, --lang <codes>', `only these languages, comma-separated (${supportedLanguages().join(', ')}, or their names: Español, French…)`)
    .option('-j, --jobs <n>', 'threads making letters: the main thread and n-1 worker threads (default: 1 below 1,000 letters, and one more per 1,000; at most the number of cores)', positiveInt('--jobs'))
    .option('--limit <n>', 'only the first N letters', positiveInt('--limit'))
    .option('--shard <K/N>', "make only this run's share of the rows: shard K of N, stable for a given id", parseShard)
    .option('--resume', 'keep letters whose files exist, match the manifest and were made from the same input; make the others')
    .option('--sign <file.p12>', 'sign every PDF (PAdES B-B) with this PKCS#12 certificate; the password comes from LETTERMERGE_SIGN_PASSWORD or a prompt', pathOption('--sign'))
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText('after', HELP)
    .action(async (csv: string, opts: Flags) => {
      const io = ctx.io;
      const run = new Run(io, {
        unit: 'letters',
        stopping: 'Stopping: finishing the letters under way',
        onQuit: () => `Letters finished so far are recorded. To finish, run:\n  ${commandLine(ctx.argv, '--resume')}`,
      });
      const config = ctx.config();
      const lang = runLanguages(opts.lang, config);
      const sign = await signingOption(ctx, opts.sign ?? config?.sign);
      let result: GenerateResult;
      try {
        const { generate } = await import('../../batch/generate');
        result = await generate({
          csv,
          sheet: opts.sheet,
          mapping: runMapping(config, opts.map),
          campaign: opts.campaign ?? config?.campaign ?? DEFAULTS.campaign,
          out: opts.out ?? config?.out ?? DEFAULTS.out,
          languages: lang.languages,
          jobs: opts.jobs ?? config?.jobs,
          limit: opts.limit,
          shard: opts.shard,
          resume: opts.resume,
          sign,
          signal: run.signal,
          onProgress: run.onProgress<ProgressEvent>(),
        });
      } finally {
        run.end();
      }
      report(ctx, csv, result, lang.from);
      ctx.status = generateStatus(result);
      if (ctx.status === EXIT.internal && !result.failures.some((f) => f.internal)) {
        say(io, `lettermerge: ${result.letters - result.produced - result.kept} of ${result.letters} letters were neither made nor reported as failed. This is a bug in lettermerge; run again with --debug and report it.\n`);
      }
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
    });
};
