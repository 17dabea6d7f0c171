const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // Jest's default is one worker fewer than the cores, which on a two-core machine runs the suites
  // one after another. Most suites wait on child processes (the CLI, qpdf, poppler, chromium) for
  // much of their time, so two at once finish the suite in about two thirds of the time there.
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // End-to-end tests render real PDFs and read them back with real parsers.
  testTimeout: 120000,
};
