import { closeSync, constants, existsSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, readFileSync, realpathSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { addressProblem, mailboxesIn } from '../data/address';
import { LetterMergeError } from '../errors';
import { readJsonLinesOf } from './jsonl';
import { MANIFEST, letterId, readManifest, unreadableNote } from './manifest';
import type { ManifestEntry } from './manifest';
import { FolderLock, sha256, writeFailure } from './output';
import { STOPPED, SmtpSession, readCa } from './smtp';
import type { SmtpError, Timeouts } from './smtp';

export interface SendOptions {
  /** The output folder of `generate`: its manifest.jsonl and .eml files. */
  out: string;
  /** smtp://[user@]host[:port] (STARTTLS) or smtps://… (TLS from the start). */
  smtp: string;
  /** The password; never part of the URL. */
  password?: string;
  /** Really send. Without it, a dry run: connect, TLS, log in, check every message; send nothing. */
  confirm?: boolean;
  /** At most this many messages per second (fractions allowed). */
  rate?: number;
  /** Extra certificate authority (PEM file) to trust, e.g. a company's own. */
  ca?: string;
  /** Log in over a connection that is not encrypted (the password then crosses the network in clear). */
  allowInsecureAuth?: boolean;
  /** Send again the messages whose delivery is uncertain (a run stopped while the server was taking them). */
  resendUncertain?: boolean;
  /** Attempts for a temporary failure (4xx, dropped connection before the data), with growing pauses. */
  attempts?: number;
  /** The first pause between attempts, in ms; it doubles each time. */
  backoffMs?: number;
  /** How long to wait for the server, in ms: to connect (30 s), for its greeting (30 s), for any later reply (60 s). */
  timeouts?: Timeouts;
  signal?: AbortSignal;
  onProgress?: (e: SendProgress) => void;
  /** Called once the connection is open (and the login done, with a user): before the first message. */
  onConnected?: () => void;
}

export interface SendProgress {
  done: number;
  total: number;
  id: string;
  language: string;
  status: 'sent' | 'rejected' | 'failed' | 'refused' | 'uncertain';
}

/**
 * One line of sent.jsonl. Before each attempt an `attempt` line is written and flushed to disk;
 * after it, the outcome:
 * - `sent`: the server took the message;
 * - `rejected`: the server refused it for good (5xx);
 * - `deferred`: the server refused it for now (4xx), or the connection failed before the data went;
 * - `uncertain`: the connection failed while or after the data went: the server may have it.
 * An `attempt` with no outcome after it (a run killed midway) is uncertain too.
 */
export interface SentRecord {
  id: string;
  language: string;
  to: string;
  messageId: string;
  time: string;
  status: 'attempt' | 'sent' | 'rejected' | 'deferred' | 'uncertain';
  response?: string;
  attempt?: number;
  /**
   * On `sent`, for a message with copies: each envelope recipient (To, Cc, Bcc) and whether the
   * server accepted it. The message counts as delivered to those it accepted.
   */
  recipients?: { address: string; accepted: boolean; response?: string }[];
}

export interface SendFailure {
  id: string;
  language: string;
  to: string;
  message: string;
  status: 'rejected' | 'failed' | 'refused' | 'uncertain' | 'partly rejected';
}

export interface SendResult {
  out: string;
  server: string;
  /** The user logged in as, if any. */
  user?: string;
  /** Whether the connection was encrypted (TLS from the start, or STARTTLS). */
  secure: boolean;
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
  /** Not sent because the output folder does not vouch for them (a file outside it, changed, or missing; a bad address; a stale letter). */
  refused: number;
  /** Earlier attempts whose outcome is unknown: not sent again without resendUncertain. */
  uncertain: number;
  /** Delivered, but the server refused some of its copies (Cc, Bcc): listed in failures. */
  partlyRejected: number;
  failures: SendFailure[];
  /** Things the user should know that are not failures. */
  notices: string[];
  /** Whether the connection was opened (and the login done, with a user); false when the run was stopped before. */
  connected: boolean;
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

/** The --smtp address, checked: smtp:// or smtps://, a host, and no password in it. */
export function parseServer(url: string): URL {
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
  if (!u.hostname) throw new LetterMergeError('SMTP_URL', 'the --smtp address names no host', { kind: 'usage' });
  return u;
}

/** Checks that `out` is an output folder of generate, with its manifest. */
function checkSendFolder(out: string): void {
  const hint = 'Send the output folder of "lettermerge generate" (its --out).';
  let st;
  try {
    st = statSync(out);
  } catch {
    throw new LetterMergeError('NO_OUT', `${out} does not exist`, { kind: 'usage', hint });
  }
  // The manifest, a letter's file or a language's folder given for the output folder they are in: that folder is named.
  const parent = path.dirname(path.resolve(out));
  const inOutput = (dir: string) => existsSync(path.join(dir, MANIFEST));
  if (!st.isDirectory()) {
    if (path.basename(out) === MANIFEST) throw new LetterMergeError('NO_OUT', `${out} is the manifest, not the output folder that holds it`, { kind: 'usage', hint: `Send ${parent}.` });
    const where = inOutput(path.dirname(parent)) ? path.dirname(parent) : undefined;
    throw new LetterMergeError('NO_OUT', `${out} is a file, not a folder`, { kind: 'usage', hint: where ? `It is a file of the output folder ${where}: send that folder.` : hint });
  }
  if (!inOutput(out)) {
    if (inOutput(parent)) throw new LetterMergeError('NO_MANIFEST', `${out} is a folder inside the output folder ${parent}, and has no manifest.jsonl of its own`, { kind: 'usage', hint: `Send ${parent}.` });
    throw new LetterMergeError('NO_MANIFEST', `${out} has no manifest.jsonl`, { kind: 'usage', hint });
  }
}

type LetterState = 'sent' | 'uncertain' | 'other';

const SENT_STATUSES = new Set(['attempt', 'sent', 'rejected', 'deferred', 'uncertain']);

/**
 * What earlier runs did with each letter: the last record of each decides. A line that is not a
 * record of sent.jsonl (damaged, or edited by hand) may have recorded a delivery: rather than
 * send that message again, send stops and names the line. Only a last line cut short (a hard
 * stop while it was written) is skipped: its attempt had not begun.
 */
function readSentLog(file: string): Map<string, LetterState> {
  const state = new Map<string, LetterState>();
  // A link is not followed: what it points to is no record of this folder (and is never written; see SentLog).
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) throw sentLogNotAFile(file);
  const { records, unreadable } = readJsonLinesOf<SentRecord>(file);
  const bad = [
    ...unreadable,
    ...records
      .filter(({ record: r }) => !r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.language !== 'string' || !SENT_STATUSES.has(r.status))
      .map(({ record, line }) => ({ line, text: JSON.stringify(record) })),
  ].sort((a, b) => a.line - b.line);
  if (bad.length) {
    const first = bad[0];
    const shown = /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(first.text) ? 'it is not text' : JSON.stringify(first.text.length > 60 ? `${first.text.slice(0, 60)}…` : first.text);
    throw new LetterMergeError(
      'OUT_FOLDER',
      `line ${first.line} of sent.jsonl is not a record send wrote (${shown})${bad.length > 1 ? `, nor ${bad.length === 2 ? 'is 1 other line' : `are ${bad.length - 1} other lines`} (${bad.slice(1, 4).map((b) => b.line).join(', ')}${bad.length > 4 ? ', …' : ''})` : ''}. It may have recorded a delivery, so send will not guess which messages went`,
      {
        kind: 'input',
        location: { file, line: first.line },
        hint: 'Put back the sent.jsonl an earlier run wrote (from a backup), or mend the line; delete it only if you know what it recorded was not sent.',
      },
    );
  }
  for (const { record: r } of records) {
    const k = letterId(r);
    if (state.get(k) === 'sent') continue; // delivered stays delivered
    state.set(k, r.status === 'sent' ? 'sent' : r.status === 'attempt' || r.status === 'uncertain' ? 'uncertain' : 'other');
  }
  return state;
}

/**
 * Checks a message against the folder before it goes out: its file must be inside the folder and
 * hold exactly the bytes the manifest recorded, and its envelope must be one valid address each
 * side. Returns the bytes, or the reason to refuse it.
 */
function vouchFor(realOut: string, e: ManifestEntry): { raw: Buffer } | { refused: string } {
  if (e.status === 'stale') return { refused: 'the letter was made from an earlier version of its input; make it again with "lettermerge generate" first' };
  const envelope = e.envelope;
  if (!envelope || typeof envelope.from !== 'string' || typeof envelope.to !== 'string' || typeof envelope.messageId !== 'string') {
    return { refused: 'the manifest records no envelope for it' };
  }
  const copies = [envelope.cc, envelope.bcc];
  if (copies.some((c) => c !== undefined && !(Array.isArray(c) && c.every((a) => typeof a === 'string')))) return { refused: "the manifest's copies (cc, bcc) are not lists of addresses" };
  const sides: [string, string][] = [['sender', envelope.from], ['recipient', envelope.to], ...copies.flatMap((c) => (c ?? []).map((a): [string, string] => ['copy', a]))];
  for (const [side, value] of sides) {
    const problem = addressProblem(value);
    if (problem || /[^\x21-\x7e]/.test(value)) return { refused: `the manifest's ${side} is not one valid address (${problem ?? 'it holds characters outside ASCII'})` };
  }
  const f = e.files?.eml;
  if (!f || typeof f.path !== 'string' || typeof f.sha256 !== 'string') return { refused: 'the manifest records no e-mail file for it' };
  let real: string;
  try {
    real = realpathSync(path.resolve(realOut, f.path));
  } catch {
    return { refused: `its file ${f.path} is missing` };
  }
  if (!real.startsWith(realOut + path.sep)) return { refused: `its file ${f.path} is outside the output folder` };
  let raw: Buffer;
  try {
    if (!statSync(real).isFile()) return { refused: `${f.path} is not a file` };
    raw = readFileSync(real);
  } catch (err) {
    return { refused: `its file ${f.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  if (raw.length !== f.bytes || sha256(raw) !== f.sha256) return { refused: `its file ${f.path} has changed since generate made it (it no longer matches the manifest's sha256)` };
  const differs = envelopeMismatch(raw, envelope.to, envelope.cc ?? [], envelope.messageId);
  if (differs) return { refused: `the manifest's envelope and the message disagree (${differs}): one of them was edited; make the letter again with "lettermerge generate"` };
  return { raw };
}

/**
 * Where the manifest's envelope (the addresses the server is given) and the message's own headers
 * part: a recipient not in To, a copy not in Cc, another Message-ID. generate writes them
 * together, so a difference is an edit, of the manifest (an address "mended" there would get a
 * message that names someone else) or of the message and its recorded sha256 with it.
 */
function envelopeMismatch(raw: Buffer, to: string, cc: string[], messageId: string): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  const header = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1] ?? '';
  const addresses = (name: string) => new Set(mailboxesIn(header(name)).map((a) => a.toLowerCase()));
  if (!addresses('To').has(to.toLowerCase())) return `the recipient ${to} is not the message's To`;
  const copies = addresses('Cc');
  const missing = cc.find((c) => !copies.has(c.toLowerCase()));
  if (missing) return `the copy ${missing} is not in the message's Cc`;
  if (header('Message-ID').trim() !== messageId) return `the Message-ID ${messageId} is not the message's`;
  return undefined;
}

/**
 * The message as it goes: the .eml with its Date header set to `now`, the rest byte for byte.
 * generate dates a message on its letter's day, at midnight UTC, so that a run gives the same
 * bytes every time; but a message's Date is when it enters the mail system (RFC 5322, 3.6.1).
 * Sent as written, a batch sent days after its letters' date was listed that many days back in
 * mail readers that sort by it, shown on the day before in every time zone west of UTC, and
 * scored by spam filters that compare the Date with the message's arrival.
 */
export function withSendingDate(raw: Buffer, now: Date): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const line = `Date: ${now.toUTCString().replace(/GMT$/, '+0000')}`;
  // The header line and any lines folded under it.
  const date = /^Date:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*/im.exec(head);
  if (!date) return Buffer.concat([Buffer.from(`${line}\r\n`, 'latin1'), raw]);
  return Buffer.concat([raw.subarray(0, date.index), Buffer.from(line, 'latin1'), raw.subarray(date.index + date[0].length)]);
}

/**
 * A pause, cut short when `signal` aborts. Its listener goes when the pause ends either way: one
 * left per message (a pause for the rate before each) made Node warn of a leak after ten, and
 * held a closure per message sent.
 */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/** A reply that says the server wants a login (or refused ours): no message can go, so the batch stops. */
function isAuthFailure(e: SmtpError): boolean {
  return e.responseCode === 530 || e.responseCode === 535 || e.responseCode === 538 || e.command === 'AUTH' || /^AUTH/.test(e.command ?? '');
}

function serverError(result: SendResult, e: SmtpError, session: SmtpSession): LetterMergeError {
  const user = session.user;
  const reason = e.response ?? e.message;
  if (isAuthFailure(e)) {
    return new LetterMergeError('SMTP_AUTH', `the SMTP server ${result.server} did not accept the login: ${reason}`, {
      kind: 'input',
      hint: user ? 'The server refused the user name or password (LETTERMERGE_SMTP_PASSWORD).' : 'The server wants a login: give a user in the address, smtp://user@host, and the password in LETTERMERGE_SMTP_PASSWORD.',
    });
  }
  if (e.command === 'STARTTLS' || /STARTTLS/.test(e.message)) {
    return new LetterMergeError('SMTP_TLS', `the SMTP server ${result.server} offers no STARTTLS (${reason}), so the password would cross the network in clear`, {
      kind: 'input',
      hint: 'Use smtps:// if the server takes TLS from the start, or a server that offers STARTTLS. Only if you accept sending the password in clear: --allow-insecure-auth.',
    });
  }
  const { message, hint } = connectProblem(e, session);
  return new LetterMergeError('SMTP_CONNECT', `cannot use the SMTP server ${result.server}: ${message}`, { kind: 'input', hint });
}

/** A TLS certificate the connection did not trust, as Node's TLS reports it. */
const UNTRUSTED = /certificate|unable to (get|verify)|CERT_|Hostname\/IP does not match/i;

/**
 * Why a connection to the server failed, said in terms of what to change: the usual mistakes are
 * the wrong scheme for the port (smtp:// to a port that expects TLS from the start waits for a
 * greeting that never comes; smtps:// to a plain port gets an answer OpenSSL cannot read), a port
 * nothing listens on, a misspelt host, and a certificate of an authority Node does not know.
 */
function connectProblem(e: SmtpError, session: SmtpSession): { message: string; hint: string } {
  const { url, greetingMs } = session;
  const where = `${url.hostname}:${session.port}`;
  const ports = 'SMTP submission is usually port 587 with smtp:// (encrypted by STARTTLS) or 465 with smtps:// (TLS from the start); your mail provider says which.';
  if (e.code === 'ETIMEDOUT' && /greeting/i.test(e.message)) {
    return {
      message: `it accepted the connection but sent no SMTP greeting in ${Math.round(greetingMs / 1000)} s`,
      hint: url.protocol === 'smtp:' ? `A port that expects TLS from the start (465, usually) needs smtps://. Otherwise this may not be an SMTP port. ${ports}` : `This may not be an SMTP port. ${ports}`,
    };
  }
  if (e.code === 'ETIMEDOUT') return { message: `no answer (${e.message})`, hint: `A firewall may be dropping the connection, or the address is wrong. ${ports}` };
  if (/ECONNREFUSED/.test(e.message)) return { message: `nothing accepts connections at ${where} (connection refused)`, hint: `Check the port and that the server is running. ${ports}` };
  if (e.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(e.message)) {
    return { message: `the host name ${url.hostname} cannot be found (${/EAI_AGAIN/.test(e.message) ? 'the name server did not answer' : 'no such name'})`, hint: 'Check the spelling of the host name, and the network.' };
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(e.message)) {
    return {
      message: `it does not speak TLS from the start (it answered in plain text)`,
      hint: `Use smtp://${url.username ? `${url.username}@` : ''}${url.host}: the connection is then encrypted with STARTTLS before anything is sent. ${ports}`,
    };
  }
  if (UNTRUSTED.test(e.message)) {
    return {
      message: `its TLS certificate is not trusted (${e.message.trim()})`,
      hint: "If the server's certificate comes from your organisation's own certificate authority, give that authority's PEM file with --ca. If it was issued for another name, use the host name it was issued for.",
    };
  }
  return { message: e.response ?? e.message.trim(), hint: 'Check the address, the port and the network.' };
}

/** What to do when sent.jsonl cannot be written (a full disk, a read-only folder). */
const SENT_LOG_HINT =
  'Make room or mend the folder, then run send again: a message whose attempt is recorded without its outcome counts as uncertain, and is not sent again without --resend-uncertain.';

function sentLogNotAFile(file: string): LetterMergeError {
  return new LetterMergeError('OUT_FOLDER', `${file} is not a regular file (a symbolic link or a pipe was put in its place): lettermerge records what it sends only in a file of the folder itself`, {
    kind: 'input',
    hint: 'Remove it (a sent.jsonl of an earlier run holds what was delivered: move the file back, not a link to it), then run send again.',
  });
}

class SentLog {
  private readonly fd: number;
  constructor(readonly file: string) {
    // Appended to only as a file of the folder itself: a symbolic link left in its place (the
    // folder is shared, or was edited) would have the log written into whatever it points to, and
    // a named pipe would hold the run waiting for a reader.
    const notAFile = () => sentLogNotAFile(file);
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o666);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENXIO') throw notAFile();
      throw writeFailure(err, file, SENT_LOG_HINT);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw notAFile();
    }
    this.fd = fd;
    // A run stopped hard while it wrote a line left it cut short, without its line break (see
    // readSentLog): the fragment is taken off, so that the next record is not joined to it where
    // it could not be read. (Its attempt had not begun: the line is on the disk before a message
    // goes.) A whole record that lacks only its line break gets it.
    if (stat.size > 0) {
      const text = readFileSync(fd);
      const end = text.lastIndexOf(0x0a) + 1;
      if (end < text.length) {
        let whole = false;
        try {
          JSON.parse(text.subarray(end).toString('utf8'));
          whole = true;
        } catch {
          // cut short
        }
        if (whole) this.writeRaw('\n');
        else ftruncateSync(fd, end);
      }
    }
  }
  /** Appends a record and flushes it to disk before returning. */
  write(r: SentRecord): void {
    this.writeRaw(`${JSON.stringify(r)}\n`);
  }
  private writeRaw(text: string): void {
    try {
      writeSync(this.fd, text);
      fsyncSync(this.fd);
    } catch (err) {
      throw writeFailure(err, this.file, SENT_LOG_HINT);
    }
  }
  close(): void {
    closeSync(this.fd);
  }
}

