const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // Jest's default is one worker fewer than the cores, which on a two-core machine runs the suites
  // one after another. Most suites wait on child processes (the CLI, qpdf, poppler, chromium) for
  // much of their time, so two at once finish the suite in about two thirds of the time there.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  // A worker ends the run holding 1.2-1.4 GB (the suites' fonts, PDFs and compiled modules), and
  // Node frees that heap as it exits: 0.5-1.5 s on these machines, after its last handle is
  // closed. At Jest's default of 500 ms it was killed and reported as "failed to exit gracefully",
  // which reads like a leaked server or timer where there is none.
  workerGracefulExitTimeout: 5000,
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // End-to-end tests render real PDFs and read them back with real parsers.
  testTimeout: 120000,
};
