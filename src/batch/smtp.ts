import { X509Certificate } from 'node:crypto';
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { LetterMergeError } from '../errors';
import { readRegularFile } from '../files';

/**
 * One SMTP session for a whole batch, through nodemailer's SMTPConnection: connect, STARTTLS (or
 * TLS from the start), log in, then send messages one after another on the same connection,
 * reconnecting when the server drops it. It knows, for every failure, whether the message's data
 * had started to go to the server: that is what makes "never twice" exact.
 */

export interface ServerOptions {
  url: URL;
  password?: string;
  /** PEM certificate(s) of an extra certificate authority to trust. */
  ca?: Buffer;
  /** Allow logging in over a connection that is not encrypted. */
  allowInsecureAuth?: boolean;
  timeouts?: Timeouts;
  /** Stops a connection being opened (Ctrl-C): open() then rejects with the code STOPPED. */
  signal?: AbortSignal;
}

/** The code of the error a connection being opened rejects with when it is stopped (see ServerOptions.signal). */
export const STOPPED = 'ESTOPPED';

const stopped = (message: string) => Object.assign(new Error(message), { code: STOPPED });

/** How long to wait, in ms: for the connection, then for the server's greeting, then for any reply. */
export interface Timeouts {
  connection?: number;
  greeting?: number;
  socket?: number;
}

export const DEFAULT_TIMEOUTS: Required<Timeouts> = { connection: 30_000, greeting: 30_000, socket: 60_000 };

export interface SmtpError {
  message: string;
  /** The server's reply code, when the server answered. */
  responseCode?: number;
  response?: string;
  code?: string;
  command?: string;
  /** Whether the message's data had started to go to the server when this happened. */
  dataStarted: boolean;
}

export interface Delivery {
  response: string;
  accepted: string[];
  rejected: { address: string; response: string }[];
}

/** Reads an extra certificate authority, refusing anything that is not a PEM certificate. */
export function readCa(file: string): Buffer {
  const pem = readRegularFile(file, { what: 'the --ca file', kind: 'usage', maxBytes: 1024 * 1024 });
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new LetterMergeError('CA_FILE', 'the --ca file holds no certificate (no "-----BEGIN CERTIFICATE-----" block)', {
      kind: 'usage',
      location: { file },
      hint: 'Give the PEM file of the certificate authority that signed the server\'s certificate.',
    });
  }
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new LetterMergeError('CA_FILE', `the --ca file holds a certificate that cannot be read (${(err as Error).message})`, { kind: 'usage', location: { file } });
    }
  }
  return pem;
}

function toError(err: unknown, dataStarted: boolean): SmtpError {
  const e = err as { message?: string; responseCode?: number; response?: string; code?: string; command?: string };
  return { message: e.message ?? String(err), responseCode: e.responseCode, response: e.response, code: e.code, command: e.command, dataStarted };
}

export class SmtpSession {
  private connection: SMTPConnection | undefined;
  /** Whether the server offered AUTH (after STARTTLS, when there was one). */
  offersAuth = false;
  secure = false;

  constructor(private readonly options: ServerOptions) {}

  get url(): URL {
    return this.options.url;
  }

  /** The port connected to: the address's, or the usual one for its scheme. */
  get port(): number {
    const { url } = this.options;
    return url.port ? Number(url.port) : url.protocol === 'smtps:' ? 465 : 587;
  }

  /** How long the session waits for the server's greeting, in ms. */
  get greetingMs(): number {
    return this.options.timeouts?.greeting ?? DEFAULT_TIMEOUTS.greeting;
  }

  get user(): string | undefined {
    return this.options.url.username ? decodeURIComponent(this.options.url.username) : undefined;
  }

  /** Connects, upgrades to TLS, and logs in when a user is given; throws an SmtpError. */
  async open(): Promise<void> {
    if (this.connection) return;
    const { url, signal } = this.options;
    if (signal?.aborted) throw toError(stopped('stopped before connecting'), false);
    const user = this.user;
    const t = this.options.timeouts ?? {};
    const connection = new SMTPConnection({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: this.port,
      secure: url.protocol === 'smtps:',
      // With a password to send, TLS is required unless the user allowed otherwise in so many words.
      requireTLS: url.protocol === 'smtp:' && user !== undefined && !this.options.allowInsecureAuth,
      tls: this.options.ca ? { ca: this.options.ca } : undefined,
      connectionTimeout: t.connection ?? DEFAULT_TIMEOUTS.connection,
      greetingTimeout: t.greeting ?? DEFAULT_TIMEOUTS.greeting,
      socketTimeout: t.socket ?? DEFAULT_TIMEOUTS.socket,
      logger: false,
    });
    // An error between messages (the server drops an idle connection) only ends this connection.
    connection.on('error', () => undefined);
    /** A step of the opening: its callback, or an error or the end of the connection, settles it. */
    const step = (start: (done: (err?: Error | null) => void) => void) =>
      new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => finish(err);
        const onEnd = () => finish(new Error('the server closed the connection'));
        // Stopped while waiting for the server (for its greeting, up to 30 s): at once.
        const onAbort = () => finish(stopped('stopped before the server answered'));
        const finish = (err?: Error | null) => {
          connection.off('error', onError);
          connection.off('end', onEnd);
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        };
        connection.once('error', onError);
        connection.once('end', onEnd);
        signal?.addEventListener('abort', onAbort, { once: true });
        start(finish);
      });
    try {
      await step((done) => connection.connect(done));
      this.secure = Boolean((connection as unknown as { secure?: boolean }).secure);
      this.offersAuth = Boolean((connection as unknown as { allowsAuth?: boolean }).allowsAuth);
      if (user !== undefined) {
        // Log in whenever a user is given, also when the server did not offer AUTH: a server that
        // cannot log us in says so now, not at the first message.
        await step((done) => connection.login({ user, pass: this.options.password ?? '' }, done));
      }
    } catch (err) {
      connection.close();
      throw toError(err, false);
    }
    connection.once('end', () => {
      if (this.connection === connection) this.connection = undefined;
    });
    this.connection = connection;
  }

  /**
   * Sends one message. Resolves with the server's answer, or rejects with an SmtpError that says
   * whether the data had started to go (after that, a dropped connection leaves it unknown
   * whether the server took the message).
   */
  async send(envelope: { from: string; to: string[] }, raw: Buffer): Promise<Delivery> {
    try {
      await this.open();
    } catch (err) {
      throw err as SmtpError;
    }
    const connection = this.connection as SMTPConnection;
    let dataStarted = false;
    // The connection reads the message only after the server has said 354 to DATA.
    const message = new Readable({
      read() {
        dataStarted = true;
        this.push(raw);
        this.push(null);
      },
    });
    try {
      const info = await new Promise<{ response?: string; accepted?: string[]; rejected?: string[]; rejectedErrors?: { recipient?: string; response?: string }[] }>(
        (resolve, reject) => connection.send(envelope, message, (err, result) => (err ? reject(err) : resolve(result as never))),
      );
      const rejected = (info.rejectedErrors ?? []).map((e) => ({ address: String(e.recipient ?? ''), response: String(e.response ?? '') }));
      return { response: String(info.response ?? ''), accepted: (info.accepted ?? []).map(String), rejected };
    } catch (err) {
      const e = toError(err, dataStarted);
      // After a failure the connection's state is not to be trusted: start a fresh one next time.
      this.close();
      throw e;
    }
  }

  close(): void {
    const c = this.connection;
    this.connection = undefined;
    if (!c) return;
    try {
      c.quit();
    } catch {
      // already closed
    }
    c.close();
  }
}