function recordFailure(result: SendResult, e: ManifestEntry, status: SendFailure['status'], message: string): void {
  result.failures.push({ id: e.id, language: e.language, to: e.envelope?.to ?? '', message, status });
  if (status === 'refused') result.refused++;
  else if (status === 'uncertain') result.uncertain++;
  else if (status === 'partly rejected') result.partlyRejected++;
  else if (status === 'rejected') result.rejected++;
  else result.failed++;
}

/** What goes: not delivered before, not uncertain (unless asked), and vouched for by the folder. */
function selectMessages(entries: ManifestEntry[], state: Map<string, LetterState>, realOut: string, options: SendOptions, result: SendResult): { e: ManifestEntry; raw: Buffer }[] {
  const todo: { e: ManifestEntry; raw: Buffer }[] = [];
  for (const e of entries) {
    const s = state.get(letterId(e));
    if (s === 'sent') {
      result.alreadySent++;
      continue;
    }
    if (s === 'uncertain' && !options.resendUncertain) {
      recordFailure(result, e, 'uncertain', 'an earlier run stopped while the server was taking this message: it may have been delivered. Check, then send it with --resend-uncertain if it was not');
      continue;
    }
    const v = vouchFor(realOut, e);
    if ('refused' in v) recordFailure(result, e, 'refused', v.refused);
    else todo.push({ e, raw: v.raw });
  }
  return todo;
}

