#!/usr/bin/env node
// API latency benchmark (issues 4 and 8): p50/p99 of `GET /api/v1/schedule/{id}` and of login at
// 50 concurrent clients through the whole platform (gateway → NATS → service → store), each service
// its own process, beside the gateway-only floor (GET /health) measured in the same run. With
// `--baseline <git-ref>` the same load runs first against that commit (exported and built in a temp
// directory, see baseline.mjs), and the table shows both and the ratio. No assertions.
// Usage: npm run bench:api [-- --seconds 10] [-- --baseline HEAD~1]
import { createRequire } from 'node:module';
import { baselineArg, baselinePlatform, describeCommit } from './baseline.mjs';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');
const baselineRef = baselineArg();

const argSeconds = process.argv.indexOf('--seconds');
const seconds = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 10;
const CLIENTS = 50;
const password = 'SecurePass123!';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Latency of one request, or null when it was not answered with 2xx (counted, not timed). */
async function timed(fn) {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  return res.ok ? performance.now() - t : null;
}

/** `clients` closed loops for `secs` seconds: the latencies of the 2xx answers and the errors. */
async function closedLoop(clients, secs, makeRequest) {
  const xs = [];
  let errors = 0;
  const deadline = performance.now() + secs * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (performance.now() < deadline) {
        const ms = await timed(() => makeRequest(i));
        if (ms === null) errors++;
        else xs.push(ms);
      }
    }),
  );
  return { xs, errors, secs };
}

/** Samples of one route over all its slices → a table row. */
function row(label, slices) {
  const xs = slices.flatMap((s) => s.xs);
  const secs = slices.reduce((a, s) => a + s.secs, 0);
  return {
    label,
    n: xs.length,
    errors: slices.reduce((a, s) => a + s.errors, 0),
    p50: pct(xs, 50),
    p99: pct(xs, 99),
    rps: xs.length / secs,
  };
}

/** One platform (this checkout's or the baseline's) with 50 users, each with a completed schedule. */
async function prepare(start) {
  const platform = await start({
    privateNats: true,
    gatewayPort: 0,
    solvers: 1,
    stdio: 'ignore',
    env: { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' },
  });
  try {
    return { platform, loads: await seed(platform) };
  } catch (err) {
    await platform.stop();
    throw err;
  }
}

/** 50 users with a completed schedule each; the three loads over them. */
async function seed(platform) {
  const base = `${platform.gatewayUrl}/api/v1`;
  const users = [];
  for (let i = 0; i < CLIENTS; i++) {
    const email = `bench${i}@example.com`;
    await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const login = await (
      await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: email, password }),
      })
    ).json();
    const headers = { Authorization: `Bearer ${login.access_token}`, 'Content-Type': 'application/json' };
    const created = await (
      await fetch(`${base}/schedule`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'bench',
          lots_data: [
            { lot_id: 'A', product: 'X', quantity: 100000 },
            { lot_id: 'B', product: 'Y', quantity: 200000 },
          ],
        }),
      })
    ).json();
    users.push({ email, headers, scheduleId: created.id });
  }
  // wait until every schedule is completed so GET returns the full result document
  for (const u of users) {
    for (;;) {
      const s = await (await fetch(`${base}/schedule/${u.scheduleId}`, { headers: u.headers })).json();
      if (s.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    'GET /schedule/{id}': (i) =>
      fetch(`${base}/schedule/${users[i].scheduleId}`, { headers: users[i].headers }),
    'POST /auth/login': (i) =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: users[i].email, password }),
      }),
    'GET /health (gateway only)': () => fetch(`${platform.gatewayUrl}/health`),
  };
}

// With a baseline both platforms are up at once (the idle one costs next to nothing) and the loads
// alternate between them in `rounds` slices, so drift in the machine's load hits both alike.
const rounds = baselineRef ? 3 : 1;
const runs = [];
try {
  if (baselineRef)
    runs.push({
      name: `baseline ${describeCommit(baselineRef)}`,
      ...(await prepare(baselinePlatform(baselineRef).startPlatform)),
    });
  runs.push({ name: `this checkout ${describeCommit('HEAD')}`, ...(await prepare(startPlatform)) });
  for (const run of runs) run.slices = {};
  for (let r = 0; r < rounds; r++)
    for (const label of ['GET /schedule/{id}', 'GET /health (gateway only)', 'POST /auth/login'])
      for (const run of runs)
        (run.slices[label] ??= []).push(await closedLoop(CLIENTS, seconds / rounds, run.loads[label]));
  for (const run of runs) run.rows = Object.entries(run.slices).map(([label, sl]) => row(label, sl));
} finally {
  for (const run of runs) await run.platform.stop();
}

const fmt = (x) => (x === undefined ? '-' : x.toFixed(1));
console.log(
  `\n${CLIENTS} concurrent clients, closed loop, ${seconds} s per route and platform${rounds > 1 ? ` in ${rounds} alternating slices` : ''}`,
);
for (const run of runs) {
  console.log(`\n${run.name}`);
  console.log('route                       | requests | errors | p50 ms | p99 ms | req/s');
  for (const r of run.rows)
    console.log(
      `${r.label.padEnd(27)} | ${String(r.n).padStart(8)} | ${String(r.errors).padStart(6)} | ${fmt(r.p50).padStart(6)} | ${fmt(r.p99).padStart(6)} | ${r.rps.toFixed(0)}`,
    );
}
if (runs.length === 2) {
  const [before, after] = runs.map((run) => run.rows);
  console.log('\nthis checkout ÷ baseline, requests/s (same run):');
  for (const r of after) {
    const b = before.find((x) => x.label === r.label);
    if (b)
      console.log(
        `  ${r.label.padEnd(27)} ${(r.rps / b.rps).toFixed(2)}×  (${b.rps.toFixed(0)} → ${r.rps.toFixed(0)} req/s)`,
      );
  }
}
console.log(
  '(shared, noisy 2-core machine running all services, NATS and the client: compare ratios within one run)',
);
