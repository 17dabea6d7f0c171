#!/usr/bin/env node
// npm run bench: letters per second, milliseconds per letter and peak memory for lettermerge and
// its peers, measured side by side in one run on this machine. Not a test: it only prints figures.
//
//   npm run bench                 the full run (about 5 minutes on 2 cores)
//   BENCH_QUICK=1 npm run bench   smaller data sets, for a quick look
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const quick = process.env.BENCH_QUICK === '1';
const N = {
  base: quick ? 40 : 150,
  typst: quick ? 300 : 2000,
  es: quick ? 300 : 2000,
  zh: quick ? 200 : 1000,
  mix: quick ? 300 : 2000,
  big: quick ? 3000 : 20000,
};

function ensurePeers() {
  const marker = path.join(__dirname, 'node_modules', '@myriaddreamin', 'typst-ts-node-compiler');
  if (!fs.existsSync(marker)) {
    process.stderr.write('Installing the benchmark peers into bench/node_modules (first run only)…\n');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: __dirname, stdio: 'inherit' });
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** A recipients file of n rows made from the bundled sample (language `lang`, or all of them). */
function dataset(dir, name, n, lang) {
  const { parse } = require(require.resolve('csv-parse/sync', { paths: [ROOT] }));
  const rows = parse(fs.readFileSync(path.join(ROOT, 'samples', 'recipients.csv')), { columns: true });
  const pool = lang === 'mix' ? rows : rows.filter((r) => r.language === lang);
  const cols = Object.keys(rows[0]);
  const cell = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [cols.join(',')];
  for (let i = 0; i < n; i++) {
    const r = { ...pool[i % pool.length], id: `b${String(i).padStart(6, '0')}` };
    if (lang === 'mix') r.language = r.language.split(';')[0];
    else r.language = lang;
    lines.push(cols.map((c) => cell(r[c])).join(','));
  }
  const file = path.join(dir, `${name}.csv`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function route(name, csv, dir) {
  const out = path.join(dir, `out-${path.basename(csv, '.csv')}-${name}`);
  const line = execFileSync(process.execPath, [path.join(__dirname, 'route.js'), name, csv, out], { encoding: 'utf8' });
  fs.rmSync(out, { recursive: true, force: true });
  return JSON.parse(line.trim().split('\n').pop());
}

function main() {
  ensurePeers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lettermerge-bench-'));
  try {
    const es = dataset(dir, `es-${N.es}`, N.es, 'es');
    const runs = [
      ['plain pdfkit (baseline), Spanish, PDF only', route('baseline', dataset(dir, `es-${N.base}`, N.base, 'es'), dir)],
      ['Typst, warm compiler, Spanish, PDF only', route('typst', dataset(dir, `es-t${N.typst}`, N.typst, 'es'), dir)],
      ['lettermerge, Spanish, PDF + e-mail', route('lettermerge', es, dir)],
      ['lettermerge, Spanish, PDF + e-mail, signed (RSA 2048)', route('lettermerge-signed', es, dir)],
      ['lettermerge, Chinese, PDF + e-mail', route('lettermerge', dataset(dir, `zh-${N.zh}`, N.zh, 'zh'), dir)],
      ['lettermerge, six languages, PDF + e-mail', route('lettermerge', dataset(dir, `mix-${N.mix}`, N.mix, 'mix'), dir)],
      [`lettermerge, six languages, ${N.big} rows`, route('lettermerge', dataset(dir, `mix-${N.big}`, N.big, 'mix'), dir)],
    ];
    const rate = (r) => r.letters / (r.ms / 1000);
    console.log(`lettermerge benchmark — ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
    console.log('');
    console.log('| route | letters | letters/s | ms/letter | peak RSS MB |');
    console.log('|---|---:|---:|---:|---:|');
    for (const [label, r] of runs) {
      console.log(`| ${label} | ${r.letters} | ${rate(r).toFixed(1)} | ${(r.ms / r.letters).toFixed(2)} | ${r.maxRssMb.toFixed(0)} |`);
    }
    const [base, ty, lmEs, lmSigned, lmZh, lmMix, lmBig] = runs.map((x) => x[1]);
    console.log('');
    console.log(`lettermerge Spanish vs plain pdfkit: ${(rate(lmEs) / rate(base)).toFixed(1)}x (target: at least 20x)`);
    console.log(`lettermerge Spanish vs Typst:       ${(rate(lmEs) / rate(ty)).toFixed(2)}x (Typst is the mark to pass)`);
    console.log(`Signing costs:                      ${((1 - rate(lmSigned) / rate(lmEs)) * 100).toFixed(0)}% of the Spanish rate (${((lmSigned.ms / lmSigned.letters) - (lmEs.ms / lmEs.letters)).toFixed(2)} ms a letter)`);
    console.log(`Chinese rate / Spanish rate:        ${(rate(lmZh) / rate(lmEs)).toFixed(2)} (target: at least 0.5)`);
    console.log(`Peak RSS, ${N.big} vs ${N.mix} rows:       ${lmBig.maxRssMb.toFixed(0)} MB vs ${lmMix.maxRssMb.toFixed(0)} MB, ${(((lmBig.maxRssMb / lmMix.maxRssMb) - 1) * 100).toFixed(1)}% more (targets: under 400 MB, within 15%)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