/**
 * Delivers the e-mails of a generated output folder through an SMTP server: a dry run unless
 * confirmed, at most `rate` messages a second, every attempt written to sent.jsonl (and flushed)
 * before the message goes, so that nothing is ever sent twice: a message whose attempt has no
 * outcome is uncertain and is not sent again unless asked.
 */
export async function send(options: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const url = parseServer(options.smtp);
  const ca = options.ca ? readCa(options.ca) : undefined;
  const out = path.resolve(options.out);
  checkSendFolder(out);
  // One run at a time in the folder: two sends would both send every message. A dry run of a
  // folder that cannot be written to (a read-only copy) needs no lock: it writes nothing.
  const lock = FolderLock.take(out, 'send', !options.confirm);
  try {
    return await sendFrom(out, url, ca, options, started);
  } finally {
    lock?.release();
  }
}

async function sendFrom(out: string, url: URL, ca: Buffer | undefined, options: SendOptions, started: number): Promise<SendResult> {
  const unreadable: number[] = [];
  const entries = [...readManifest(path.join(out, MANIFEST), unreadable).values()].filter((e) => e.status === 'ok' || e.status === 'stale');
  const realOut = realpathSync(out);
  const sentLog = path.join(out, 'sent.jsonl');
  const state = readSentLog(sentLog);
  const result: SendResult = {
    out,
    server: describeServer(options.smtp),
    secure: false,
    dryRun: !options.confirm,
    messages: entries.length,
    alreadySent: 0,
    pending: 0,
    sent: 0,
    rejected: 0,
    failed: 0,
    refused: 0,
    uncertain: 0,
    partlyRejected: 0,
    failures: [],
    notices: [],
    connected: false,
    interrupted: false,
    sentLog,
    elapsedMs: 0,
  };
  const skippedLines = unreadableNote(unreadable, 'a letter recorded there is not sent (generate --resume into the folder records it again)');
  if (skippedLines) result.notices.push(skippedLines);
  const todo = selectMessages(entries, state, realOut, options, result);
  result.pending = todo.length;

  const session = new SmtpSession({ url, password: options.password, ca, allowInsecureAuth: options.allowInsecureAuth, timeouts: options.timeouts, signal: options.signal });
  try {
    try {
      await session.open();
    } catch (err) {
      if ((err as SmtpError).code !== STOPPED) throw serverError(result, err as SmtpError, session);
      // Stopped while connecting: nothing was sent, and nothing is recorded.
      result.interrupted = true;
      return result;
    }
    result.connected = true;
    options.onConnected?.();
    result.secure = session.secure;
    result.user = session.user;
    if (!session.secure && session.user !== undefined) result.notices.push('the connection is not encrypted: the password was sent in clear (--allow-insecure-auth)');
    if (session.offersAuth && session.user === undefined) {
      result.notices.push('the server offers a login (AUTH) and none was given; if it needs one, write the user in the address: smtp://user@host');
    }
    if (!options.confirm || todo.length === 0) return result;
    await deliver(options, session, todo, result);
    return result;
  } finally {
    session.close();
    result.elapsedMs = Date.now() - started;
  }
}

