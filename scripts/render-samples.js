#!/usr/bin/env node
// Renders page 1 of one sample letter per language to docs/sample-<lang>.png, and the first page
// of the sample's proof to docs/proof-sample.png, and the live preview page to
// docs/preview-serve.png when chromium is there (for the README).
// Needs pdftoppm from poppler-utils (Debian: apt-get install poppler-utils).
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { generate, proof } = require('../dist/index.js');

async function main() {
  const root = path.resolve(__dirname, '..');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lettermerge-samples-'));
  try {
    const result = await generate({ csv: path.join(root, 'samples', 'recipients.csv'), out: tmp });
    const manifest = readFileSync(result.manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const seen = new Set();
    for (const entry of manifest) {
      if (entry.status !== 'ok' || seen.has(entry.language)) continue;
      seen.add(entry.language);
      const prefix = path.join(root, 'docs', `sample-${entry.language}`);
      execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', path.join(tmp, entry.files.pdf.path), prefix]);
      process.stderr.write(`docs/sample-${entry.language}.png  (${entry.id})\n`);
    }
    const proofPdf = path.join(tmp, 'proof.pdf');
    await proof({ csv: path.join(root, 'samples', 'recipients.csv'), out: proofPdf });
    execFileSync('pdftoppm', ['-png', '-r', '80', '-f', '1', '-l', '1', '-singlefile', proofPdf, path.join(root, 'docs', 'proof-sample')]);
    process.stderr.write('docs/proof-sample.png  (the first page of the proof)\n');
    await previewShot(root);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The live preview page (preview --serve) in chromium, when there is one, to docs/preview-serve.png. */
async function previewShot(root) {
  const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromiumPath) {
    process.stderr.write('docs/preview-serve.png not made: no chromium (apt-get install chromium)\n');
    return;
  }
  const { chromium } = require('playwright-core');
  const { servePreview } = require('../dist/preview/server.js');
  const server = await servePreview({ csv: path.join(root, 'samples', 'recipients.csv'), port: 0 });
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.shown === 'gov-es-001:es');
    await page.click('li[data-id="gov-ar-019"]');
    await page.waitForFunction(() => document.body.dataset.shown === 'gov-ar-019:ar');
    // The status line holds a time that changes from run to run.
    await page.evaluate(() => (document.getElementById('status').textContent = ''));
    await page.screenshot({ path: path.join(root, 'docs', 'preview-serve.png') });
    process.stderr.write('docs/preview-serve.png  (preview --serve, gov-ar-019)\n');
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
