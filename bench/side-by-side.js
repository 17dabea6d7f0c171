#!/usr/bin/env node
// Page 1 of the same letter set by lettermerge (left) and by Typst (right), for Spanish, Arabic
// and Chinese, to docs/typeset-<lang>.png: to compare the typesetting by eye.
//
//   npm run build && node bench/side-by-side.js
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PNG } = require(require.resolve('pngjs', { paths: [path.join(__dirname, '..')] }));

const ROOT = path.resolve(__dirname, '..');
const PICK = { es: 'gov-es-001', ar: 'gov-ar-019', zh: 'intl-zh-017' };

function page1(pdf, prefix) {
  execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', '-singlefile', pdf, prefix]);
  return PNG.sync.read(fs.readFileSync(`${prefix}.png`));
}

function beside(a, b, gap = 16) {
  const out = new PNG({ width: a.width + gap + b.width, height: Math.max(a.height, b.height) });
  out.data.fill(255);
  PNG.bitblt(a, out, 0, 0, a.width, a.height, 0, 0);
  PNG.bitblt(b, out, 0, 0, b.width, b.height, a.width + gap, 0);
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lettermerge-side-'));
try {
  const lines = fs.readFileSync(path.join(ROOT, 'samples', 'recipients.csv'), 'utf8');
  const { parse } = require(require.resolve('csv-parse/sync', { paths: [ROOT] }));
  const rows = parse(lines, { columns: true });
  const cols = Object.keys(rows[0]);
  const cell = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  for (const [lang, id] of Object.entries(PICK)) {
    const row = rows.find((r) => r.id === id);
    const csv = path.join(dir, `${lang}.csv`);
    fs.writeFileSync(csv, `${cols.join(',')}\n${cols.map((c) => cell(c === 'language' ? lang : row[c])).join(',')}\n`);
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lettermerge.js'), 'generate', csv, '--out', path.join(dir, `lm-${lang}`)], { stdio: 'ignore' });
    execFileSync(process.execPath, [path.join(__dirname, 'route.js'), 'typst', csv, path.join(dir, `ty-${lang}`)], { stdio: 'ignore' });
    const a = page1(path.join(dir, `lm-${lang}`, lang, `${id}.pdf`), path.join(dir, `a-${lang}`));
    const b = page1(path.join(dir, `ty-${lang}`, '0.pdf'), path.join(dir, `b-${lang}`));
    fs.writeFileSync(path.join(ROOT, 'docs', `typeset-${lang}.png`), PNG.sync.write(beside(a, b)));
    process.stderr.write(`docs/typeset-${lang}.png  (${id}: lettermerge left, Typst right)\n`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
