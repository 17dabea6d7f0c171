import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash, generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import forge from 'node-forge';
import { simpleParser } from 'mailparser';
import type { ManifestEntry } from '../../src/batch/generate';
import { SAMPLE_CSV, cli, hasCommand, row, tempDir, writeCsv } from '../helpers';
import { checkPdfRules } from '../helpers/pdf-rules';

const PASSWORD = 'Wq7-never-printed-9Zx';
const DAY = 86_400_000;

/**
 * A throwaway PKCS#12 file, made here (node-forge, in the test only): an RSA key and a self-signed
 * certificate valid between the given days, protected by `password`. Without `key`, the file holds
 * the certificate alone.
 */
function makeP12(file: string, o: { cn: string; from: Date; to: Date; password: string; key?: boolean; bits?: number }): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: o.bits ?? 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = o.from;
  cert.validity.notAfter = o.to;
  const name = [
    { name: 'commonName', value: o.cn },
    { name: 'organizationName', value: 'Example Secretariat' },
  ];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(o.key === false ? null : key, [cert], o.password, { algorithm: '3des' });
  writeFileSync(file, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
  return file;
}

/** Runs the CLI with environment variables set for the run only. */
async function cliWith(env: Record<string, string | undefined>, args: string[]) {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    if (env[k] === undefined) delete process.env[k];
    else process.env[k] = env[k];
  }
  try {
    return await cli(args);
  } finally {
    for (const k of Object.keys(saved)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

function manifestOf(out: string): ManifestEntry[] {
  return readFileSync(path.join(out, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ManifestEntry);
}

function pdfsig(file: string): { code: number; out: string } {
  const r = spawnSync('pdfsig', [file]);
  return { code: r.status ?? -1, out: `${r.stdout.toString()}${r.stderr.toString()}` };
}

/** Every file under a folder, as bytes. */
function everyFile(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f));
}

const EPOCH = '1630627200'; // 2021-09-03, the sample's date

(hasCommand('pdfsig') && hasCommand('qpdf') ? describe : describe.skip)('generate --sign', () => {
  const t = tempDir();
  const now = Date.now();
  let p12: string;
  let out: string;
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    p12 = makeP12(path.join(t.dir, 'signer.p12'), { cn: 'Test Signatory', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD });
    out = path.join(t.dir, 'signed');
    run = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD, SOURCE_DATE_EPOCH: EPOCH }, ['generate', SAMPLE_CSV, '-o', out, '--sign', p12]);
  }, 120_000);
  afterAll(() => t.cleanup());

  it('signs every letter so that pdfsig finds the signature valid and covering the whole document', () => {
    expect(run.code).toBe(0);
    const entries = manifestOf(out);
    expect(entries).toHaveLength(23);
    for (const e of entries) {
      const { code, out: text } = pdfsig(path.join(out, e.files!.pdf.path));
      expect(code).toBe(0);
      expect(text).toContain('Signature is Valid');
      expect(text).toContain('Total document signed');
      expect(text).toContain('Signer Certificate Common Name: Test Signatory');
      expect(text).toContain('ETSI.CAdES.detached');
    }
  });

  it('names the office in the reason, and takes the signing time from SOURCE_DATE_EPOCH', () => {
    const file = path.join(out, manifestOf(out).find((e) => e.language === 'en')!.files!.pdf.path);
    const json = execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=none', file]).toString();
    const sig = Object.values(JSON.parse(json).qpdf[1] as Record<string, { value?: Record<string, string> }>).find((o) => o.value?.['/Type'] === '/Sig')!.value!;
    expect(sig['/Reason']).toBe('u:Issued by The Secretary-General');
    expect(sig['/M']).toMatch(/^u:D:20210903000000Z/);
    expect(pdfsig(file).out).toContain('Signing Time: Sep 03 2021 00:00:00');
  });

  it('reports a PDF changed by one byte after signing as invalid', () => {
    const file = path.join(out, manifestOf(out)[0].files!.pdf.path);
    const bytes = readFileSync(file);
    // A byte of the first page's content stream, well inside the signed range.
    const at = bytes.indexOf('stream\n') + 40;
    bytes[at] ^= 0x01;
    const changed = path.join(t.dir, 'changed.pdf');
    writeFileSync(changed, bytes);
    const { out: text } = pdfsig(changed);
    expect(text).not.toContain('Signature is Valid');
    expect(text).toMatch(/Signature is Invalid|Digest Mismatch/);
  });

  it('keeps signed letters tagged and archival: qpdf --check and every PDF/A-2a and PDF/UA-1 rule', () => {
    for (const e of manifestOf(out)) {
      const file = path.join(out, e.files!.pdf.path);
      execFileSync('qpdf', ['--check', file]);
      expect(checkPdfRules(file).failures).toEqual([]);
    }
  });

  it('records the signed file in the manifest and attaches it to the e-mail', async () => {
    for (const e of manifestOf(out).slice(0, 4)) {
      const pdf = readFileSync(path.join(out, e.files!.pdf.path));
      expect(createHash('sha256').update(pdf).digest('hex')).toBe(e.files!.pdf.sha256);
      const mail = await simpleParser(readFileSync(path.join(out, e.files!.eml.path)));
      expect(Buffer.compare(mail.attachments[0].content, pdf)).toBe(0);
    }
  });

  it('never prints the password, nor writes it into any file', () => {
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
    for (const bytes of everyFile(out)) expect(bytes.includes(PASSWORD)).toBe(false);
  });

  it('gives the same bytes when run again with the same SOURCE_DATE_EPOCH', async () => {
    const again = path.join(t.dir, 'again');
    const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD, SOURCE_DATE_EPOCH: EPOCH }, ['generate', SAMPLE_CSV, '-o', again, '--sign', p12]);
    expect(r.code).toBe(0);
    for (const e of manifestOf(out)) {
      expect(readFileSync(path.join(again, e.files!.pdf.path)).equals(readFileSync(path.join(out, e.files!.pdf.path)))).toBe(true);
    }
  });

  it('makes unsigned letters again on --resume --sign, and keeps signed ones on the next', async () => {
    const dir = path.join(t.dir, 'resume');
    const csv = writeCsv(t.dir, 'few.csv', [row({ id: 'r1' }), row({ id: 'r2', email: 'b@example.org' })]);
    expect((await cli(['generate', csv, '-o', dir])).code).toBe(0);
    const file = path.join(dir, manifestOf(dir)[0].files!.pdf.path);
    expect(pdfsig(file).out).not.toContain('Signature is Valid');
    const signed = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD, SOURCE_DATE_EPOCH: EPOCH }, ['generate', csv, '-o', dir, '--resume', '--sign', p12]);
    expect(signed.code).toBe(0);
    expect(signed.stderr).toMatch(/Wrote 2 letters/);
    expect(pdfsig(file).out).toContain('Signature is Valid');
    const kept = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD, SOURCE_DATE_EPOCH: EPOCH }, ['generate', csv, '-o', dir, '--resume', '--sign', p12]);
    expect(kept.stderr).toMatch(/Wrote 0 letters.*2 kept/);
    const unsigned = await cli(['generate', csv, '-o', dir, '--resume']);
    expect(unsigned.stderr).toMatch(/Wrote 2 letters/);
    expect(pdfsig(file).out).not.toContain('Signature is Valid');
  });

  it('stops before writing anything on a wrong password, an expired certificate, a file without a key or a key too short', async () => {
    const expired = makeP12(path.join(t.dir, 'expired.p12'), { cn: 'Old Signatory', from: new Date(now - 400 * DAY), to: new Date(now - DAY), password: PASSWORD });
    const keyless = makeP12(path.join(t.dir, 'keyless.p12'), { cn: 'No Key', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD, key: false });
    // A 1024-bit key signed every letter without a word, before.
    const short = makeP12(path.join(t.dir, 'short.p12'), { cn: 'Short Key', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD, bits: 1024 });
    const cases: [string, string, RegExp][] = [
      [p12, 'not-the-password', /cannot be opened with this password/],
      [expired, PASSWORD, /expired on \d{4}-\d{2}-\d{2}/],
      [keyless, PASSWORD, /holds no private key/],
      [short, PASSWORD, /the signing certificate of Short Key has an RSA key of 1024 bits: a signature made with fewer than 2048 is not taken as secure/],
    ];
    for (const [file, password, message] of cases) {
      const dir = path.join(t.dir, `refused-${path.basename(file)}-${password.length}`);
      const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: password }, ['generate', SAMPLE_CSV, '-o', dir, '--sign', file]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(password === PASSWORD ? PASSWORD : 'not-the-password');
      expect(existsSync(path.join(dir, 'manifest.jsonl'))).toBe(false);
    }
  });

  it('asks for the password on a terminal, and refuses to run without one elsewhere', async () => {
    expect(process.env.LETTERMERGE_SIGN_PASSWORD).toBeUndefined();
    const r = await cli(['generate', SAMPLE_CSV, '-o', path.join(t.dir, 'nopw'), '--sign', p12]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('LETTERMERGE_SIGN_PASSWORD');
    const { run: runCli } = await import('../../src/cli/main');
    let asked = '';
    let printed = '';
    const code = await runCli(['validate', SAMPLE_CSV, '--sign', p12], {
      stdout: (s) => (printed += s),
      stderr: (s) => (printed += s),
      askSecret: async (prompt) => {
        asked = prompt;
        return PASSWORD;
      },
    });
    expect(code).toBe(0);
    expect(asked).toContain('signer.p12');
    expect(printed).toContain('Signing certificate: Test Signatory');
    expect(printed).not.toContain(PASSWORD);
  });

  it('has no option that takes the password on the command line', async () => {
    const help = (await cli(['generate', '--help'])).stdout;
    expect(help).toContain('--sign <file.p12>');
    expect(help).not.toMatch(/--(sign-)?pass(word)?\b/);
  });
});

