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
// Until the command has finished, the exit status is 1: a run that stops without finishing (work
// that never completed, so Node had nothing left to wait for) must never look like a success.
let finished = false;
process.exitCode = 1;
process.on('exit', (code) => {
  if (!finished && code === 1) {
    process.stderr.write('lettermerge: internal error: the command stopped before it finished. This is a bug in lettermerge; run again with --debug and report it.\n');
  }
});
// The reader of our output went away (`lettermerge … --help | head`): stop quietly, as a program
// killed by SIGPIPE does (status 141), rather than crash on the next write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') {
      finished = true;
      process.exit(141);
    }
    throw err;
  });
}
cli.run(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (err) => {
    finished = true;
    process.stderr.write(`lettermerge: internal error: ${err && err.message ? err.message : err}\n`);
    if (process.argv.includes('--debug') && err && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
