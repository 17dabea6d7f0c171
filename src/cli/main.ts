import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { CONFIG_FILES, findConfig } from '../config';
import type { Config } from '../config';
import { EXIT, LetterMergeError, WorkerFailure, exitCodeFor } from '../errors';
import { PACKAGE_ROOT } from '../paths';
import { problemOf } from '../problems';
import { registerGenerate } from './commands/generate';
import { registerInit } from './commands/init';
import { registerPreview } from './commands/preview';
import { registerProof } from './commands/proof';
import { registerSend } from './commands/send';
import { registerValidate } from './commands/validate';
import type { Context } from './commands/context';
import { processIo, say } from './io';
import { pathOption } from './options';
import type { Io } from './io';

export type { Io } from './io';

/**
 * WebAssembly (HarfBuzz's shaper and subsetter) is compiled by V8's baseline compiler and kept
 * so, not compiled again by its optimising compiler once hot. One function of the subsetter is
 * 150 KB of code: optimising it took 0.4 s of a background thread, and a short run waited for that
 * to finish before it could exit (preview --row 3 --out: 1.55 s against 1.15 now; generate
 * --limit 1: 1.9 against 1.3). Long runs did not gain from the optimised code: 2,000 six-language
 * or Chinese letters took the same time within 1%, either way. The flags are the process's: set
 * by the command line, not by the library, which leaves its host's V8 as it is.
 */
function baselineWasm(): void {
  setFlagsFromString('--no-wasm-dynamic-tiering');
  setFlagsFromString('--no-wasm-tier-up');
}

function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The module a MODULE_NOT_FOUND error names, when it is lettermerge's own code or one of its packages. */
function missingModule(e: Error): string | undefined {
  if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find module '([^']+)'/.exec(e.message)?.[1];
  if (!name) return undefined;
  if (path.isAbsolute(name)) return `its file ${path.relative(path.join(PACKAGE_ROOT, 'dist'), name).replace(/\.js$/, '')}`;
  return name.startsWith('.') ? `its file ${name.replace(/^(\.\.?\/)+/, '')}` : `the package ${name}`;
}

/** Prints an error the way a user should see it: a message, a hint, a stack only with --debug. */
function report(err: unknown, io: Io, debug: boolean): number {
  if (err instanceof LetterMergeError) {
    say(io, `lettermerge: ${err.describe()}\n`);
    if (debug && err.stack) say(io, `${err.stack}\n`);
    return exitCodeFor(err);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const missing = missingModule(e);
  if (missing) {
    // Each command's code is loaded when it runs: a file deleted from the installation shows here.
    say(io, `lettermerge: the installation is incomplete: ${missing} cannot be loaded. Reinstall lettermerge: npm ci (or npm install) in the folder it was installed in.\n`);
    if (debug && e.stack) say(io, `${e.stack}\n`);
    return EXIT.internal;
  }
  say(io, `lettermerge: internal error: ${e.message}\n`);
  // Only generate has worker threads; the letters it finished are in its manifest.
  if (e instanceof WorkerFailure) say(io, '  The letters finished before it stopped are kept and recorded: --resume makes the others.\n');
  const detail = e instanceof WorkerFailure ? e.detail : e.stack;
  if (debug && detail) say(io, `${detail}\n`);
  else say(io, '  This is a bug in lettermerge. Run again with --debug for details, and report it.\n');
  return EXIT.internal;
}

/**
 * Runs the CLI and returns the exit status; the one place that decides it. Commands parse their
 * flags, call the library function, and print; they never end the process themselves.
 */
export async function run(argv: string[], given: Io = processIo()): Promise<number> {
  baselineWasm();
  // Whether the command printed anything on stdout (its JSON summary, say): see jsonError.
  let printed = false;
  const io: Io = {
    ...given,
    stdout: (s) => {
      printed = true;
      given.stdout(s);
    },
  };
  const program = new Command();
  let config: { value: Config | undefined } | undefined;
  const ctx: Context = {
    io,
    argv,
    status: EXIT.ok,
    debug: () => argv.includes('--debug'),
    config: () => {
      if (!config) {
        const named = program.opts<{ config?: string }>().config;
        config = { value: findConfig(process.cwd(), named) };
        if (config.value) say(io, `note: settings from ${path.relative(process.cwd(), config.value.file) || config.value.file}\n`);
      }
      return config.value;
    },
  };
  program
    .name('lettermerge')
    .description('Turn a CSV of recipients into personalised letters: a PDF and an e-mail per recipient, in their language.')
    .version(version(), '-V, --version')
    .option('--debug', 'show stack traces for errors')
    .option('--config <file>', `settings file (default: ${CONFIG_FILES[0]} in this folder, if there is one); flags override it`, pathOption('--config'))
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  for (const register of [registerGenerate, registerValidate, registerPreview, registerProof, registerSend, registerInit]) register(program, ctx);

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.status;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      if (argv.includes('--json') && !printed) given.stdout(jsonError(err, EXIT.usage));
      return EXIT.usage;
    }
    const status = report(err, io, ctx.debug());
    if (argv.includes('--json') && !printed) given.stdout(jsonError(err, status));
    return status;
  }
}

/**
 * With --json, a run stopped by an error before its summary prints the error on stdout as well
 * (stderr has it for people), so that a script reading stdout always gets one JSON object:
 * {"error": {code, kind, message, hint, file, line, field, …}, "exitCode": n}.
 */
function jsonError(err: unknown, exitCode: number): string {
  let error: Record<string, unknown>;
  if (err instanceof LetterMergeError) {
    const { scope: _scope, code, ...place } = problemOf(err, 'file');
    error = { code, kind: err.kind, ...place };
  } else if (err instanceof CommanderError) {
    error = { code: 'USAGE', kind: 'usage', message: err.message.replace(/^error: /, '') };
  } else {
    error = { code: 'INTERNAL', kind: 'internal', message: err instanceof Error ? err.message : String(err) };
  }
  return `${JSON.stringify({ error, exitCode })}\n`;
}
