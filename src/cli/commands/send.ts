import type { SendProgress, SendResult } from '../../batch/send';
import { DEFAULTS } from '../../config';
import { EXIT, LetterMergeError } from '../../errors';
import { oneLine, plural, say } from '../io';
import { commandLine, positiveNumber, pathOption } from '../options';
import { Run, shown } from '../progress';
import type { Context, Register } from './context';

interface Flags {
  smtp?: string;
  confirm?: boolean;
  rate?: number;
  ca?: string;
  json?: boolean;
  allowInsecureAuth?: boolean;
  resendUncertain?: boolean;
}

export function sendStatus(r: SendResult): number {
  if (r.interrupted) return EXIT.interrupted;
  return r.rejected + r.failed + r.refused + r.uncertain + r.partlyRejected > 0 ? EXIT.partial : EXIT.ok;
}

/** How long the connection may take before the run says it is waiting. */
const SLOW_ANSWER_MS = 5000;

/** What a send run prints on stderr: notes, each message not delivered, and the summary. */
function report(ctx: Context, result: SendResult): void {
  const io = ctx.io;
  for (const n of result.notices) say(io, `note: ${n}\n`);
  for (const f of result.failures) {
    const what = f.status === 'refused' ? 'refused' : f.status === 'uncertain' ? 'uncertain' : f.status === 'partly rejected' ? 'partly delivered' : 'not delivered';
    say(io, `${oneLine(`${f.language}/${f.id}`)}${f.to ? ` <${oneLine(f.to)}>` : ''}: ${what}: ${f.message}\n`);
  }
  const problems =
    `${result.refused ? `; ${result.refused} refused` : ''}${result.uncertain ? `; ${result.uncertain} uncertain (not sent again; --resend-uncertain sends them)` : ''}`;
  if (!result.connected) {
    say(io, `Stopped before the connection to ${result.server} was made: nothing was sent.\n`);
    return;
  }
  if (result.dryRun) {
    say(
      io,
      `Dry run: connected to ${result.server}${result.user ? ` and logged in as ${result.user}` : ''}${result.secure ? ' over TLS' : ''}. ` +
        `${plural(result.pending, 'message')} would be sent${result.alreadySent ? ` (${result.alreadySent} already sent before)` : ''}${problems}. Run again with --confirm to send.\n`,
    );
  } else {
    say(
      io,
      `Sent ${plural(result.sent, 'message')} through ${result.server} in ${(result.elapsedMs / 1000).toFixed(1)} s` +
        `${result.alreadySent ? `; ${result.alreadySent} already sent before` : ''}` +
        `${result.rejected ? `; ${result.rejected} rejected` : ''}${result.partlyRejected ? `; ${result.partlyRejected} with copies refused` : ''}${result.failed ? `; ${result.failed} failed after retries` : ''}${problems}. Log: ${shown(result.sentLog)}.\n`,
    );
    if (result.interrupted) say(io, `Interrupted. To send the rest, run:\n  ${commandLine(ctx.argv)}\n`);
  }
}

const HELP = `
The password comes from the LETTERMERGE_SMTP_PASSWORD environment variable, or is asked for on a
terminal; never from the command line, and it is never printed. With a user in the address, the
connection must be encrypted (STARTTLS or smtps://) before the password is sent.

Each message goes with its Date header set to the moment it is sent; the rest is the .eml byte
for byte (the file keeps the letter's day).

Never twice: before each message goes, an "attempt" line is written to <out-dir>/sent.jsonl and
flushed to disk; the outcome follows it. A message recorded as sent is never sent again. A
message whose attempt has no outcome (the run was killed, or the connection failed while the
server was taking it) is uncertain: it is listed and not sent, unless --resend-uncertain. A line
of sent.jsonl that is not a record send wrote stops the run before anything goes.

Before a message goes, its file must be inside <out-dir> and match the manifest's sha256, and its
envelope must hold valid addresses (the sender; the recipient and any Cc and Bcc copies) that
agree with the message's To and Cc; a message that fails is refused and the batch goes on. A temporary refusal (4xx, a connection failed
before the data went) is tried again with growing pauses; a permanent one (5xx) is recorded and
the batch goes on.

Copies: each message goes once, in one transaction, to its To, Cc and Bcc addresses (Bcc is in
the manifest's envelope only, never in the .eml). When the server refuses some of them and accepts
the others, the message is delivered to those it accepted and not sent again; sent.jsonl lists
each address with its outcome, and the refusal is reported.

Exit status 4 if any message was not delivered, was refused (by all or some of its recipients) or
is uncertain.

Example:
  LETTERMERGE_SMTP_PASSWORD=… lettermerge send out --smtp smtp://letters@mail.example.org:587 --rate 2 --confirm`;

