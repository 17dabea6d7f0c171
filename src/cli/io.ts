import { createInterface } from 'node:readline';
import { sourceNote } from '../problems';
import type { Problem } from '../problems';
import { BIDI_CONTROL_CLASS } from '../text/unicode';

/** Everything the CLI does to the outside world, injectable so commands can be tested in-process. */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** The terminal a progress bar may be drawn on; absent when stderr is not a terminal (CI, a pipe). */
  progress?: NodeJS.WriteStream;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. */
  onInterrupt?: (handler: () => void) => () => void;
  /** Asks for a secret on the terminal without echoing it; absent when there is no terminal. */
  askSecret?: (prompt: string) => Promise<string>;
  /** Ends the process at once (a second Ctrl-C); absent in tests. */
  exitNow?: (code: number) => void;
}

/** A prompt that does not echo what is typed (for a password). */
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

export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    progress: process.stderr.isTTY ? process.stderr : undefined,
    // Ctrl-C, and the SIGTERM a CI runner, a container or a service manager sends to stop a job:
    // both stop the run cleanly (the letters under way are finished and recorded).
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    askSecret: process.stdin.isTTY ? askSecretOnTerminal : undefined,
    exitNow: (code) => process.exit(code),
  };
}

/**
 * Text from files and rows (ids, names, paths) may hold control characters: an escape sequence
 * in an id could rewrite the user's terminal, a bidi override could reorder what they read. Every
 * message is printed with such characters shown as escapes; only line breaks and tabs pass.
 */
const UNPRINTABLE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f${BIDI_CONTROL_CLASS}]`, 'g');

export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (ch) => {
    const cp = ch.charCodeAt(0);
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** A value from a file or a row, shown on one line: line breaks and tabs escaped too. */
export function oneLine(s: string): string {
  return printable(s).replace(/[\n\t]/g, (ch) => (ch === '\n' ? '\\x0a' : '\\x09'));
}

/**
 * "file:line: id ID (language), field: message" for a problem of a row or letter, and
 * "file:line: message" for a problem of a whole file (its message names what is wrong).
 */
export function problemLine(p: Problem): string {
  const who = `${p.id ? `id ${oneLine(p.id)}` : 'row'}${p.language ? ` (${p.language})` : ''}`;
  if (p.sheet !== undefined) {
    // A workbook: "people.xlsx: sheet Recipients, row 14, column email: id acad-07: …".
    const field = p.field ? `, ${/^[A-Z]{1,3}\d+$/.test(p.field) ? 'cell' : 'column'} ${oneLine(p.field)}` : '';
    const where = `${p.file ?? ''}: sheet ${oneLine(p.sheet)}${p.line !== undefined ? `, row ${p.line}` : ''}${field}`;
    return p.scope === 'file' ? `${where}: ${p.message}` : `${where}: ${who}: ${p.message}${sourceNote(p)}`;
  }
  const where = `${p.file ?? ''}${p.line !== undefined ? `:${p.line}` : ''}`;
  if (p.scope === 'file') return `${where}: ${p.message}`;
  return `${where}: ${who}${p.field ? `, ${oneLine(p.field)}` : ''}: ${p.message}${sourceNote(p)}`;
}

/** Prints a message on stderr, made printable. */
export function say(io: Io, s: string): void {
  io.stderr(printable(s));
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