describe('validate --sign', () => {
  const t = tempDir();
  const now = Date.now();
  afterAll(() => t.cleanup());

  it('names the signer and the last valid day of a good certificate', async () => {
    const file = makeP12(path.join(t.dir, 'good.p12'), { cn: 'Good Signatory', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD });
    const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD }, ['validate', SAMPLE_CSV, '--sign', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Signing certificate: Good Signatory, valid until ${new Date(now + 400 * DAY).toISOString().slice(0, 10)}.`);
    expect(r.stderr).not.toMatch(/warning/);
  });

  it('warns about a certificate that expires within 30 days, and still passes', async () => {
    const file = makeP12(path.join(t.dir, 'soon.p12'), { cn: 'Soon Signatory', from: new Date(now - DAY), to: new Date(now + 10 * DAY - 60_000), password: PASSWORD });
    const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD }, ['validate', SAMPLE_CSV, '--sign', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*soon\.p12: the signing certificate of Soon Signatory expires on \d{4}-\d{2}-\d{2}, in 10 days/);
  });

  it('fails (exit 3) on a wrong password, a certificate not yet valid, and a file without a key', async () => {
    const good = makeP12(path.join(t.dir, 'g.p12'), { cn: 'G', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD });
    const later = makeP12(path.join(t.dir, 'later.p12'), { cn: 'Later', from: new Date(now + 5 * DAY), to: new Date(now + 400 * DAY), password: PASSWORD });
    const keyless = makeP12(path.join(t.dir, 'nokey.p12'), { cn: 'K', from: new Date(now - DAY), to: new Date(now + 400 * DAY), password: PASSWORD, key: false });
    const pem = path.join(t.dir, 'cert.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const cases: [string, string, RegExp][] = [
      [good, 'wrong', /cannot be opened with this password/],
      [later, PASSWORD, /is not valid before/],
      [keyless, PASSWORD, /holds no private key/],
      [pem, PASSWORD, /is a PEM file[\s\S]*openssl pkcs12 -export/],
    ];
    for (const [file, password, message] of cases) {
      const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: password }, ['validate', SAMPLE_CSV, '--sign', file]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('The signing certificate cannot be used');
    }
  });

  (hasCommand('openssl') ? it : it.skip)('says so when the key is not RSA', async () => {
    const key = path.join(t.dir, 'ec.pem');
    const crt = path.join(t.dir, 'ec-cert.pem');
    const p12 = path.join(t.dir, 'ec.p12');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', '/CN=EC Signatory'], { stdio: 'ignore' });
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', crt, '-out', p12, '-passout', `pass:${PASSWORD}`], { stdio: 'ignore' });
    const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD }, ['validate', SAMPLE_CSV, '--sign', p12]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('holds a private key that is not RSA');
  });

  (hasCommand('openssl') ? it : it.skip)('reads a PKCS#12 file made by OpenSSL', async () => {
    const key = path.join(t.dir, 'k.pem');
    const crt = path.join(t.dir, 'c.pem');
    const p12 = path.join(t.dir, 'openssl.p12');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '90', '-subj', '/CN=OpenSSL Signatory/O=Example'], { stdio: 'ignore' });
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', crt, '-out', p12, '-passout', `pass:${PASSWORD}`], { stdio: 'ignore' });
    const r = await cliWith({ LETTERMERGE_SIGN_PASSWORD: PASSWORD }, ['validate', SAMPLE_CSV, '--sign', p12]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Signing certificate: OpenSSL Signatory');
  });
});
