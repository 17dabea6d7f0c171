#!/usr/bin/env node
// Renders page 1 of one sample letter per language to docs/sample-<lang>.png, and the first page
// of the sample's proof to docs/proof-sample.png (for the README). The picture of the live
// preview, docs/preview.png, is made by its browser test when asked:
//   LETTERMERGE_UPDATE_DOCS=1 npx jest test/preview/browser.test.ts
// Needs pdftoppm from poppler-utils (Debian: apt-get install poppler-utils).
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
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
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exitCode = 1;
});
