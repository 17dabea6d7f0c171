#!/usr/bin/env node
// Bundles the preview page's script and styles (src/preview/client/) into dist/preview/, with
// pdf.js inside. Run by `npm run build` after tsc.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
esbuild
  .build({
    entryPoints: [path.join(root, 'src', 'preview', 'client', 'app.ts')],
    bundle: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    legalComments: 'linked',
    outdir: path.join(root, 'dist', 'preview'),
    entryNames: 'app',
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.gif': 'dataurl', '.cur': 'dataurl' },
    // Served by the preview server itself.
    external: ['/fonts/*'],
    logLevel: 'warning',
  })
  .catch(() => {
    process.exitCode = 1;
  });
