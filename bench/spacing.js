#!/usr/bin/env node
// Inter-word spacing of justified lines, lettermerge against Typst, on the same letters.
//
//   npm run build && node bench/spacing.js [lettermerge-root]
//   SPACING_LOOSEST=1 node bench/spacing.js    also prints each route's loosest line
//
// Both routes' PDFs are read the same way, with poppler's pdftotext -bbox: the words of each line
// that runs from margin to margin (a justified line; the last line of a paragraph is left out),
// and the gaps between them as a multiple of the normal space (Noto Sans: 0.26 em at 11 pt).
// Prints the largest, the mean and the smallest gap per language and route.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const LEFT = 68;
const RIGHT = 595.28 - 56;
const NORMAL_SPACE = 0.26 * 11;

function gaps(pdf) {
  const xml = execFileSync('pdftotext', ['-bbox', pdf, '-'], { encoding: 'utf8' });
  const lines = new Map();
  for (const m of xml.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
    const [xMin, yMin, xMax, yMax] = m.slice(1, 5).map(Number);
    // Body text only: 11 pt lines (about 15 pt tall boxes), not the smaller blocks.
    if (yMax - yMin < 12 || yMax - yMin > 18) continue;
    const key = `${Math.round(yMax * 2)}:${xml.slice(0, m.index).split('<page').length}`;
    if (!lines.has(key)) lines.set(key, []);
    lines.get(key).push([xMin, xMax, m[5]]);
  }
  const out = [];
  for (const words of lines.values()) {
    words.sort((a, b) => a[0] - b[0]);
    if (words.length < 4 || Math.abs(words[0][0] - LEFT) > 1.5 || Math.abs(words[words.length - 1][1] - RIGHT) > 1.5) continue;
    const line = [];
    for (let i = 1; i < words.length; i++) line.push((words[i][0] - words[i - 1][1]) / NORMAL_SPACE);
    // Two columns on one line (the office and the date) are not a justified line.
    if (Math.max(...line) < 8) {
      out.push(...line);
      const text = words.map((w) => w[2]).join(' ');
      if (!out.loosest || Math.max(...line) > out.loosest.gap) out.loosest = { gap: Math.max(...line), text };
    }
  }
  return out;
}

/** All gaps of several PDFs, and the loosest line among them. */
function allGaps(pdfs) {
  const all = [];
  for (const pdf of pdfs) {
    const g = gaps(pdf);
    all.push(...g);
    if (g.loosest && (!all.loosest || g.loosest.gap > all.loosest.gap)) all.loosest = g.loosest;
  }
  return all;
}

function stats(xs) {
  if (xs.length === 0) return 'no justified lines found';
  const max = Math.max(...xs);
  const min = Math.min(...xs);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return `largest ${max.toFixed(2)}, mean ${mean.toFixed(2)}, smallest ${min.toFixed(2)} (${xs.length} gaps)`;
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lettermerge-spacing-'));
  try {
    const sample = fs.readFileSync(path.join(ROOT, 'samples', 'recipients.csv'), 'utf8');
    const lm = require(path.join(ROOT, 'dist', 'index.js'));
    for (const lang of ['es', 'en', 'fr', 'ru']) {
      const csv = path.join(dir, `${lang}.csv`);
      const { parse } = require(require.resolve('csv-parse/sync', { paths: [ROOT] }));
      const rows = parse(sample, { columns: true }).filter((r) => r.language.split(';')[0] === lang);
      const cols = Object.keys(rows[0]);
      const cell = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
      fs.writeFileSync(csv, [cols.join(','), ...rows.map((r) => cols.map((c) => cell(c === 'language' ? lang : r[c])).join(','))].join('\n') + '\n');
      const lmOut = path.join(dir, `lm-${lang}`);
      execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lettermerge.js'), 'generate', csv, '--out', lmOut, '--jobs', '1'], { stdio: 'ignore' });
      const tyOut = path.join(dir, `ty-${lang}`);
      execFileSync(process.execPath, [path.join(__dirname, 'route.js'), 'typst', csv, tyOut], { stdio: 'ignore' });
      const lmGaps = allGaps(fs.readdirSync(path.join(lmOut, lang)).filter((f) => f.endsWith('.pdf')).map((f) => path.join(lmOut, lang, f)));
      const tyGaps = allGaps(fs.readdirSync(tyOut).filter((f) => f.endsWith('.pdf')).map((f) => path.join(tyOut, f)));
      console.log(`${lang}: lettermerge ${stats(lmGaps)}; Typst ${stats(tyGaps)}`);
      if (process.env.SPACING_LOOSEST) {
        console.log(`  loosest lettermerge line: ${lmGaps.loosest?.text}`);
        console.log(`  loosest Typst line:       ${tyGaps.loosest?.text}`);
      }
      void lm;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
