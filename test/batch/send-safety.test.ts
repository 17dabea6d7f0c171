import { spawn, spawnSync } from 'node:child_process';
import fs, { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { generate } from '../../src/batch/generate';
import type { ManifestEntry } from '../../src/batch/manifest';
import { send } from '../../src/batch/send';
import { LetterMergeError } from '../../src/errors';
import type { SentRecord } from '../../src/batch/send';
import { BIN, ROOT, cli, row, tempDir, writeCsv } from '../helpers';
import { startServer } from '../helpers/smtp';

const TLS = path.join(__dirname, '..', 'fixtures', 'tls');

describe('send: never twice, nothing forged', () => {
  const t = tempDir();
  let master: string;
  let n = 0;

  beforeAll(async () => {
    const csv = writeCsv(t.dir, 'r.csv', Array.from({ length: 6 }, (_, i) => row({ id: `m${i}`, email: `person${i}@example.org`, address: 'Street 1' })));
    master = path.join(t.dir, 'master');
    await generate({ csv, out: master, jobs: 1 });
  });
  afterAll(() => t.cleanup());

  function outDir(): string {
    const dir = path.join(t.dir, `out-${n++}`);
    cpSync(master, dir, { recursive: true });
    return dir;
  }
  const manifestOf = (dir: string) => readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
  const writeManifest = (dir: string, entries: ManifestEntry[]) => writeFileSync(path.join(dir, 'manifest.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const log = (dir: string) => readFileSync(path.join(dir, 'sent.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SentRecord);

  it('a delivery that cannot be recorded (a full disk) stops the run and is never taken for a failed one and sent again', async () => {
    const s = await startServer();
    const write = fs.writeSync;
    const spy = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: unknown, ...rest: unknown[]) => {
      if (typeof data === 'string' && data.includes('"status":"sent"')) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
      }
      return (write as (...a: unknown[]) => number)(fd, data, ...rest);
    }) as typeof fs.writeSync);
    try {
      const dir = outDir();
      const err = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true, backoffMs: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LetterMergeError);
      expect((err as LetterMergeError).code).toBe('OUT_FOLDER');
      expect((err as LetterMergeError).message).toMatch(/sent\.jsonl could not be written: the disk is full/);
      expect(s.received).toHaveLength(1);
      expect(log(dir).map((r) => r.status)).toEqual(['attempt']);
      spy.mockRestore();
      // The next run counts it as uncertain and does not send it again; it sends the others.
      const next = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(next).toMatchObject({ sent: 5, uncertain: 1 });
      expect(s.received).toHaveLength(6);
    } finally {
      spy.mockRestore();
      await s.close();
    }
  });

  it('writes its log only into a file of the folder: a link or a pipe put in its place is refused before anything is sent', async () => {
    const s = await startServer();
    try {
      const elsewhere = path.join(t.dir, 'not-the-log.txt');
      writeFileSync(elsewhere, 'untouched\n');
      const linked = outDir();
      fs.symlinkSync(elsewhere, path.join(linked, 'sent.jsonl'));
      const piped = outDir();
      expect(spawnSync('mkfifo', [path.join(piped, 'sent.jsonl')]).status).toBe(0);
      const refusal = (dir: string) =>
        send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true }).then(
          () => undefined,
          (e: unknown) => e as LetterMergeError,
        );
      const link = await refusal(linked);
      expect(link!.message).toBe(`${path.join(linked, 'sent.jsonl')} is not a regular file (a symbolic link or a pipe was put in its place): lettermerge records what it sends only in a file of the folder itself`);
      // A pipe is not even read (reading it would wait for a writer for ever).
      const pipe = await refusal(piped);
      expect(pipe!.message).toBe('sent.jsonl of the output folder is a named pipe, not a file');
      expect(readFileSync(elsewhere, 'utf8')).toBe('untouched\n');
      expect(s.received).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('stops at a line of sent.jsonl it cannot read rather than send again what it may have recorded; a last line cut short is skipped and written after', async () => {
    const s = await startServer();
    try {
      const dir = outDir();
      await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(s.received).toHaveLength(6);
      const file = path.join(dir, 'sent.jsonl');
      const good = readFileSync(file, 'utf8');
      const lines = good.trimEnd().split('\n');
      const refusal = async (text: string) => {
        writeFileSync(file, text);
        const e = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true }).catch((err: unknown) => err as LetterMergeError);
        expect(e).toBeInstanceOf(LetterMergeError);
        return e as LetterMergeError;
      };
      // A record damaged in the middle (it said "sent"), a record of no known kind, a file of noise.
      const damaged = await refusal([...lines.slice(0, 3), lines[3].slice(0, 40) + '#', ...lines.slice(4)].join('\n') + '\n');
      expect(damaged.message).toMatch(/^line 4 of sent\.jsonl is not a record send wrote \("\{.*#"\)\. It may have recorded a delivery, so send will not guess which messages went$/);
      expect(damaged.location).toMatchObject({ file, line: 4 });
      expect((await refusal(`${good}{"id":"m1"}\n`)).message).toMatch(/^line 13 of sent\.jsonl is not a record send wrote \("\{\\"id\\":\\"m1\\"\}"\)/);
      expect((await refusal('\u0000\u0007\u00ff\n\u0001\n')).message).toMatch(/^line 1 of sent\.jsonl is not a record send wrote \(it is not text\), nor is 1 other line \(2\)/);
      expect(s.received).toHaveLength(6);

      // A run killed while it wrote a line leaves it cut short, without its line break: skipped,
      // and taken off before the next record is written (joined to it, that record would be lost).
      writeFileSync(file, `${lines.slice(0, 10).join('\n')}\n${lines[10].slice(0, 30)}`);
      const next = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(next).toMatchObject({ sent: 1, alreadySent: 5 });
      const after = readFileSync(file, 'utf8').split('\n');
      expect(after.slice(0, 10)).toEqual(lines.slice(0, 10));
      expect(JSON.parse(after[10])).toMatchObject({ status: 'attempt' });
      expect(JSON.parse(after[11])).toMatchObject({ status: 'sent' });
      expect(after).toHaveLength(13);
      // A whole record that lacks only its line break is kept (m5's attempt: uncertain), and gets one.
      writeFileSync(file, lines.slice(0, 11).join('\n'));
      expect(await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true, resendUncertain: true })).toMatchObject({ sent: 1, alreadySent: 5 });
      const kept = readFileSync(file, 'utf8').split('\n');
      expect(kept.slice(0, 11)).toEqual(lines.slice(0, 11));
      expect(kept.slice(11).map((l) => l && (JSON.parse(l) as SentRecord).status)).toEqual(['attempt', 'sent', '']);
      expect((await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}` })).pending).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('does not send again a message that a killed run may have delivered; sends it only with --resend-uncertain', async () => {
    let stalled: (() => void) | undefined;
    const dataSeen = new Promise<void>((resolve) => (stalled = resolve));
    let first = true;
    const s = await startServer({
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString('latin1')));
        stream.on('end', () => {
          s.received.push({ from: '', to: session.envelope.rcptTo.map((r) => r.address), data, at: Date.now(), secure: false });
          if (first) {
            // The server has the whole message and never answers: the sender is killed now.
            first = false;
            stalled?.();
            return;
          }
          callback();
        });
      },
    });
    try {
      const dir = outDir();
      const child = spawn(process.execPath, [BIN, 'send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--confirm'], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await dataSeen;
      child.kill('SIGKILL');
      await exited;
      expect(s.received).toHaveLength(1);
      const killedOn = s.received[0].to[0];
      expect(log(dir).map((r) => r.status)).toEqual(['attempt']);

      const again = await cli(['send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--confirm']);
      expect(again.code).toBe(4);
      expect(again.stderr).toMatch(new RegExp(`<${killedOn}>: uncertain: an earlier run stopped while the server was taking this message`));
      expect(s.received.map((m) => m.to[0]).filter((a) => a === killedOn)).toHaveLength(1);
      expect(s.received).toHaveLength(6);

      const forced = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true, resendUncertain: true });
      expect(forced).toMatchObject({ sent: 1, uncertain: 0, alreadySent: 5 });
      expect(s.received).toHaveLength(7);
    } finally {
      await s.close();
    }
  });

  it('records a connection lost while the data went as uncertain, and does not retry it', async () => {
    // The server drops the connection once the message is in, without answering.
    const s = await startServer({
      onData(stream) {
        stream.on('data', () => undefined);
        stream.on('end', () => {
          for (const c of (s.server as unknown as { connections: Set<{ _socket: { destroy(): void } }> }).connections) c._socket.destroy();
        });
      },
    });
    try {
      const dir = outDir();
      const r = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true, backoffMs: 1 });
      expect(r).toMatchObject({ sent: 0, uncertain: 6, failed: 0 });
      expect(log(dir).filter((x) => x.status === 'uncertain')).toHaveLength(6);
      expect(log(dir).filter((x) => x.status === 'attempt')).toHaveLength(6); // one try each: never resent
    } finally {
      await s.close();
    }
  });

  it('refuses messages the folder does not vouch for, reports each, and sends the rest', async () => {
    const s = await startServer();
    try {
      const dir = outDir();
      const m = manifestOf(dir);
      m[0].files!.eml.path = '../../../../../../etc/hostname';
      m[1].envelope!.to = 'a@example.org,victim@evil.com';
      m[2].envelope!.to = 'a@example.org>\r\nRCPT TO:<victim@evil.com';
      writeFileSync(path.join(dir, m[3].files!.eml.path), readFileSync(path.join(dir, m[3].files!.eml.path), 'latin1') + 'P.S. forged\r\n');
      rmSync(path.join(dir, m[4].files!.eml.path));
      writeManifest(dir, m);
      const r = await cli(['send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--confirm']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/m0 <[^>]+>: refused: its file \.\.\/.*hostname (is outside the output folder|is missing)/);
      expect(r.stderr).toMatch(/m1 <a@example\.org,victim@evil\.com>: refused: the manifest's recipient is not one valid address/);
      expect(r.stderr).toMatch(/m2 <a@example\.org>\\x0d\\x0aRCPT TO:<victim@evil\.com>: refused: the manifest's recipient is not one valid address/);
      expect(r.stderr).toMatch(/m3 <[^>]+>: refused: its file en\/m3\.eml has changed since generate made it/);
      expect(r.stderr).toMatch(/m4 <[^>]+>: refused: its file en\/m4\.eml is missing/);
      expect(s.received.map((x) => x.to)).toEqual([['person5@example.org']]);
      expect(s.received.some((x) => x.to.includes('victim@evil.com'))).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('refuses a message whose manifest envelope was edited away from its headers (an address "mended" in the manifest)', async () => {
    const s = await startServer();
    try {
      const dir = outDir();
      const m = manifestOf(dir);
      m[0].envelope!.to = 'someone.else@example.org';
      m[1].envelope!.cc = ['boss@example.org'];
      m[2].envelope!.messageId = '<other@example.org>';
      // Only in case: the same address in other capitals is the same address.
      m[3].envelope!.to = m[3].envelope!.to.toUpperCase();
      writeManifest(dir, m);
      const r = await cli(['send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--confirm']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/m0 <someone\.else@example\.org>: refused: the manifest's envelope and the message disagree \(the recipient someone\.else@example\.org is not the message's To\): one of them was edited; make the letter again with "lettermerge generate"/);
      expect(r.stderr).toMatch(/m1 <[^>]+>: refused: .*\(the copy boss@example\.org is not in the message's Cc\)/);
      expect(r.stderr).toMatch(/m2 <[^>]+>: refused: .*\(the Message-ID <other@example\.org> is not the message's\)/);
      expect(s.received.map((x) => x.to[0]).sort()).toEqual(['PERSON3@EXAMPLE.ORG', 'person4@example.org', 'person5@example.org']);
    } finally {
      await s.close();
    }
  });

  it('never sends a password over a connection without TLS, unless told to in so many words', async () => {
    let logins = 0;
    const s = await startServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(_auth, _session, callback) {
        logins++;
        callback(null, { user: 'letters' });
      },
    });
    const saved = process.env.LETTERMERGE_SMTP_PASSWORD;
    process.env.LETTERMERGE_SMTP_PASSWORD = 'secret-in-clear';
    try {
      const dir = outDir();
      const url = `smtp://letters@127.0.0.1:${s.port}`;
      const refused = await cli(['send', dir, '--smtp', url, '--confirm']);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/offers no STARTTLS \(.*\), so the password would cross the network in clear/);
      expect(logins).toBe(0);
      expect(s.received).toHaveLength(0);
      const allowed = await cli(['send', dir, '--smtp', url, '--confirm', '--allow-insecure-auth']);
      expect(allowed.code).toBe(0);
      expect(allowed.stderr).toMatch(/WARNING: --allow-insecure-auth/);
      expect(allowed.stderr).toMatch(/note: the connection is not encrypted: the password was sent in clear/);
      expect(logins).toBe(1);
      expect(s.received).toHaveLength(6);
      expect(allowed.stderr).not.toContain('secret-in-clear');
    } finally {
      if (saved === undefined) delete process.env.LETTERMERGE_SMTP_PASSWORD;
      else process.env.LETTERMERGE_SMTP_PASSWORD = saved;
      await s.close();
    }
  });

  it('logs in during the dry run, and stops at once when the server wants a login it did not get', async () => {
    const s = await startServer({
      disabledCommands: [],
      authOptional: false,
      key: readFileSync(path.join(TLS, 'key.pem')),
      cert: readFileSync(path.join(TLS, 'cert.pem')),
      onAuth(auth, _session, callback) {
        if (auth.username === 'letters' && auth.password === 'right') return callback(null, { user: 'letters' });
        callback(new Error('Invalid username or password'));
      },
    });
    const saved = process.env.LETTERMERGE_SMTP_PASSWORD;
    const ca = path.join(TLS, 'cert.pem');
    try {
      const dir = outDir();
      process.env.LETTERMERGE_SMTP_PASSWORD = 'wrong';
      const dry = await cli(['send', dir, '--smtp', `smtp://letters@127.0.0.1:${s.port}`, '--ca', ca]);
      expect(dry.code).toBe(3);
      expect(dry.stderr).toMatch(/did not accept the login: 535/);

      delete process.env.LETTERMERGE_SMTP_PASSWORD;
      const anonymous = await cli(['send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--ca', ca]);
      expect(anonymous.code).toBe(0);
      expect(anonymous.stderr).toMatch(/note: the server offers a login \(AUTH\) and none was given/);
      const confirmed = await cli(['send', dir, '--smtp', `smtp://127.0.0.1:${s.port}`, '--ca', ca, '--confirm']);
      expect(confirmed.code).toBe(3);
      expect(confirmed.stderr).toMatch(/did not accept the login: 530/);
      expect(confirmed.stderr).toMatch(/give a user in the address/);
      expect(log(dir).filter((r) => r.status !== 'attempt').map((r) => r.status)).toEqual(['deferred']); // not "rejected": it goes on the next run

      process.env.LETTERMERGE_SMTP_PASSWORD = 'right';
      const good = await cli(['send', dir, '--smtp', `smtp://letters@127.0.0.1:${s.port}`, '--ca', ca, '--confirm']);
      expect(good.code).toBe(0);
      expect(s.received).toHaveLength(6);
    } finally {
      if (saved === undefined) delete process.env.LETTERMERGE_SMTP_PASSWORD;
      else process.env.LETTERMERGE_SMTP_PASSWORD = saved;
      await s.close();
    }
  });

  it('says what to change when it cannot talk to the server: scheme, port, host name or certificate', async () => {
    const tls = { key: readFileSync(path.join(TLS, 'key.pem')), cert: readFileSync(path.join(TLS, 'cert.pem')) };
    const plain = await startServer();
    const implicit = await startServer({ secure: true, ...tls });
    const starttls = await startServer({ disabledCommands: [], ...tls });
    // A port nothing listens on: one a server had a moment ago.
    const gone = net.createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const closed = (gone.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const problem = async (smtp: string) => {
      const err = await send({ out: outDir(), smtp, timeouts: { connection: 5000, greeting: 1500 } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LetterMergeError);
      const e = err as LetterMergeError;
      expect(e.code).toBe('SMTP_CONNECT');
      return `${e.message}\n${e.hint}`;
    };
    try {
      // smtp:// to a port that expects TLS from the start: the server waits for a TLS hello, the client for a greeting.
      const waited = await problem(`smtp://127.0.0.1:${implicit.port}`);
      expect(waited).toMatch(/it accepted the connection but sent no SMTP greeting in 2 s\n/);
      expect(waited).toMatch(/needs smtps:\/\//);
      // smtps:// to a plain port: OpenSSL's "wrong version number" is not shown.
      const spoke = await problem(`smtps://127.0.0.1:${plain.port}`);
      expect(spoke).toMatch(/it does not speak TLS from the start \(it answered in plain text\)\nUse smtp:\/\/127\.0\.0\.1:\d+: the connection is then encrypted with STARTTLS/);
      expect(spoke).not.toMatch(/ssl3|openssl/i);
      expect(await problem(`smtp://127.0.0.1:${closed}`)).toMatch(new RegExp(`nothing accepts connections at 127\\.0\\.0\\.1:${closed} \\(connection refused\\)`));
      expect(await problem('smtp://no-such-host.invalid:587')).toMatch(/the host name no-such-host\.invalid cannot be found/);
      // A certificate of an authority Node does not know, from the start and after STARTTLS: --ca is the way.
      for (const smtp of [`smtps://127.0.0.1:${implicit.port}`, `smtp://127.0.0.1:${starttls.port}`]) {
        expect(await problem(smtp)).toMatch(/its TLS certificate is not trusted \(self[- ]signed certificate\)\n.*--ca/);
      }
      // With the authority given, both go through (a dry run: nothing is sent).
      for (const smtp of [`smtps://127.0.0.1:${implicit.port}`, `smtp://127.0.0.1:${starttls.port}`]) {
        expect(await send({ out: outDir(), smtp, ca: path.join(TLS, 'cert.pem') })).toMatchObject({ dryRun: true, secure: true });
      }
    } finally {
      await Promise.all([plain.close(), implicit.close(), starttls.close()]);
    }
  });

  it('stops at once when stopped while the server keeps it waiting, and sends nothing', async () => {
    // A server that accepts connections and never says a word.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const dir = outDir();
      const stop = new AbortController();
      let connected = false;
      setTimeout(() => stop.abort(), 300);
      const started = Date.now();
      const r = await send({ out: dir, smtp: `smtp://127.0.0.1:${port}`, confirm: true, signal: stop.signal, onConnected: () => (connected = true) });
      // Not the 30 s the greeting is given.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r).toMatchObject({ interrupted: true, connected: false, sent: 0, failed: 0, uncertain: 0 });
      expect(connected).toBe(false);
      expect(fs.existsSync(path.join(dir, 'sent.jsonl'))).toBe(false);
      // Already stopped: it does not connect at all.
      const again = await send({ out: dir, smtp: `smtp://127.0.0.1:${port}`, confirm: true, signal: stop.signal });
      expect(again).toMatchObject({ interrupted: true, connected: false, sent: 0 });
    } finally {
      silent.close();
    }
  });

  it('stopped while connecting again after the server dropped it: the message waits for the next run, sent once', async () => {
    const s = await startServer();
    // Between lettermerge and the server: the first connection goes through and is cut after the
    // first message; the next one is accepted and never greeted, and the run is stopped then.
    const stop = new AbortController();
    const sockets: net.Socket[] = [];
    let connections = 0;
    const relay = net.createServer((client) => {
      sockets.push(client);
      if (++connections > 1) {
        stop.abort();
        return;
      }
      const upstream = net.connect(s.port, '127.0.0.1');
      sockets.push(upstream);
      upstream.pipe(client);
      // Cut as the second message begins: the first was sent and its reply received.
      let mails = 0;
      client.on('data', (chunk: Buffer) => {
        if (/^MAIL FROM/im.test(chunk.toString('latin1')) && ++mails === 2) {
          client.destroy();
          upstream.destroy();
        } else upstream.write(chunk);
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as net.AddressInfo).port;
    try {
      const dir = outDir();
      const r = await send({ out: dir, smtp: `smtp://127.0.0.1:${port}`, confirm: true, rate: 5, signal: stop.signal, backoffMs: 1 });
      expect(connections).toBe(2);
      expect(r).toMatchObject({ interrupted: true, connected: true, sent: 1, failed: 0, uncertain: 0 });
      expect(s.received).toHaveLength(1);
      // The second message was put off twice, no data having gone: the connection cut, then the
      // run stopped while connecting again.
      const second = log(dir).filter((x) => x.id !== log(dir)[0].id);
      expect(second.map((x) => x.status)).toEqual(['attempt', 'deferred', 'attempt', 'deferred']);
      expect(second[3].response).toMatch(/stopped/);
      // The next run sends the other five, each once.
      const next = await send({ out: dir, smtp: `smtp://127.0.0.1:${s.port}`, confirm: true });
      expect(next).toMatchObject({ sent: 5, uncertain: 0, failed: 0 });
      expect(s.received).toHaveLength(6);
      expect(new Set(s.received.map((m) => m.to.join())).size).toBe(6);
    } finally {
      for (const x of sockets) x.destroy();
      relay.close();
      await s.close();
    }
  });

  it('refuses an address with a password in it before asking for any password', async () => {
    const saved = process.env.LETTERMERGE_SMTP_PASSWORD;
    delete process.env.LETTERMERGE_SMTP_PASSWORD;
    try {
      const r = await cli(['send', outDir(), '--smtp', 'smtp://letters:s3cret@127.0.0.1:9']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/the --smtp address holds a password/);
      expect(r.stderr).not.toMatch(/LETTERMERGE_SMTP_PASSWORD\n|needs a password/);
      expect(r.stderr).not.toContain('s3cret');
    } finally {
      if (saved !== undefined) process.env.LETTERMERGE_SMTP_PASSWORD = saved;
    }
  });

  it('checks the --ca file: missing, or no certificate, is a usage error', async () => {
    const dir = outDir();
    const missing = await cli(['send', dir, '--smtp', 'smtp://127.0.0.1:9', '--ca', path.join(t.dir, 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.pem: the --ca file was not found/);
    const notCert = await cli(['send', dir, '--smtp', 'smtp://127.0.0.1:9', '--ca', path.join(ROOT, 'package.json')]);
    expect(notCert.code).toBe(2);
    expect(notCert.stderr).toMatch(/the --ca file holds no certificate/);
  });
});
