import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, watch as fsWatch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '../batch/generate';
import { initCampaign, preview } from '../batch/preview';
import { validate } from '../batch/validate';
import { describeServer, send } from '../batch/send';
import type { SendResult } from '../batch/send';
import { createInterface } from 'node:readline';
import type { GenerateResult, ProgressEvent } from '../batch/generate';
import { CORE_COLUMNS } from '../data/recipients';
import { EXIT, LetterMergeError, exitCodeFor } from '../errors';
import { GROUPS, supportedLanguages } from '../i18n/languages';
import { DEFAULT_CAMPAIGN, PACKAGE_ROOT } from '../paths';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal: the progress bar is drawn only there. */
  isTTY?: boolean;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Asks for a secret on the terminal without echoing it; absent when there is no terminal. */
  askSecret?: (prompt: string) => Promise<string>;
}

/** A prompt that does not echo what is typed (for the SMTP password). */
function askSecretOnTerminal(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void };
    process.stderr.write(prompt);
    out._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
  askSecret: process.stdin.isTTY ? askSecretOnTerminal : undefined,
};

/** Exit status of a run stopped by Ctrl-C, as shells expect (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

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
  const secs = r.elapsedMs / 1000;
  const rate = secs > 0 ? ` (${(r.produced / secs).toFixed(0)} letters/s)` : '';
  let s = `Wrote ${plural(r.produced, 'letter')} (PDF and e-mail each) to ${shown(r.out)}/ in ${secs.toFixed(1)} s${r.produced > 1 ? rate : ''}`;
  if (r.kept) s += `; ${r.kept} kept from the earlier run`;
  if (r.skipped) s += `; ${r.skipped} skipped by --lang`;
  if (r.failed) s += `; ${r.failed} failed`;
  return `${s}.\n`;
}

function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} takes a whole number of 1 or more.`);
    return Number(value);
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || !(n > 0)) throw new InvalidArgumentError(`${name} takes a number above 0.`);
    return n;
  };
}

function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new InvalidArgumentError('write the shard as K/N with 1 ≤ K ≤ N, e.g. 2/3.');
  return { index, count };
}

/** The command line to run again with --resume after an interruption. */
function resumeCommand(argv: string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.includes('--resume') ? argv : [...argv, '--resume'];
  return ['lettermerge', ...args.map(quote)].join(' ');
}

/** Opens a file in the system's viewer, where one exists; says so where none does. */
function openViewer(file: string, io: Io): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
    child.on('error', () => io.stderr(`No viewer to open ${file} with (${opener} is not available).\n`));
    child.unref();
  } catch {
    io.stderr(`No viewer to open ${file} with.\n`);
  }
}

/** Runs `action` again whenever something under `paths` changes (but `ignore`), until Ctrl-C. */
async function watch(paths: string[], ignore: string, action: () => Promise<void>, io: Io): Promise<void> {
  io.stderr('Watching the campaign and the CSV for changes (Ctrl-C to stop)…\n');
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const watchers = paths.map((p) =>
    fsWatch(p, { recursive: statSync(p).isDirectory() }, (_event, name) => {
      // The preview itself may be written inside the campaign folder: its own writes are no change.
      const changed = statSync(p).isDirectory() && name ? path.resolve(p, String(name)) : p;
      if (changed === ignore || changed.startsWith(`${ignore}.`)) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        running = running.then(() =>
          action().catch((err: unknown) => io.stderr(`lettermerge: ${err instanceof LetterMergeError ? err.describe() : String(err)}\n`)),
        );
      }, 150);
    }),
  );
  await new Promise<void>((resolve) => {
    const stop = io.onInterrupt?.(() => resolve());
    if (!stop) resolve();
  });
  for (const w of watchers) w.close();
  clearTimeout(timer);
  await running;
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
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)', positiveInt('--jobs'))
    .option('--limit <n>', 'only the first N letters', positiveInt('--limit'))
    .option('--shard <K/N>', "make only this run's share of the rows: shard K of N, stable for a given id", parseShard)
    .option('--resume', 'keep letters whose files exist and match the manifest; make the others')
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

