#!/usr/bin/env node
// Where POST /schedule → WebSocket `complete` spends its time (issue 8), hop by hop, for the
// 15-lot schedule of e2e.mjs, one client, one solver. A NATS subscription (admin) on the events
// subjects notes when the solver's `started` and `completed` and the schedule service's own
// `status.completed` pass; the client notes the 202 and the WebSocket `complete`. All clocks are
// this process's. With `--baseline <git-ref>` both platforms run at once and the schedules
// alternate between them, so both see the same machine load (shared, noisy machine).
// Prints p50 per hop; no assertions.
// Usage: npm run bench:e2e-hops [-- --rounds 40] [-- --baseline HEAD~1]
import { createRequire } from 'node:module';
import os from 'node:os';
import WebSocket from 'ws';
import { baselineArg, baselinePlatform, describeCommit } from './baseline.mjs';
import { benchLots, login } from './e2e-input.mjs';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');
const { connect } = require('@nats-io/transport-node');

const baselineRef = baselineArg();
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 40) || 40;
const lots = benchLots();

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length / 2) - 1)];

/** One platform with an events tap: `seen(id)` = when each event of schedule `id` passed. */
async function open(name, start) {
  const platform = await start({
    privateNats: true,
    gatewayPort: 0,
    solvers: 1,
    stdio: 'ignore',
    env: { RATE_LIMIT_PER_MINUTE: '100000', LOG_LEVEL: 'warn' },
  });
  const nc = await connect({ servers: platform.natsUrl, ...platform.natsAdmin });
  const marks = new Map();
  nc.subscribe('fillsched.events.schedule.>', {
    callback: (_err, m) => {
      const t = performance.now();
      const [, , , id, ...rest] = m.subject.split('.');
      const what = rest.join('.');
      const key = Number(id);
      if (!marks.has(key)) marks.set(key, {});
      marks.get(key)[what] ??= t;
    },
  });
  await nc.flush();
  const token = await login(platform.gatewayUrl, `hops@example.com`);
  return { name, platform, nc, marks, token, rows: [] };
}

async function oneSchedule(p) {
  const base = p.platform.gatewayUrl;
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/schedule`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${p.token}` },
    body: JSON.stringify({
      name: 'hops',
      lots_data: lots,
      strategy: 'smart-pack',
      config: { line_count: 2 },
    }),
  });
  if (res.status !== 202) throw new Error(`POST ${res.status} ${await res.text()}`);
  const { id } = await res.json();
  const accepted = performance.now();
  await new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/ws/schedule/${id}?token=${p.token}`);
    const timer = setTimeout(() => reject(new Error('timeout')), 60_000);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'complete' || m.type === 'error') {
        clearTimeout(timer);
        ws.close();
        return m.type === 'complete' ? resolve() : reject(new Error(m.message));
      }
    });
    ws.on('error', reject);
  });
  const done = performance.now();
  await new Promise((r) => setTimeout(r, 20)); // let the tap see the announcement
  const m = p.marks.get(id) ?? {};
  if (m.started === undefined || m.completed === undefined || m['status.completed'] === undefined) return;
  p.rows.push({
    total: done - t0,
    post: accepted - t0,
    toStarted: m.started - t0,
    startedToCompleted: m.completed - m.started,
    owner: m['status.completed'] - m.completed,
    // > 0: the owner was still applying `started` (get, status, announce) when `completed` came,
    // and a record's events are applied in order.
    runningAfter: (m['status.running'] ?? m.completed) - m.completed,
    relay: done - m['status.completed'],
  });
}

const platforms = [];
try {
  if (baselineRef)
    platforms.push(
      await open(`baseline ${describeCommit(baselineRef)}`, baselinePlatform(baselineRef).startPlatform),
    );
  platforms.push(await open(`this checkout ${describeCommit('HEAD')}`, startPlatform));
  for (const p of platforms) await oneSchedule(p); // warm-up
  for (const p of platforms) p.rows.length = 0;
  for (let r = 0; r < rounds; r++) for (const p of platforms) await oneSchedule(p);
} finally {
  for (const p of platforms) {
    await p.nc.close().catch(() => undefined);
    await p.platform.stop();
  }
}

console.log(
  `\nPOST → WebSocket complete by hop, 15 lots, 1 client, 1 solver; p50 ms (load ${os.loadavg()[0].toFixed(1)})`,
);
console.log(
  'run | n | total | POST→202 | POST→solver started | started→solver completed (solve + store + publish) | solver completed→owner status.completed | of which owner still on started (status.running after completed) | owner announce→WS complete',
);
for (const p of platforms) {
  const col = (k) => p50(p.rows.map((x) => x[k])).toFixed(1);
  console.log(
    `${p.name} | ${p.rows.length} | ${col('total')} | ${col('post')} | ${col('toStarted')} | ${col('startedToCompleted')} | ${col('owner')} | ${col('runningAfter')} | ${col('relay')}`,
  );
}
