#!/usr/bin/env node
// One benchmark route in its own process, so its peak memory is its own:
//   node bench/route.js <route> <csv> <out-dir>
// Prints one JSON line: { route, letters, ms, maxRssMb }: ms is the work itself, in the process
// (after start-up); run.js times the whole process from outside.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** The library, loaded by the routes that use it: lettermerge's own routes start as its command line does. */
let lmLoaded;
const lib = () => (lmLoaded ??= require(path.join(ROOT, 'dist', 'index.js')));
const fontsDir = (pkg) => path.join(path.dirname(require.resolve(pkg, { paths: [ROOT] })), '..', 'fonts');

async function lettersOf(csv) {
  const lm = lib();
  const campaign = lm.loadCampaign(lm.DEFAULT_CAMPAIGN);
  const merger = new lm.Merger(campaign);
  const { recipients } = await lm.readRecipients(csv);
  return recipients.flatMap((r) => r.languages.map((l) => merger.merge(r, l)));
}

/** The plain pdfkit route, as the pdfkit documentation shows it: fonts given by path, one document per letter. */
async function baseline(csv, out) {
  const PDFDocument = require(require.resolve('pdfkit', { paths: [ROOT] }));
  const { parseMarkdown } = require(path.join(ROOT, 'dist', 'markup', 'markdown.js'));
  const regular = path.join(fontsDir('@embedpdf/fonts-latin'), 'NotoSans-Regular.ttf');
  const bold = path.join(fontsDir('@embedpdf/fonts-latin'), 'NotoSans-Bold.ttf');
  const letters = await lettersOf(csv);
  const t0 = process.hrtime.bigint();
  for (const [i, m] of letters.entries()) {
    const doc = new PDFDocument({ size: 'A4', margins: { top: 48, left: 68, right: 56, bottom: 78 }, info: { Title: m.subject, CreationDate: new Date(2021, 8, 3) } });
    const done = new Promise((resolve) => doc.pipe(fs.createWriteStream(path.join(out, `${i}.pdf`))).on('finish', resolve));
    doc.font(bold).fontSize(13).text(m.organization);
    doc.moveDown().fontSize(12).text(m.office, { continued: true }).font(regular).fontSize(11).text(m.dateLine, { align: 'right' });
    doc.moveDown().fontSize(9.5);
    const top = doc.y;
    doc.text(`${m.labels.reference} ${m.reference}\n${m.labels.contact} ${m.contact.name}\n${m.labels.telephone} ${m.contact.telephone}\n${m.labels.fax} ${m.contact.fax}\n${m.labels.email} ${m.contact.email}`, 68, top, { width: 230 });
    doc.text(m.addressee.join('\n'), 320, top, { width: 219 });
    doc.moveDown(2).fontSize(11).text(m.labels.subject, 68, doc.y, { continued: true }).font(bold).text(` ${m.subject}`).font(regular).moveDown();
    for (const block of parseMarkdown(m.body)) {
      const text = 'runs' in block ? block.runs.map((r) => r.text).join('') : '';
      doc.text(text, { align: 'justify' }).moveDown(0.5);
    }
    doc.moveDown().text(m.closing).moveDown(3).font(bold).text(m.sender.name).font(regular).text(m.sender.title);
    doc.end();
    await done;
  }
  return { letters: letters.length, ns: process.hrtime.bigint() - t0 };
}

/**
 * Typst: one warm in-process compiler, a source per letter, laying out the same letter as
 * lettermerge: the letterhead with its rule, the office and date line, the reference and contact
 * block beside the addressee, the subject, the body, the closing, the signature image (the
 * campaign's own), the name and title, the annex line, and the footer with page numbers.
 */