Ctrl-C stops cleanly: letters under way are finished, no half-written file is left, and the
command to resume is printed. --shard K/N splits a campaign over N machines or CI jobs: the N
shards together make every letter exactly once.

Exit status: 0 all produced, 1 internal error, 2 usage error, 3 input unusable (nothing
written), 4 some rows failed (the others were produced), 130 interrupted.

Examples:
  lettermerge generate samples/recipients.csv --out letters --lang es,en
  lettermerge generate people.csv --shard 2/3 --out letters-2 --json`,
    )
    .action(
      async (
        csv: string,
        opts: { campaign?: string; out: string; lang?: string; json?: boolean; jobs?: number; limit?: number; shard?: { index: number; count: number }; resume?: boolean },
      ) => {
        debug = debug || Boolean(program.opts().debug);
        const controller = new AbortController();
        let interrupts = 0;
        const unsubscribe = io.onInterrupt?.(() => {
          interrupts++;
          if (interrupts === 1) {
            controller.abort();
            bar?.stop();
            io.stderr('\nStopping: finishing the letters under way (Ctrl-C again to quit at once)…\n');
          } else {
            process.exit(EXIT_INTERRUPTED);
          }
        });
        let bar: SingleBar | undefined;
        const started = Date.now();
        const onProgress = io.isTTY
          ? (e: ProgressEvent) => {
              if (!bar) {
                bar = new SingleBar(
                  {
                    format: 'letters {bar} {value}/{total} | {rate}/s | {eta_formatted} left',
                    barsize: 30,
                    hideCursor: true,
                    clearOnComplete: true,
                    stream: process.stderr,
                    etaBuffer: 200,
                  },
                );
                bar.start(e.total, 0, { rate: '0' });
              }
              const secs = (Date.now() - started) / 1000;
              bar.update(e.done, { rate: secs > 0 ? (e.done / secs).toFixed(0) : '0' });
            }
          : undefined;
        let result: GenerateResult;
        try {
          result = await generate({
            csv,
            campaign: opts.campaign ?? DEFAULT_CAMPAIGN,
            out: opts.out,
            languages: opts.lang ? [opts.lang] : undefined,
            jobs: opts.jobs,
            limit: opts.limit,
            shard: opts.shard,
            resume: opts.resume,
            signal: controller.signal,
            onProgress,
          });
        } finally {
          bar?.stop();
          unsubscribe?.();
        }
        for (const n of result.notices) io.stderr(`note: ${csv}: ${n}\n`);
        for (const f of result.failures) {
          io.stderr(`${csv}:${f.line}: ${f.id ? `id ${f.id}` : 'row'}${f.language ? ` (${f.language})` : ''}${f.field ? `, ${f.field}` : ''}: ${f.message}\n`);
        }
        io.stderr(summaryLine(result));
        if (result.failedCsv) io.stderr(`Failed rows, with the reason, are in ${shown(result.failedCsv)}.\n`);
        if (result.interrupted) {
          const finished = result.produced + result.kept + result.failed;
          io.stderr(`Interrupted after ${finished} of ${result.letters} letters. To finish, run:\n  ${resumeCommand(argv)}\n`);
        }
        if (opts.json) io.stdout(JSON.stringify(result) + '\n');
        status = result.interrupted ? EXIT_INTERRUPTED : result.failed > 0 ? EXIT.partial : EXIT.ok;
      },
    );

  program
    .command('validate')
    .description('check a recipients file against a campaign, writing nothing; list every problem')
    .argument('<csv>', 'recipients file')
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)')
    .option('--json', 'print the problems as one JSON object on stdout')
    .addHelpText(
      'after',
      `
