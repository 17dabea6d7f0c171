import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import { generate } from '../batch/generate';
import type { GenerateResult } from '../batch/generate';
import { EXIT, LetterMergeError, exitCodeFor } from '../errors';
import { GROUPS, supportedLanguages } from '../i18n/languages';
import { CORE_COLUMNS } from '../data/recipients';
import { DEFAULT_CAMPAIGN, PACKAGE_ROOT } from '../paths';
import { readFileSync } from 'node:fs';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A path as the user would type it: relative when under the current folder. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

function summaryLine(r: GenerateResult): string {
  const where = shown(r.out);
  const secs = (r.elapsedMs / 1000).toFixed(1);
  let s = `Wrote ${plural(r.produced, 'letter')} (PDF and e-mail each) to ${where}/ in ${secs} s`;
  if (r.skipped) s += `; ${r.skipped} skipped by --lang`;
  if (r.failed) s += `; ${r.failed} failed`;
  return `${s}.\n`;
}

/** Runs the CLI and returns the exit status; the one place that decides it. */
export async function run(argv: string[], io: Io = defaultIo): Promise<number> {
  let debug = argv.includes('--debug');
  let status: number = EXIT.ok;
  const program = new Command();
  program
    .name('lettermerge')
    .description('Turn a CSV of recipients into personalised letters: a PDF and an e-mail per recipient, in their language.')
    .version(version(), '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('generate')
    .description('write a PDF letter and an .eml e-mail for every recipient in the CSV')
    .argument('<csv>', 'recipients file (UTF-8 CSV)')
    .option('-c, --campaign <dir>', 'campaign folder holding campaign.yaml and templates (default: the built-in sample)')
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('-l, --lang <codes>', `only these languages, comma-separated (${supportedLanguages().join(', ')})`)
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText(
      'after',
      `
Writes <out>/<language>/<id>.pdf and <out>/<language>/<id>.eml for each recipient, and
<out>/manifest.jsonl (one line per letter: files, sizes, sha256, status). Rows that cannot be
made are listed, and copied to <out>/failed.csv with the reason, ready to fix and run again.

CSV columns: ${CORE_COLUMNS.join(', ')}
  group:    ${GROUPS.join(', ')}
  language: ${supportedLanguages().join(', ')} (several separated by ";" give one letter each)
Extra columns are passed to the templates.

Exit status: 0 all produced, 1 internal error, 2 usage error, 3 input unusable (nothing
written), 4 some rows failed (the others were produced).

Example:
  lettermerge generate samples/recipients.csv --out letters --lang es,en`,
    )
    .action(async (csv: string, opts: { campaign?: string; out: string; lang?: string; json?: boolean }) => {
      debug = debug || Boolean(program.opts().debug);
      const result = await generate({
        csv,
        campaign: opts.campaign ?? DEFAULT_CAMPAIGN,
        out: opts.out,
        languages: opts.lang ? [opts.lang] : undefined,
      });
      for (const f of result.failures) {
        io.stderr(`${csv}:${f.line}: ${f.id ? `id ${f.id}` : 'row'}${f.language ? ` (${f.language})` : ''}${f.field ? `, ${f.field}` : ''}: ${f.message}\n`);
      }
      io.stderr(summaryLine(result));
      if (result.failedCsv) io.stderr(`Failed rows, with the reason, are in ${shown(result.failedCsv)}.\n`);
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      status = result.failed > 0 ? EXIT.partial : EXIT.ok;
    });

  program.addOption(new Option('--no-color').hideHelp());

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (err instanceof LetterMergeError) {
      io.stderr(`lettermerge: ${err.describe()}\n`);
      if (debug && err.stack) io.stderr(`${err.stack}\n`);
      return exitCodeFor(err);
    }
    const e = err as Error;
    io.stderr(`lettermerge: internal error: ${e?.message ?? String(err)}\n`);
    if (debug && e?.stack) io.stderr(`${e.stack}\n`);
    else io.stderr('  This is a bug in lettermerge. Run again with --debug for details, and report it.\n');
    return EXIT.internal;
  }
}
