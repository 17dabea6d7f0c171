#!/usr/bin/env node
// npm run bench: letters per second, milliseconds per letter and peak memory for lettermerge and
// its peers, measured side by side in one run on this machine. Not a test: it only prints figures.
//
//   npm run bench                  the full run (about 5 minutes on 2 cores)
//   BENCH_QUICK=1 npm run bench    smaller data sets, for a quick look
//   BENCH_REPEAT=3 npm run bench   three rounds of every route: medians, the range of whole-process times, and
//                                  each ratio taken between the runs of one round (median and range over rounds)
//   BENCH_SETTLE=0 npm run bench   start at once, even if creating a file is still slow after files were removed
//                                  (after npm test, say); by default the run waits up to 3 minutes (see settle)
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { variedCsv } = require('./varied');

const ROOT = path.resolve(__dirname, '..');
const quick = process.env.BENCH_QUICK === '1';
/** Rounds of every route (BENCH_REPEAT=3): the table gives the median and the range. */
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT || 1));
const N = {
  small: 300,
  es: quick ? 600 : 2000,
  zh: quick ? 300 : 2000,
  mix: quick ? 600 : 2000,
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

/**
 * A recipients file of n varied rows (see varied.js): a different person, organisation, position
 * and address on every row, in language `lang` or six languages mixed ('mix'). Repeating a few
 * rows would let every cache hit, which real lists never do.
 */
function dataset(dir, lang, n) {
  const file = path.join(dir, `${lang}-${n}.csv`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, variedCsv(n, lang, 1));
  return file;
}

/** Microseconds to create a file here: `n` new files made in `dir` (and left there), one at a time. */
function creationMicros(dir, n = 100) {
  fs.mkdirSync(dir, { recursive: true });
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fs.closeSync(fs.openSync(path.join(dir, `${Date.now()}-${i}`), 'wx'));
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

/**
 * Waits, at most 3 minutes, until creating a file costs what it does on a quiet disk. On an ext4
 * file system without a journal (this machine's), the kernel does not hand out again an inode
 * freed in the last minute, nor one whose freeing is not yet written to disk, and it looks at each
 * such inode in turn for every file it creates: just after `npm test` (which removes thousands of
 * temporary files) a file took 300-550 µs of the kernel's time to create, against 40-80 µs two
 * minutes later. lettermerge creates two files a letter and Typst one, so a bench started then
 * would measure the disk's memory of the last test run, against lettermerge. BENCH_SETTLE=0 skips
 * the wait.
 */
function settle(dir) {
  const quiet = 150;
  let us = creationMicros(dir);
  if (process.env.BENCH_SETTLE === '0') return us;
  const until = Date.now() + 180_000;
  if (us > quiet) process.stderr.write(`Creating a file takes ${us.toFixed(0)} µs here, against under ${quiet} on a quiet disk (files were removed in the last minutes): waiting for that to pass…\n`);
  while (us > quiet && Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
    us = creationMicros(dir);
  }
  return us;
}

/**
 * One route in its own process. The whole process is timed from outside, start to exit (start-up,
 * module loading, fonts, workers and the checking pass included); the route reports the time of
 * the work itself, measured inside, and its peak memory.
 */
let runs = 0;

/**
 * Each run writes into a folder of its own, and the folders are removed together at the end:
 * removing thousands of files slows the file creation that follows (see settle), which would fall
 * on whichever route ran next.
 */
function routeOnce(name, csv, dir) {
  const out = path.join(dir, `out-${++runs}-${path.basename(csv, '.csv')}-${name}`);
  const t0 = process.hrtime.bigint();
  const line = execFileSync(process.execPath, [path.join(__dirname, 'route.js'), name, csv, out], { encoding: 'utf8' });
  const wholeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ...JSON.parse(line.trim().split('\n').pop()), wholeMs };
}

/** The middle value; with an even count, the mean of the two middle ones. */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor((s.length - 1) / 2);
  return s.length % 2 ? s[m] : (s[m] + s[m + 1]) / 2;
};

/** A route's runs summed up: medians, and the range of the whole-process times. */
function summary(runs) {
  const pick = (k) => runs.map((r) => r[k]);
  return {
    letters: runs[0].letters,
    ms: median(pick('ms')),
    wholeMs: median(pick('wholeMs')),
    maxRssMb: median(pick('maxRssMb')),
    spread: runs.length > 1 ? { whole: [Math.min(...pick('wholeMs')), Math.max(...pick('wholeMs'))] } : undefined,
  };
}

/**
 * Every route once per round, in `order` (indexes into `routes`; the table's order when left out),
 * and the rounds one after the other: this machine's speed drifts over minutes (by half on some
 * days), and a ratio is fair only between runs made close together, not between one route's three
 * runs and the next route's three.
 */
function measure(routes, dir, order = routes.map((_, i) => i)) {
  const runs = routes.map(() => []);
  for (let round = 0; round < repeat; round++) {
    for (const i of order) runs[i].push(routeOnce(routes[i][1], routes[i][2], dir));
  }
  return routes.map(([label], i) => [label, { ...summary(runs[i]), runs: runs[i] }]);
}