Checks the encoding (UTF-8; UTF-16 and Windows-1252 are decoded, with a note), the delimiter,
the CSV syntax, the columns (the core ones and every field the templates use), and each row:
language, group, e-mail address, required fields, lengths, characters no bundled font has, and
unique ids. Exit status: 0 no problem, 3 a problem with the file as a whole, 4 problems in rows.`,
    )
    .action(async (csv: string, opts: { campaign?: string; json?: boolean }) => {
      debug = debug || Boolean(program.opts().debug);
      const result = await validate({ csv, campaign: opts.campaign });
      for (const n of result.notices) io.stderr(`note: ${csv}: ${n}\n`);
      for (const p of result.problems) {
        const where = `${p.file}${p.line !== undefined ? `:${p.line}` : ''}`;
        const what = [p.id ? `id ${p.id}` : '', p.field ?? ''].filter(Boolean).join(', ');
        io.stderr(`${where}: ${what ? `${what}: ` : ''}${p.message}${p.hint ? `\n  ${p.hint}` : ''}\n`);
      }
      const files = result.problems.filter((p) => p.scope === 'file').length;
      io.stderr(
        result.problems.length === 0
          ? `${csv}: ${plural(result.rows, 'row')} checked, no problems (${plural(result.letters, 'letter')} to make).\n`
          : `${csv}: ${plural(result.problems.length, 'problem')} in ${plural(result.rows, 'row')}${files ? ' (the file cannot be used as it is)' : ''}.\n`,
      );
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      status = files > 0 ? EXIT.input : result.problems.length > 0 ? EXIT.partial : EXIT.ok;
    });

  program
    .command('preview')
    .description('render one letter quickly, to check a template while editing it')
    .argument('<csv>', 'recipients file')
    .option('-c, --campaign <dir>', 'campaign folder (default: the built-in sample)')
    .option('--id <id>', 'the recipient with this id')
    .option('--row <n>', 'the Nth recipient of the file (1 is the first after the header)', positiveInt('--row'))
    .option('-l, --lang <code>', "the letter's language (default: the recipient's first)")
    .option('-o, --out <file>', 'where to write the PDF', 'preview.pdf')
    .option('--text', 'print the letter as plain text instead of writing a PDF')
    .option('--watch', 'render again whenever a template, campaign.yaml or the CSV changes')
    .option('--open', 'open the PDF in the system viewer, where there is one')
    .action(
      async (
        csv: string,
        opts: { campaign?: string; id?: string; row?: number; lang?: string; out: string; text?: boolean; watch?: boolean; open?: boolean },
      ) => {
        debug = debug || Boolean(program.opts().debug);
        if ((opts.id === undefined) === (opts.row === undefined)) {
          throw new LetterMergeError('USAGE', 'name the recipient with --id ID or --row N (one of them)', { kind: 'usage' });
        }
        const campaignDir = path.resolve(opts.campaign ?? DEFAULT_CAMPAIGN);
        const once = async (): Promise<void> => {
          const started = Date.now();
          const r = await preview({ csv, campaign: campaignDir, id: opts.id, row: opts.row, language: opts.lang, textOnly: opts.text });
          if (opts.text) io.stdout(r.text);
          else if (r.letter) {
            writeFileSync(opts.out, r.letter.pdf);
            io.stderr(`Wrote ${shown(path.resolve(opts.out))} (${r.recipient.id}, ${r.language}, ${plural(r.letter.pages, 'page')}) in ${Date.now() - started} ms.\n`);
          }
        };
        await once();
        if (opts.open && !opts.text) openViewer(path.resolve(opts.out), io);
        if (opts.watch) await watch([campaignDir, path.resolve(csv)], path.resolve(opts.out), once, io);
      },
    );

  program
    .command('send')
    .description('deliver the e-mails of a generated output folder through an SMTP server')
    .argument('<out-dir>', 'the output folder of "lettermerge generate"')
    .requiredOption('--smtp <url>', 'smtp://[user@]host[:port] (STARTTLS when offered) or smtps://[user@]host[:port] (TLS)')
    .option('--confirm', 'really send (without it: a dry run that checks the server and lists what would go)')
    .option('--rate <n>', 'at most N messages per second (fractions allowed, e.g. 0.5)', positiveNumber('--rate'))
    .option('--ca <file>', 'also trust this certificate authority (PEM) for the server')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText(
      'after',
      `