export const registerSend: Register = (program, ctx) => {
  program
    .command('send')
    .description('deliver the e-mails of a generated output folder through an SMTP server')
    .argument('[out-dir]', `the output folder of "lettermerge generate" (default: out of the config file, else "${DEFAULTS.out}")`, pathOption('[out-dir]'))
    .option('--smtp <url>', 'smtp://[user@]host[:port] (STARTTLS) or smtps://[user@]host[:port] (TLS from the start); or smtp in the config file')
    .option('--confirm', 'really send (without it: a dry run that connects, logs in, checks every message, and sends nothing)')
    .option('--rate <n>', 'at most N messages per second (fractions allowed, e.g. 0.5)', positiveNumber('--rate'))
    .option('--ca <file>', 'also trust this certificate authority (PEM) for the server', pathOption('--ca'))
    .option('--resend-uncertain', 'also send the messages an earlier run may or may not have delivered (see below)')
    .option('--allow-insecure-auth', 'DANGER: log in even when the connection is not encrypted, sending the password in clear')
    .option('--json', 'print one JSON summary object on stdout')
    .addHelpText('after', HELP)
    .action(async (outArg: string | undefined, opts: Flags) => {
      const io = ctx.io;
      const config = ctx.config();
      const { describeServer, parseServer, send } = await import('../../batch/send');
      const outDir = outArg ?? config?.out ?? DEFAULTS.out;
      const smtp = opts.smtp ?? config?.smtp;
      if (!smtp) throw new LetterMergeError('USAGE', 'no SMTP server: give --smtp smtp://[user@]host[:port], or smtp in the config file', { kind: 'usage' });
      // The address first: one with a password in it is refused before any password is asked for.
      const hasUser = parseServer(smtp).username !== '';
      let password = process.env.LETTERMERGE_SMTP_PASSWORD;
      if (hasUser && password === undefined) {
        if (!io.askSecret) {
          throw new LetterMergeError('SMTP_PASSWORD', 'the SMTP server needs a password: set LETTERMERGE_SMTP_PASSWORD', { kind: 'usage' });
        }
        password = await io.askSecret(`Password for ${describeServer(smtp)}: `);
      }
      if (opts.allowInsecureAuth) say(io, 'WARNING: --allow-insecure-auth: if the server offers no encryption, the password is sent in clear over the network.\n');
      const run = new Run(io, {
        unit: 'e-mails',
        stopping: 'Stopping once the message going to the server, if any, is done',
        onQuit: () => `Run the same command again to send the rest; a message that was being sent is listed as uncertain.`,
      });
      let result: SendResult;
      // A server that accepts the connection and then says nothing is waited for (30 s): say so.
      const waiting = setTimeout(() => say(io, `Waiting for ${describeServer(smtp)} to answer (at most 30 s; Ctrl-C stops)…\n`), SLOW_ANSWER_MS);
      try {
        result = await send({
          out: outDir,
          smtp,
          password,
          confirm: opts.confirm,
          rate: opts.rate ?? config?.rate,
          ca: opts.ca ?? config?.ca,
          allowInsecureAuth: opts.allowInsecureAuth,
          resendUncertain: opts.resendUncertain,
          signal: run.signal,
          onProgress: run.onProgress<SendProgress>(),
          onConnected: () => clearTimeout(waiting),
        });
      } finally {
        clearTimeout(waiting);
        run.end();
      }
      report(ctx, result);
      if (opts.json) io.stdout(JSON.stringify(result) + '\n');
      ctx.status = sendStatus(result);
    });
};
