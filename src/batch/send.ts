import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { LetterMergeError } from '../errors';
import type { ManifestEntry } from './generate';
import { readJsonLines } from './jsonl';

export interface SendOptions {
  /** The output folder of `generate`: its manifest.jsonl and .eml files. */
  out: string;
  /** smtp://[user@]host[:port] (STARTTLS when the server offers it) or smtps://… (TLS from the start). */
  smtp: string;
  /** The password; never part of the URL. */
  password?: string;
  /** Really send. Without it, a dry run: connect, check the server, list what would be sent. */
  confirm?: boolean;
  /** At most this many messages per second (fractions allowed). */
  rate?: number;
  /** Extra certificate authority (PEM) to trust, e.g. a company's own. */
  ca?: string;
  /** Attempts for a temporary failure (4xx, dropped connection), with growing pauses. */
  attempts?: number;
  /** The first pause between attempts, in ms; it doubles each time. */
  backoffMs?: number;
  signal?: AbortSignal;
  onProgress?: (e: SendProgress) => void;
}

export interface SendProgress {
  done: number;
  total: number;
  id: string;
  language: string;
  status: 'sent' | 'rejected' | 'failed';
}

export interface SentRecord {
  id: string;
  language: string;
  to: string;
  messageId: string;
  time: string;
  status: 'sent' | 'rejected';
  response: string;
  attempts: number;
}

export interface SendResult {
  out: string;
  server: string;
  dryRun: boolean;
  /** Letters in the manifest with an e-mail. */
  messages: number;
  /** Already delivered by an earlier run, per sent.jsonl. */
  alreadySent: number;
  /** Would be sent (dry run) or were attempted in this run. */
  pending: number;
  sent: number;
  rejected: number;
  failed: number;
  failures: { id: string; language: string; to: string; message: string }[];
  interrupted: boolean;
  sentLog: string;
  elapsedMs: number;
}

/** The server's address without any credentials, for messages. */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}`;
  } catch {
    return '(an invalid address)';
  }
}

function parseServer(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LetterMergeError('SMTP_URL', 'the --smtp address is not a URL', {
      kind: 'usage',
      hint: 'Write it as smtp://[user@]host[:port], or smtps://… for TLS from the start.',
    });
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new LetterMergeError('SMTP_URL', `the --smtp address must start with smtp:// or smtps://, not ${u.protocol}//`, { kind: 'usage' });
  }
  if (u.password) {
    throw new LetterMergeError('SMTP_PASSWORD_IN_URL', 'the --smtp address holds a password; it would be seen in the process list and the shell history', {
      kind: 'usage',
      hint: 'Leave the password out of the address and set LETTERMERGE_SMTP_PASSWORD, or let lettermerge ask for it.',
    });
  }
  return u;
}

/** 4xx replies and dropped or refused connections are worth another try; 5xx are final. */
function isTemporary(err: { responseCode?: number; code?: string }): boolean {
  if (typeof err.responseCode === 'number') return err.responseCode >= 400 && err.responseCode < 500;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(err.code ?? '');
}

function readManifest(out: string): ManifestEntry[] {
  const file = path.join(out, 'manifest.jsonl');
  if (!existsSync(file)) {
    throw new LetterMergeError('NO_MANIFEST', `${out} has no manifest.jsonl`, {
      kind: 'usage',
      hint: 'Send the output folder of "lettermerge generate".',
    });
  }
  return readJsonLines<ManifestEntry>(file).filter((e) => e.status === 'ok' && e.files && e.envelope);
}

/** What earlier runs delivered; a rejected or unconfirmed message is tried again. */
function readSentLog(file: string): Set<string> {
  const sent = readJsonLines<SentRecord>(file).filter((r) => r.status === 'sent');
  return new Set(sent.map((r) => `${r.language}/${r.id}`));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Delivers the e-mails of a generated output folder through an SMTP server: a dry run unless
 * confirmed, at most `rate` messages a second, each delivery recorded in sent.jsonl as it happens
 * so that nothing is ever sent twice and a stopped run picks up where it stopped.
 */
export async function send(options: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const url = parseServer(options.smtp);
  const out = path.resolve(options.out);
  const entries = readManifest(out);
  const sentLog = path.join(out, 'sent.jsonl');
  const done = readSentLog(sentLog);
  const todo = entries.filter((e) => !done.has(`${e.language}/${e.id}`));
  const result: SendResult = {
    out,
    server: describeServer(options.smtp),
    dryRun: !options.confirm,
    messages: entries.length,
    alreadySent: entries.length - todo.length,
    pending: todo.length,
    sent: 0,
    rejected: 0,
    failed: 0,
    failures: [],
    interrupted: false,
    sentLog,
    elapsedMs: 0,
  };

  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587,
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: options.password ?? '' } : undefined,
    tls: options.ca ? { ca: readFileSync(options.ca) } : undefined,
    pool: false,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  try {
    try {
      await transport.verify();
    } catch (err) {
      const e = err as { message?: string; responseCode?: number };
      throw new LetterMergeError('SMTP_CONNECT', `cannot use the SMTP server ${result.server}: ${e.message ?? String(err)}`, {
        kind: 'input',
        hint: e.responseCode === 535 ? 'The server refused the user name or password (LETTERMERGE_SMTP_PASSWORD).' : 'Check the address, the port and the network.',
      });
    }
    if (!options.confirm || todo.length === 0) return result;

    const log = openSync(sentLog, 'a');
    const interval = options.rate && options.rate > 0 ? 1000 / options.rate : 0;
    const attempts = Math.max(1, options.attempts ?? 4);
    let next = Date.now();
    let count = 0;
    try {
      for (const e of todo) {
        if (options.signal?.aborted) {
          result.interrupted = true;
          break;
        }
        const raw = readFileSync(path.join(out, e.files!.eml.path));
        const envelope = e.envelope!;
        let outcome: { status: SendProgress['status']; response: string; tries: number } | undefined;
        for (let tries = 1; !outcome; tries++) {
          await sleep(next - Date.now(), options.signal);
          next = Math.max(Date.now(), next) + interval;
          try {
            const info = (await transport.sendMail({ envelope: { from: envelope.from, to: [envelope.to] }, raw })) as { response?: string };
            outcome = { status: 'sent', response: String(info.response ?? ''), tries };
          } catch (err) {
            const x = err as { responseCode?: number; code?: string; response?: string; message?: string };
            const reason = String(x.response ?? x.message ?? err);
            if (!isTemporary(x)) outcome = { status: 'rejected', response: reason, tries };
            else if (tries >= attempts || options.signal?.aborted) outcome = { status: 'failed', response: reason, tries };
            else await sleep((options.backoffMs ?? 2000) * 2 ** (tries - 1), options.signal);
          }
        }
        if (outcome.status !== 'failed') {
          const record: SentRecord = {
            id: e.id,
            language: e.language,
            to: envelope.to,
            messageId: envelope.messageId,
            time: new Date().toISOString(),
            status: outcome.status,
            response: outcome.response,
            attempts: outcome.tries,
          };
          writeSync(log, `${JSON.stringify(record)}\n`);
          fsyncSync(log);
        }
        if (outcome.status === 'sent') result.sent++;
        else {
          if (outcome.status === 'rejected') result.rejected++;
          else result.failed++;
          result.failures.push({ id: e.id, language: e.language, to: envelope.to, message: outcome.response });
        }
        options.onProgress?.({ done: ++count, total: todo.length, id: e.id, language: e.language, status: outcome.status });
      }
    } finally {
      closeSync(log);
    }
    return result;
  } finally {
    transport.close();
    result.elapsedMs = Date.now() - started;
  }
}