The password comes from the LETTERMERGE_SMTP_PASSWORD environment variable, or is asked for on a
terminal; never from the command line, and it is never printed. Each delivery is recorded in
<out-dir>/sent.jsonl as it happens (id, message id, time, the server's answer): a second run sends
only what is not recorded there, so nothing goes out twice and a stopped run resumes cleanly.
A temporary refusal (4xx, dropped connection) is tried again with growing pauses; a permanent one
(5xx, unknown recipient) is recorded and the batch goes on. Exit status 4 if any message was not
delivered.

Example:
  LETTERMERGE_SMTP_PASSWORD=… lettermerge send out --smtp smtp://letters@mail.example.org:587 --rate 2 --confirm`,
    )
    .action(async (outDir: string, opts: { smtp: string; confirm?: boolean; rate?: number; ca?: string; json?: boolean }) => {
      debug = debug || Boolean(program.opts().debug);
      let password = process.env.LETTERMERGE_SMTP_PASSWORD;
      const hasUser = /^smtps?:\/\/[^@/]+@/.test(opts.smtp);
      if (hasUser && password === undefined) {
        if (!io.askSecret) {
          throw new LetterMergeError('SMTP_PASSWORD', 'the SMTP server needs a password: set LETTERMERGE_SMTP_PASSWORD', { kind: 'usage' });
        }
        password = await io.askSecret(`Password for ${describeServer(opts.smtp)}: `);
      }
      const controller = new AbortController();
      const unsubscribe = io.onInterrupt?.(() => {
        controller.abort();
        io.stderr('\nStopping after the message under way…\n');
      });
      let bar: SingleBar | undefined;
      let result: SendResult;
      try {
        result = await send({
          out: outDir,
          smtp: opts.smtp,
          password,
          confirm: opts.confirm,
          rate: opts.rate,
          ca: opts.ca,
          signal: controller.signal,
          onProgress: io.isTTY
            ? (e) => {
                if (!bar) {
                  bar = new SingleBar({ format: 'e-mails {bar} {value}/{total} | {eta_formatted} left', barsize: 30, hideCursor: true, clearOnComplete: true, stream: process.stderr });
                  bar.start(e.total, 0);
                }
                bar.update(e.done);
              }
            : undefined,
        });
      } finally {
        bar?.stop();
        unsubscribe?.();
      }
      if (result.dryRun) {
        io.stderr(
          `Dry run: ${result.server} answers and accepts us. ${plural(result.pending, 'message')} would be sent` +
            `${result.alreadySent ? ` (${result.alreadySent} already sent before)` : ''}. Run again with --confirm to send.\n`,
        );
      } else {
        for (const f of result.failures) io.stderr(`${f.language}/${f.id} <${f.to}>: not delivered: ${f.message}\n`);
        io.stderr(
          `Sent ${plural(result.sent, 'message')} through ${result.server} in ${(result.elapsedMs / 1000).toFixed(1)} s` +
            `${result.alreadySent ? `; ${result.alreadySent} already sent before` : ''}` +
            `${result.rejected ? `; ${result.rejected} rejected` : ''}${result.failed ? `; ${result.failed} failed after retries` : ''}. Log: ${shown(result.sentLog)}.\n`,
        );
        if (result.interrupted) io.stderr(`Interrupted. To send the rest, run the same command again.\n`);
      }
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      status = result.interrupted ? EXIT_INTERRUPTED : result.rejected + result.failed > 0 ? EXIT.partial : EXIT.ok;
    });

  program
    .command('init')
    .description('write a new campaign folder from the built-in sample, ready to edit')
    .argument('<dir>', 'the new folder (must not exist, or be empty)')
    .action((dir: string) => {
      const files = initCampaign(dir);
      io.stderr(`Wrote a campaign to ${dir}/: ${files.join(', ')}.\nStart with ${path.join(dir, 'GUIDE.md')}; try it with:\n  lettermerge preview ${path.join(dir, 'recipients.csv')} --campaign ${dir} --row 1 --text\n`);
    });

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
