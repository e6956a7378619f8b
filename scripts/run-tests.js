#!/usr/bin/env node
// Runs jest (all projects: unit, contract, system) and ends with one plain summary line
// "tests: N passed, N failed, N skipped" that CI tooling reads; exits non-zero on any failure.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fillsched-jest-')), 'results.json');
const args = [require.resolve('jest/bin/jest'), '--json', `--outputFile=${out}`, ...process.argv.slice(2)];
const res = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: path.resolve(__dirname, '..') });
let summary = null;
try {
  summary = JSON.parse(fs.readFileSync(out, 'utf8'));
} catch {
  /* jest crashed before writing results */
}
if (summary) {
  const skipped = summary.numPendingTests + summary.numTodoTests;
  const failedSuites = summary.numFailedTestSuites + (summary.numRuntimeErrorTestSuites || 0);
  console.log(
    `\ntests: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ${skipped} skipped` +
      (failedSuites ? ` (${failedSuites} suites failed)` : ''),
  );
}
process.exit(res.status === null ? 1 : res.status);