async function typst(csv, out) {
  const { NodeCompiler } = require('@myriaddreamin/typst-ts-node-compiler');
  const { parseMarkdown } = require(path.join(ROOT, 'dist', 'markup', 'markdown.js'));
  fs.copyFileSync(path.join(lib().DEFAULT_CAMPAIGN, 'signature.svg'), path.join(out, 'signature.svg'));
  const compiler = NodeCompiler.create({
    workspace: out,
    fontArgs: [{ fontPaths: [fontsDir('@embedpdf/fonts-latin'), fontsDir('@embedpdf/fonts-arabic'), fontsDir('@embedpdf/fonts-sc')] }],
  });
  const str = (s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const inline = (r) => {
    let t = `#${r.bold ? 'strong' : r.italic ? 'emph' : 'text'}(${str(r.text)})`;
    if (r.link) t = `#link(${str(r.link)})[${t}]`;
    return t;
  };
  const letters = await lettersOf(csv);
  const t0 = process.hrtime.bigint();
  for (const [i, m] of letters.entries()) {
    const body = parseMarkdown(m.body).map((b) => ('runs' in b ? b.runs.map(inline).join('') : '')).join('\n\n');
    const contact = [
      [m.labels.reference, m.reference],
      [m.labels.contact, m.contact.name],
      [m.labels.telephone, m.contact.telephone],
      [m.labels.fax, m.contact.fax],
      [m.labels.email, m.contact.email],
    ].map(([k, v]) => `#${str(k)} #${str(v)}`);
    const src = [
      `#set page(paper: "a4", margin: (top: 48pt, left: 68pt, right: 56pt, bottom: 78pt), footer: [#set text(size: 8pt, fill: rgb("#555555")); #${str(m.footer ?? '')} #h(1fr) #context counter(page).display("1 / 1", both: true)])`,
      `#set document(title: ${str(m.subject)})`,
      `#set text(font: ("Noto Sans", "Noto Naskh Arabic", "Noto Sans SC"), size: 11pt, lang: ${str(m.lang.code)})`,
      `#set par(justify: true)`,
      `#text(size: 13pt, weight: "bold", fill: rgb("#1b3a6b"), ${str(m.organization)})`,
      `#line(length: 100%, stroke: 0.8pt + rgb("#1b3a6b"))`,
      `#grid(columns: (1fr, auto), strong(${str(m.office)}), ${str(m.dateLine)})`,
      `#grid(columns: (1fr, 1fr), text(size: 9.5pt)[${contact.join(' \\ ')}], text(size: 9.5pt)[${m.addressee.map((s) => `#${str(s)}`).join(' \\ ')}])`,
      `${str(m.labels.subject).replace(/^/, '#')} #strong(${str(m.subject)})`,
      body,
      `#${str(m.closing)}`,
      `#image("signature.svg", height: 40pt)`,
      `#strong(${str(m.sender.name)}) \\ #${str(m.sender.title)}`,
      m.annex ? `#text(size: 9.5pt)[#${str(m.labels.annex)} #${str(m.annex)}]` : '',
    ].join('\n\n');
    const pdf = compiler.pdf({ mainFileContent: src });
    fs.writeFileSync(path.join(out, `${i}.pdf`), pdf);
  }
  return { letters: letters.length, ns: process.hrtime.bigint() - t0 };
}

/**
 * lettermerge as a user runs it: its command line (`lettermerge generate <csv> --out <dir> --json`),
 * in this process, which loads nothing of lettermerge before it. The command line sets what the
 * library leaves to its host (V8's flags for WebAssembly: see src/cli/main.ts), so a run of the
 * library alone is not what a user gets.
 */
async function lettermergeCli(args) {
  const { run } = require(path.join(ROOT, 'dist', 'cli', 'main.js'));
  // Its modules loaded before the clock starts, as the library's were: the in-process time is the work.
  require(path.join(ROOT, 'dist', 'cli', 'commands', 'generate.js'));
  let stdout = '';
  let stderr = '';
  const t0 = process.hrtime.bigint();
  const code = await run(['generate', ...args, '--json'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const ns = process.hrtime.bigint() - t0;
  if (code !== 0) throw new Error(`lettermerge exited with ${code}: ${stderr}`);
  const summary = JSON.parse(stdout);
  if (summary.failed) throw new Error(`${summary.failed} letters failed`);
  return { letters: summary.produced, ns };
}

/** lettermerge itself, PDF and e-mail both written. */
async function lettermerge(csv, out) {
  return lettermergeCli([csv, '--out', out]);
}

/** lettermerge with --sign: a throwaway RSA-2048 certificate, made here, signs every PDF. */
async function lettermergeSigned(csv, out) {
  const forge = require(require.resolve('node-forge', { paths: [ROOT] }));
  const { generateKeyPairSync } = require('node:crypto');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const name = [{ name: 'commonName', value: 'Benchmark Signatory' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(key, forge.md.sha256.create());
  const file = path.join(out, '..', `signer-${process.pid}.p12`);
  fs.writeFileSync(file, Buffer.from(forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(key, [cert], 'bench')).getBytes(), 'binary'));
  process.env.LETTERMERGE_SIGN_PASSWORD = 'bench';
  return lettermergeCli([csv, '--out', out, '--sign', file]);
}

async function main() {
  const [route, csv, out] = process.argv.slice(2);
  fs.mkdirSync(out, { recursive: true });
  const fn = { baseline, typst, lettermerge, 'lettermerge-signed': lettermergeSigned }[route];
  if (!fn) throw new Error(`unknown route ${route}`);
  const { letters, ns } = await fn(csv, out);
  // Peak resident memory of this process, worker threads included.
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ route, letters, ms: Number(ns) / 1e6, maxRssMb }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
