#!/usr/bin/env node
// `npm test` after the build: prepares the peers (real servers), runs every jest suite against the
// NATS floor (Debian's 2.9), then the NATS suites again against the current release, and ends with
// ONE summary over both passes: the counts in jest's summary layout (Test Suites/Tests/Time), then
// the plain closing line "tests: N passed, N failed, N skipped" as the last line of stdout and stderr.
// Exits non-zero on any failure. Extra arguments go to jest (and narrow both passes).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const natsPeer = require('../tests/peers/nats');

const ROOT = path.resolve(__dirname, '..');
const JEST = require.resolve('jest/bin/jest');

/**
 * The suites run a second time against the current NATS release: those that start a real
 * nats-server (integration, process and system tests). Listed in tests/peers/README.md.
 */
const NATS_SUITES = [
  /\.integration\.test\.ts$/,
  /\/(nats|streams|rpc|kv|testing|service-kit)\.test\.ts$/,
  /process\.test\.ts$/,
  /\/solver\/src\/crash\.test\.ts$/,
  /\/tests\/system\/flow\.test\.ts$/,
  /\/tests\/peers\/peers\.test\.ts$/,
];

function say(msg) {
  process.stderr.write(`[tests] ${msg}\n`);
}

/** Runs jest with --json; resolves the exit status and its results (null when jest crashed). */
function runJest(args, env) {
  const t0 = Date.now();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fillsched-jest-')), 'results.json');
  const res = spawnSync(process.execPath, [JEST, '--json', `--outputFile=${out}`, ...args], {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let results = null;
  try {
    results = JSON.parse(fs.readFileSync(out, 'utf8'));
  } catch {
    /* jest crashed before writing results */
  }
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  say(`jest pass took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return { status: res.status === null ? 1 : res.status, results };
}

function natsSuites(jestArgs) {
  const res = spawnSync(process.execPath, [JEST, '--listTests', ...jestArgs], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`jest --listTests failed: ${res.stderr}`);
  const files = res.stdout.split('\n').filter((f) => f.trim());
  return files.filter((f) => NATS_SUITES.some((re) => re.test(f.split(path.sep).join('/'))));
}

function describeBinary(flavor) {
  const bin = natsPeer.natsServerBinary(flavor);
  return { bin, label: `nats-server ${natsPeer.natsServerVersion(bin) ?? '(unknown version)'} (${flavor})` };
}

/** The combined counts in the layout of jest's closing summary. */
function jestStyleSummary(sum, seconds) {
  const part = (n, word) => (n ? [`${n} ${word}`] : []);
  const suites = [...part(sum.failedSuites, 'failed'), ...part(sum.passedSuites, 'passed')];
  const tests = [
    ...part(sum.failed, 'failed'),
    ...part(sum.skipped, 'skipped'),
    ...part(sum.passed, 'passed'),
  ];
  return [
    `Test Suites: ${[...suites, `${sum.suites} total`].join(', ')}`,
    `Tests:       ${[...tests, `${sum.failed + sum.skipped + sum.passed} total`].join(', ')}`,
    'Snapshots:   0 total',
    `Time:        ${seconds.toFixed(3)} s`,
    'Ran all test suites.',
  ].join('\n');
}

function main() {
  const t0 = Date.now();
  const jestArgs = process.argv.slice(2);

  const prep = spawnSync(process.execPath, [path.join(ROOT, 'tests', 'peers', 'prepare.js')], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (prep.status !== 0) {
    say('peer set-up failed (see above); no tests were run');
    console.log('\ntests: 0 passed, 0 failed, 0 skipped (not run: peer set-up failed)');
    return 1;
  }

  const floor = natsPeer.availability('floor').ok ? describeBinary('floor') : null;
  const current = natsPeer.availability('current').ok ? describeBinary('current') : null;
  const first = floor || current;
  const passes = [];

  say(`pass 1: every suite against ${first ? first.label : 'no nats-server (its suites will fail)'}`);
  passes.push(runJest(jestArgs, first ? { [natsPeer.SERVER_ENV]: first.bin } : {}));

  if (floor && current) {
    const files = natsSuites(jestArgs);
    if (files.length) {
      say(`pass 2: ${files.length} NATS suites against ${current.label}`);
      passes.push(runJest(['--runTestsByPath', ...files], { [natsPeer.SERVER_ENV]: current.bin }));
    } else say('pass 2: no NATS suite among the selected tests');
  } else if (!current) {
    // CI never gets here: prepare.js fails the run when the current release cannot be built.
    say(`pass 2 skipped: ${natsPeer.availability('current').reason}`);
  }

  const sum = { passed: 0, failed: 0, skipped: 0, failedSuites: 0, suites: 0, passedSuites: 0 };
  let crashed = false;
  for (const { results } of passes) {
    if (!results) {
      crashed = true;
      continue;
    }
    sum.passed += results.numPassedTests;
    sum.failed += results.numFailedTests;
    sum.skipped += results.numPendingTests + results.numTodoTests;
    sum.failedSuites += results.numFailedTestSuites + (results.numRuntimeErrorTestSuites || 0);
    sum.suites += results.numTotalTestSuites;
    sum.passedSuites += results.numPassedTestSuites;
  }
  const notes = [];
  if (sum.failedSuites) notes.push(`${sum.failedSuites} suites failed`);
  if (crashed) notes.push('a jest pass crashed before reporting');
  console.log(`\n${jestStyleSummary(sum, (Date.now() - t0) / 1000)}`);
  // The plain line closes the run on both streams: CI's reader takes the last line of the output,
  // and jest writes its own report to stderr, so the line must end stderr as well as stdout.
  const closing =
    `tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped` +
    (notes.length ? ` (${notes.join('; ')})` : '');
  process.stderr.write(`\n${closing}\n`);
  console.log(closing);
  const failed = crashed || passes.some((p) => p.status !== 0);
  return failed ? 1 : 0;
}

process.exit(main());
