import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from '../helpers';

const SCRIPT = path.join(ROOT, 'scripts', 'dev-smtp-server.js');

/** Starts the README's test server on a free port; resolves once it listens. */
function start(port: number): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(process.execPath, [SCRIPT, String(port)]);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Test SMTP server on')) {
        clearInterval(timer);
        resolve({ child, out: () => out });
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error(`the server stopped: ${out}`));
    });
  });
}

/** The greeting of a new connection to the server. */
function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('data', (d) => {
      s.end('QUIT\r\n');
      resolve(d.toString());
    });
    s.on('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('scripts/dev-smtp-server.js (the README\'s test server)', () => {
  it('keeps running when a client goes away mid-message, as a send stopped by kill -9 does', async () => {
    const port = await freePort();
    const { child, out } = await start(port);
    try {
      const s = net.connect(port, '127.0.0.1');
      await new Promise((r) => s.once('data', r));
      s.write('EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
      await new Promise((r) => setTimeout(r, 100));
      s.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 200));
      expect(child.exitCode).toBeNull();
      expect(await greeting(port)).toMatch(/^220 /);
      // On a busy machine the server may log the client's going a moment later.
      for (let i = 0; i < 200 && !out().includes('a client went away'); i++) await new Promise((r) => setTimeout(r, 25));
      expect(out()).toContain('a client went away');
    } finally {
      child.kill();
    }
  });

  it('prints a line for each message with its subject decoded, as a reader sees it', async () => {
    const port = await freePort();
    const { child, out } = await start(port);
    try {
      const s = net.connect(port, '127.0.0.1');
      let replies = '';
      s.on('data', (d) => (replies += d));
      const closed = new Promise((r) => s.on('close', r));
      s.on('error', () => undefined);
      const reply = async (code: string) => {
        for (let i = 0; i < 400 && !new RegExp(`^${code} `, 'm').test(replies); i++) await new Promise((r) => setTimeout(r, 25));
        replies = '';
      };
      await reply('220');
      for (const [command, code] of [['EHLO x', '250'], ['MAIL FROM:<a@example.org>', '250'], ['RCPT TO:<b@example.org>', '250'], ['DATA', '354']]) {
        s.write(`${command}\r\n`);
        await reply(code);
      }
      s.write(['From: a@example.org', 'To: b@example.org', 'Subject: =?UTF-8?Q?Invitaci=C3=B3n_a_contribuir_al_Fondo?=', ' =?UTF-8?Q?_Fiduciario_de_la_CMSI_=E2=80=93_2022?=', '', 'Body.', '.', ''].join('\r\n'));
      await reply('250');
      s.end('QUIT\r\n');
      await closed;
      for (let i = 0; i < 200 && !out().includes('#1 '); i++) await new Promise((r) => setTimeout(r, 25));
      expect(out()).toMatch(/#1 from a@example\.org to b@example\.org \(\d+ bytes\) Invitación a contribuir al Fondo Fiduciario de la CMSI – 2022\n/);
    } finally {
      child.kill();
    }
  });

  it('says so and stops when its port is taken', async () => {
    const port = await freePort();
    const { child } = await start(port);
    try {
      const second = spawn(process.execPath, [SCRIPT, String(port)]);
      let err = '';
      second.stderr.on('data', (d) => (err += d));
      const code = await new Promise((r) => second.on('exit', r));
      expect(code).toBe(1);
      expect(err).toContain(`Cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
    } finally {
      child.kill();
    }
  });

  it('takes --port N as well as the port alone, and says how to call it when the port is not one', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [SCRIPT, '--port', String(port)]);
    try {
      await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes(`127.0.0.1:${port}`) && resolve()));
      expect(await greeting(port)).toMatch(/^220 /);
    } finally {
      child.kill();
    }
    for (const args of [['abc'], ['--port', '99999'], ['2525', 'extra']]) {
      const bad = spawn(process.execPath, [SCRIPT, ...args]);
      let err = '';
      bad.stderr.on('data', (d) => (err += d));
      expect(await new Promise((r) => bad.on('exit', r))).toBe(2);
      expect(err).toContain('Usage: node scripts/dev-smtp-server.js [port]');
    }
  });
});
