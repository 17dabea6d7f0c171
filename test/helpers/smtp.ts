import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerOptions } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  data: string;
  at: number;
  secure: boolean;
  user?: string;
}

/** A real SMTP server on 127.0.0.1, keeping what it receives. */
export async function startServer(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString('latin1')));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          at: Date.now(),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        callback();
      });
    },
    ...options,
  });
  // A client that leaves in the middle of a TLS handshake (one that would not trust the
  // certificate, or expected plain text) is an error of that connection only, as a real server
  // logs it; unheard, it would be thrown.
  const errors: Error[] = [];
  server.on('error', (err: Error) => errors.push(err));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { server, received, errors, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