/**
 * A ratio between two routes: `f` of their runs of the same round (made minutes apart, where the
 * medians of their rounds may come from different stretches of a drifting machine), the median
 * over the rounds, and with several rounds their range.
 */
function roundRatio(a, b, f) {
  const values = a.runs.map((run, i) => f(run, b.runs[i]));
  return { value: median(values), range: values.length > 1 ? [Math.min(...values), Math.max(...values)] : undefined };
}

function main() {
  ensurePeers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lettermerge-bench-'));
  try {
    const creation = settle(path.join(dir, 'probe'));
    const es = dataset(dir, 'es', N.es);
    const es300 = dataset(dir, 'es', N.small);
    const rows = measure(
      [
        ['plain pdfkit (baseline), Spanish, PDF only', 'baseline', es300],
        ['Typst, warm compiler, Spanish, PDF only', 'typst', es],
        ['lettermerge, Spanish, PDF + e-mail', 'lettermerge', es300],
        ['lettermerge, Spanish, PDF + e-mail', 'lettermerge', es],
        ['lettermerge, Spanish, PDF + e-mail, signed (RSA 2048)', 'lettermerge-signed', es],
        ['lettermerge, Chinese, PDF + e-mail', 'lettermerge', dataset(dir, 'zh', N.zh)],
        ['lettermerge, six languages, PDF + e-mail', 'lettermerge', dataset(dir, 'mix', N.mix)],
        ['lettermerge, six languages, PDF + e-mail', 'lettermerge', dataset(dir, 'mix', N.big)],
      ],
      dir,
      // The Chinese and six-language lists run right after the Spanish one they are compared with
      // (the signed run after them): in the table's order a signed run came between, and their
      // ratios swung with the machine by ±0.2 from round to round.
      [0, 1, 2, 3, 5, 6, 4, 7],
    );
    const rate = (r) => r.letters / (r.ms / 1000);
    const whole = (r) => r.letters / (r.wholeMs / 1000);
    const secs = (ms) => (ms / 1000).toFixed(2);
    console.log(`lettermerge benchmark — ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, varied rows (a different person and organisation on every row)${repeat > 1 ? `, median of ${repeat} runs` : ''}, creating a file ${creation.toFixed(0)} µs`);
    console.log('');
    console.log('| route | letters | whole process, s | letters/s, whole process | letters/s, in process | peak RSS MB |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [label, r] of rows) {
      const range = r.spread ? ` (${secs(r.spread.whole[0])}–${secs(r.spread.whole[1])})` : '';
      console.log(`| ${label} | ${r.letters} | ${secs(r.wholeMs)}${range} | ${whole(r).toFixed(1)} | ${rate(r).toFixed(1)} | ${r.maxRssMb.toFixed(0)} |`);
    }
    const [base, ty, lm300, lmEs, lmSigned, lmZh, lmMix, lmBig] = rows.map((x) => x[1]);
    const ratio = (r, target) => `${r.value.toFixed(2)}x${r.range ? ` (rounds ${r.range[0].toFixed(2)}–${r.range[1].toFixed(2)})` : ''} (target: at least ${target}x)`;
    console.log('');
    if (repeat > 1) console.log(`Ratios: the median of the ${repeat} rounds' ratios, each between runs of the same round.`);
    console.log(`lettermerge vs Typst, ${N.es} Spanish letters, whole process:   ${ratio(roundRatio(lmEs, ty, (a, b) => whole(a) / whole(b)), 1.0)}`);
    console.log(`lettermerge vs plain pdfkit, ${N.small} letters, whole process: ${ratio(roundRatio(lm300, base, (a, b) => whole(a) / whole(b)), 25)}`);
    console.log(`Chinese rate / Spanish rate (in process):               ${ratio(roundRatio(lmZh, lmEs, (a, b) => rate(a) / rate(b)), 0.9)}`);
    console.log(`Six languages mixed / Spanish rate (in process):        ${ratio(roundRatio(lmMix, lmEs, (a, b) => rate(a) / rate(b)), 0.8)}`);
    console.log(`Signing costs:                                           ${((1 - rate(lmSigned) / rate(lmEs)) * 100).toFixed(0)}% of the Spanish rate (${(lmSigned.ms / lmSigned.letters - lmEs.ms / lmEs.letters).toFixed(2)} ms a letter)`);
    const growth = roundRatio(lmBig, lmMix, (a, b) => a.maxRssMb / b.maxRssMb - 1);
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const rounds = growth.range ? `; per round ${pct(growth.range[0])}–${pct(growth.range[1])} more, median ${pct(growth.value)}` : `, ${pct(growth.value)} more`;
    console.log(`Peak RSS, ${N.big} vs ${N.mix} six-language rows:            ${lmBig.maxRssMb.toFixed(0)} MB vs ${lmMix.maxRssMb.toFixed(0)} MB${growth.range ? ' (medians)' : ''}${rounds} (targets: at most 400 MB, within 10%)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
