#!/usr/bin/env node
// End-to-end latency benchmark (issues 2 and 8): POST /schedule → WebSocket `complete` for a 15-lot
// schedule, with 1 and 2 solver workers, at 1 and 20 concurrent clients, next to two floors measured
// in the same run: the bare NATS request/reply round trip and the engine's own solve of the same
// input (in this process, no platform). With `--baseline <git-ref>` the same runs go first against
// that commit (exported and built in a temp directory, see baseline.mjs), beside this checkout's.
// Prints a table; no assertions.
// Usage: npm run bench:e2e [-- --rounds 3] [-- --baseline HEAD~1]
import { createRequire } from 'node:module';
import { baselineArg, baselinePlatform, describeCommit } from './baseline.mjs';
import { benchLots, login } from './e2e-input.mjs';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');
const { connect } = require('@nats-io/transport-node');
const engine = require('@fillsched/engine');

const baselineRef = baselineArg();
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;
const lots = benchLots();

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

async function natsFloor(url, creds = {}, n = 2000) {
  const nc = await connect({ servers: url, ...creds });
  const sub = nc.subscribe('bench.echo');
  (async () => {
    for await (const m of sub) m.respond(m.data);
  })();
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await nc.request('bench.echo', 'x', { timeout: 2000 });
    xs.push(performance.now() - t);
  }
  await nc.close();
  return xs;
}

/** The engine alone on the bench's input: what the platform adds is the rest of POST → complete. */
async function engineFloor(n = 60) {
  const norm = engine.normalizeInput({ lots_data: lots, config: { line_count: 2 } });
  if (!norm.ok) throw new Error(`bench input rejected: ${JSON.stringify(norm.errors)}`);
  const xs = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await engine.solve(norm.instance, { strategy: 'smart-pack', timeLimitS: 30 });
    xs.push(performance.now() - t);
  }
  return xs;
}

function waitComplete(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('timeout'));
    }, 120000);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'complete' || m.type === 'error') {
        clearTimeout(timer);
        ws.close();
        if (m.type === 'complete') resolve();
        else reject(new Error(m.message));
      }
    });
    ws.on('error', reject);
  });
}

async function oneSchedule(base, token) {
  const t = performance.now();
  const res = await fetch(`${base}/api/v1/schedule`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: 'bench',
      lots_data: lots,
      strategy: 'smart-pack',
      config: { line_count: 2 },
    }),
  });
  if (res.status !== 202) throw new Error(`POST ${res.status} ${await res.text()}`);
  const { id } = await res.json();
  await waitComplete(`${base.replace(/^http/, 'ws')}/api/v1/ws/schedule/${id}?token=${token}`);
  return performance.now() - t;
}

let floor = null;
const solveFloor = await engineFloor();

/** 1 and 2 solvers × 1 and 20 clients against one platform (this checkout's or the baseline's). */
async function measure(start) {
  const rows = [];
  for (const solvers of [1, 2]) {
    const platform = await start({
      privateNats: true,
      gatewayPort: 0,
      solvers,
      stdio: 'ignore',
      env: { RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'warn' },
    });
    try {
      if (!floor) floor = await natsFloor(platform.natsUrl, platform.natsAdmin);
      const tokens = [];
      for (let i = 0; i < 20; i++) tokens.push(await login(platform.gatewayUrl, `bench${i}@example.com`));
      await oneSchedule(platform.gatewayUrl, tokens[0]); // warm-up
      for (const clients of [1, 20]) {
        const xs = [];
        const t0 = performance.now();
        for (let r = 0; r < (clients === 1 ? rounds * 10 : rounds); r++) {
          xs.push(
            ...(await Promise.all(
              tokens.slice(0, clients).map((tk) => oneSchedule(platform.gatewayUrl, tk)),
            )),
          );
        }
        const wall = (performance.now() - t0) / 1000;
        rows.push({
          solvers,
          clients,
          n: xs.length,
          p50: pct(xs, 50),
          p99: pct(xs, 99),
          rate: xs.length / wall,
        });
      }
    } finally {
      await platform.stop();
    }
  }
  return rows;
}

const runs = [];
if (baselineRef)
  runs.push({
    name: `baseline ${describeCommit(baselineRef)}`,
    rows: await measure(baselinePlatform(baselineRef).startPlatform),
  });
runs.push({ name: `this checkout ${describeCommit('HEAD')}`, rows: await measure(startPlatform) });

console.log('\nPOST /schedule → WebSocket complete, 15 lots (lots.csv), smart-pack, 2 lines');
console.log(
  `NATS request/reply floor (same run, ${floor.length} sequential): p50 ${fmt(pct(floor, 50))} ms, p99 ${fmt(pct(floor, 99))} ms`,
);
console.log(
  `engine solve alone (same run, ${solveFloor.length} sequential): p50 ${fmt(pct(solveFloor, 50))} ms, p99 ${fmt(pct(solveFloor, 99))} ms`,
);
for (const { name, rows } of runs) {
  console.log(`\n${name}`);
  console.log('solvers | clients | samples | p50 ms | p99 ms | schedules/s');
  for (const r of rows)
    console.log(
      `${String(r.solvers).padStart(7)} | ${String(r.clients).padStart(7)} | ${String(r.n).padStart(7)} | ${fmt(r.p50).padStart(6)} | ${fmt(r.p99).padStart(6)} | ${r.rate.toFixed(1)}`,
    );
  const one = rows.find((r) => r.solvers === 1 && r.clients === 1);
  if (one)
    console.log(
      `1 client, 1 solver: POST → complete p50 ${fmt(one.p50)} ms = engine p50 + ${fmt(one.p50 - pct(solveFloor, 50))} ms; p99 ${fmt(one.p99)} ms`,
    );
  const busy = rows.find((r) => r.solvers === 2 && r.clients === 20);
  if (busy)
    console.log(`20 clients, 2 solvers: ${busy.rate.toFixed(1)} schedules/s, p50 ${fmt(busy.p50)} ms`);
}
console.log('(shared, noisy 2-core machine: compare ratios within one run)');