async function deliver(options: SendOptions, session: SmtpSession, todo: { e: ManifestEntry; raw: Buffer }[], result: SendResult): Promise<void> {
  const log = new SentLog(result.sentLog);
  const interval = options.rate && options.rate > 0 ? 1000 / options.rate : 0;
  const attempts = Math.max(1, options.attempts ?? 4);
  // On the monotonic clock: the wall clock can be set back or forward while a batch goes.
  let next = performance.now();
  let count = 0;
  try {
    sending: for (const { e, raw } of todo) {
      if (options.signal?.aborted) {
        result.interrupted = true;
        break;
      }
      const envelope = e.envelope!;
      const recipients = [envelope.to, ...(envelope.cc ?? []), ...(envelope.bcc ?? [])];
      const record = (status: SentRecord['status'], attempt: number, response?: string, outcomes?: SentRecord['recipients']) =>
        log.write({
          id: e.id,
          language: e.language,
          to: envelope.to,
          messageId: envelope.messageId,
          time: new Date().toISOString(),
          status,
          attempt,
          ...(response !== undefined ? { response } : {}),
          ...(outcomes ? { recipients: outcomes } : {}),
        });
      let outcome: SendProgress['status'] | undefined;
      for (let attempt = 1; !outcome; attempt++) {
        // A timer can end a few milliseconds early (Node counts its delay from when its loop last
        // read the clock, and writing sent.jsonl to the disk comes between): the pause lasts until
        // the time is reached.
        for (let wait = next - performance.now(); wait > 0 && !options.signal?.aborted; wait = next - performance.now()) await sleep(wait, options.signal);
        next = Math.max(performance.now(), next) + interval;
        record('attempt', attempt);
        let info: Awaited<ReturnType<SmtpSession['send']>> | undefined;
        try {
          // One transaction for the recipient and every copy: each gets the same message once.
          info = await session.send({ from: envelope.from, to: recipients }, withSendingDate(raw, new Date()));
        } catch (err) {
          const x = err as SmtpError;
          const reason = x.response ?? x.message;
          if (x.code === STOPPED) {
            // Stopped while connecting again, before the message went: it goes with the next run.
            record('deferred', attempt, reason);
            result.interrupted = true;
            break sending;
          }
          if (x.dataStarted && x.responseCode === undefined) {
            // The data went (or was going) and no answer came: the server may have the message.
            record('uncertain', attempt, reason);
            outcome = 'uncertain';
            recordFailure(result, e, 'uncertain', `the connection failed while the server was taking the message (${reason}): it may have been delivered; not sent again`);
          } else if (isAuthFailure(x)) {
            record('deferred', attempt, reason);
            throw serverError(result, x, session);
          } else if (x.responseCode !== undefined && x.responseCode >= 500) {
            record('rejected', attempt, reason);
            outcome = 'rejected';
            recordFailure(result, e, 'rejected', reason);
          } else {
            record('deferred', attempt, reason);
            if (attempt >= attempts || options.signal?.aborted) {
              outcome = 'failed';
              recordFailure(result, e, 'failed', reason);
            } else {
              await sleep((options.backoffMs ?? 2000) * 2 ** (attempt - 1), options.signal);
            }
          }
        }
        // Recorded outside the try: a record that cannot be written is not a failure of the server
        // (taken for one, the message could be sent twice).
        if (info) {
          const refused = new Map(info.rejected.map((r) => [r.address.toLowerCase(), r.response]));
          const outcomes = recipients.length > 1 ? recipients.map((a) => (refused.has(a.toLowerCase()) ? { address: a, accepted: false, response: refused.get(a.toLowerCase()) } : { address: a, accepted: true })) : undefined;
          record('sent', attempt, info.response, outcomes);
          result.sent++;
          outcome = 'sent';
          if (refused.size) {
            const list = [...refused].map(([a, r]) => `${a} (${r})`).join(', ');
            recordFailure(result, e, 'partly rejected', `delivered to ${recipients.length - refused.size} of ${recipients.length} recipients; the server refused ${list}`);
          }
        }
      }
      options.onProgress?.({ done: ++count, total: todo.length, id: e.id, language: e.language, status: outcome });
    }
  } finally {
    log.close();
  }
}
