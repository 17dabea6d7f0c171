#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main')) {
    process.stderr.write('lettermerge: not built yet. Run "npm install" (or "npm run build") in the lettermerge folder.\n');
    process.exit(1);
  }
  throw err;
}
cli.run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lettermerge: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
