import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as recipients from '../../src/data/recipients';
import { servePreview } from '../../src/preview/server';
import type { PreviewServer } from '../../src/preview/server';
import { campaignCopy, row, tempDir, writeCsv } from '../helpers';

/** A raw request, with any Host and any path (fetch would normalise both). */
function request(port: number, target: string, host = `127.0.0.1:${port}`, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method: 'GET', headers: { Host: host, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('preview --serve: the server', () => {
  const t = tempDir();
  let server: PreviewServer;
  let token: string;
  let campaign: string;
  let csv: string;
  beforeAll(async () => {
    campaign = campaignCopy(t.dir);
    csv = writeCsv(t.dir, 'people.csv', [
      row({ id: 'gov-es-001', language: 'es', group: 'government', first_name: 'María José', last_name: 'Echeverría' }),
      row({ id: 'r2', language: 'ar', first_name: 'ليلى', last_name: 'حداد' }),
      row({ id: 'r3', language: 'zh', first_name: '丽华', last_name: '王' }),
      row({ id: 'bad1', email: 'jane.doe@' }),
    ]);
    server = await servePreview({ csv, campaign, port: 0 });
    token = new URL(server.url).searchParams.get('token')!;
  });
  afterAll(async () => {
    await server.close();
    t.cleanup();
  });

  it('listens on 127.0.0.1 with a long random token in its address', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
  });

  it('refuses a request without the token, or with another token', async () => {
    for (const target of ['/', '/api/recipients', '/api/letter?row=1', '/letter.pdf?row=1', '/events', '/app.js', `/?token=${token.slice(1)}x`]) {
      const r = await request(server.port, target);
      expect([target, r.status]).toEqual([target, 403]);
      expect(r.body).not.toMatch(/gov-es-001|Echeverría/);
    }
  });

  it('refuses another Host, as a page rebinding a name of its own to 127.0.0.1 would send', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`]) {
      const r = await request(server.port, `/api/recipients?token=${token}`, host);
      expect([host, r.status]).toEqual([host, 403]);
    }
    expect((await request(server.port, `/api/recipients?token=${token}`, `localhost:${server.port}`)).status).toBe(200);
  });

  it('serves only its own routes: no path reaches the file system', async () => {
    const paths = ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/app.js/../../package.json', '/fonts/..%2f..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/etc/passwd', '/dist/index.js', '//etc/passwd'];
    for (const p of paths) {
      const r = await request(server.port, `${p}${p.includes('?') ? '&' : '?'}token=${token}`);
      expect([p, r.status]).toEqual([p, 404]);
      expect(r.body).not.toMatch(/"name": "lettermerge"|root:/);
    }
  });

  it('sets the token as a cookie with the page, so the page\'s own requests carry it', async () => {
    const page = await request(server.port, `/?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const list = await request(server.port, '/api/recipients', undefined, { Cookie: cookie });
    expect(list.status).toBe(200);
  });

  it('lists every row, the bad ones with their reason', async () => {
    const r = JSON.parse((await request(server.port, `/api/recipients?token=${token}`)).body) as { recipients: { id: string; error?: string }[] };
    expect(r.recipients.map((x) => x.id)).toEqual(['gov-es-001', 'r2', 'r3', 'bad1']);
    expect(r.recipients[3].error).toMatch(/email: .*jane\.doe@/);
    expect(r.recipients[0].error).toBeUndefined();
  });

  it('makes the letter with the same preview() as the CLI, and its e-mail with the attachments', async () => {
    const r = JSON.parse((await request(server.port, `/api/letter?row=1&token=${token}`)).body) as { id: string; pdf: string; email: { to: string; subject: string; attachments: { filename: string; bytes: number }[] } };
    expect(r.id).toBe('gov-es-001');
    expect(Buffer.from(r.pdf, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect(r.email.to).toMatch(/Echeverría/);
    expect(r.email.attachments.map((a) => a.filename)).toEqual(['wsis-trust-fund-2022-gov-es-001.pdf', 'Lotes de Asociación – Foro de la CMSI 2022.pdf']);
    const pdf = await request(server.port, `/letter.pdf?row=1&token=${token}`);
    expect(pdf.headers['content-disposition']).toBe('attachment; filename="gov-es-001-es.pdf"');
    const bad = await request(server.port, `/api/letter?row=4&token=${token}`);
    expect(bad.status).toBe(200);
    expect((await request(server.port, `/letter.pdf?row=4&token=${token}`)).status).toBe(422);
    expect(JSON.parse(bad.body).error).toMatchObject({ field: 'email', line: 8, message: expect.stringMatching(/jane\.doe@/) });
    // A row that is no row number is refused as such ("1e308" is a number, but no row's).
    for (const row of ['0', '-1', '1.5', 'abc', '1e308', '']) {
      const r = await request(server.port, `/api/letter?row=${row}&token=${token}`);
      expect([row, r.status, JSON.parse(r.body).error.message]).toEqual([row, 400, 'row must be a whole number from 1']);
    }
  });

  it('tells the page when a file changes, and reports a broken template with its file and line', async () => {
    const events: string[] = [];
    const stream = http.get({ host: '127.0.0.1', port: server.port, path: `/events?token=${token}`, headers: { Host: `127.0.0.1:${server.port}` } }, (res) => {
      res.on('data', (c: Buffer) => events.push(c.toString()));
    });
    try {
      await until(() => events.join('').includes('event: version'));
      const letter = path.join(campaign, 'es', 'letter.md');
      const good = readFileSync(letter, 'utf8');
      writeFileSync(letter, good.replace('{{salutation}}', '{{salutation}}\n\n{{#if}}'));
      await until(() => (events.join('').match(/event: version/g) ?? []).length >= 2);
      const broken = await request(server.port, `/api/letter?row=1&token=${token}`);
      expect(JSON.parse(broken.body).error).toMatchObject({ file: letter, line: expect.any(Number) });
      writeFileSync(letter, good);
      await until(async () => !JSON.parse((await request(server.port, `/api/letter?row=1&token=${token}`)).body).error);
    } finally {
      stream.destroy();
    }
  });
});

describe('preview --serve: the recipients file read once while it is unchanged', () => {
  const t = tempDir();
  let server: PreviewServer;
  let token: string;
  let csv: string;
  afterAll(async () => {
    await server?.close();
    t.cleanup();
  });

  it('answers the list and letters from one reading, and reads the file again once it changes, even to the same size', async () => {
    const reads = jest.spyOn(recipients, 'streamRecipients');
    try {
      csv = writeCsv(t.dir, 'people.csv', [row({ id: 'a1', first_name: 'Ada' }), row({ id: 'a2', first_name: 'Bea' }), row({ id: 'a3', first_name: 'Cyd' })]);
      server = await servePreview({ csv, campaign: campaignCopy(t.dir), port: 0 });
      token = new URL(server.url).searchParams.get('token')!;
      const name = async (r: number) => (JSON.parse((await request(server.port, `/api/letter?row=${r}&token=${token}`)).body) as { email: { to: string } }).email.to;
      const list = async () => (JSON.parse((await request(server.port, `/api/recipients?token=${token}`)).body) as { recipients: { name: string }[] }).recipients.map((r) => r.name);
      expect(await list()).toEqual(['Ada Quinlan', 'Bea Quinlan', 'Cyd Quinlan']);
      expect(await name(3)).toBe('Cyd Quinlan <ada@example.edu>');
      expect(await name(1)).toBe('Ada Quinlan <ada@example.edu>');
      expect(reads).toHaveBeenCalledTimes(1);
      // Rewritten to the same size: its time of change tells.
      writeFileSync(csv, readFileSync(csv, 'utf8').replace('Cyd', 'Dee'));
      utimesSync(csv, new Date(), new Date(Date.now() + 5_000));
      expect(await name(3)).toBe('Dee Quinlan <ada@example.edu>');
      expect(await list()).toEqual(['Ada Quinlan', 'Bea Quinlan', 'Dee Quinlan']);
      expect(reads).toHaveBeenCalledTimes(2);
      // Gone: said as the file's problem, not kept from before.
      rmSync(csv);
      expect(JSON.parse((await request(server.port, `/api/recipients?token=${token}`)).body).error.message).toMatch(/cannot be read|not found|no such/i);
      expect(JSON.parse((await request(server.port, `/api/letter?row=1&token=${token}`)).body).error.message).toMatch(/cannot be read|not found|no such/i);
    } finally {
      reads.mockRestore();
    }
  });
});

async function until(ok: () => boolean | Promise<boolean>, what = 'the condition'): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

