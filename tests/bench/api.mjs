#!/usr/bin/env node
// API latency benchmark (issue 4): p50/p99 of `GET /api/v1/schedule/{id}` and of login at 50
// concurrent clients through the whole platform (gateway → NATS → service → store), each service
// its own process. Prints a table; no assertions. Usage: npm run bench:api [-- --seconds 10]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');

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

async function closedLoop(label, clients, makeRequest) {
  const xs = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (performance.now() < deadline) {
        const ms = await timed(() => makeRequest(i));
        if (ms === null) errors++;
        else xs.push(ms);
      }
    }),
  );
  return {
    label,
    clients,
    n: xs.length,
    errors,
    p50: pct(xs, 50),
    p99: pct(xs, 99),
    rps: xs.length / seconds,
  };
}

const platform = await startPlatform({
  privateNats: true,
  gatewayPort: 0,
  solvers: 1,
  stdio: 'ignore',
  env: { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' },
});
const base = `${platform.gatewayUrl}/api/v1`;
try {
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
  const rows = [];
  rows.push(
    await closedLoop('GET /schedule/{id}', CLIENTS, (i) =>
      fetch(`${base}/schedule/${users[i].scheduleId}`, { headers: users[i].headers }),
    ),
  );
  rows.push(
    await closedLoop('POST /auth/login', CLIENTS, (i) =>
      fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: users[i].email, password }),
      }),
    ),
  );
  rows.push(
    await closedLoop('GET /health (gateway only)', CLIENTS, () => fetch(`${platform.gatewayUrl}/health`)),
  );
  console.log(`\n${CLIENTS} concurrent clients, closed loop, ${seconds} s each`);
  console.log('route                       | requests | errors | p50 ms | p99 ms | req/s');
  for (const r of rows)
    console.log(
      `${r.label.padEnd(27)} | ${String(r.n).padStart(8)} | ${String(r.errors).padStart(6)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.rps.toFixed(0)}`,
    );
  console.log('(shared, noisy 2-core machine running all services, NATS and the client: compare ratios)');
} finally {
  await platform.stop();
}
