#!/usr/bin/env node
// Response size and time of `GET /api/v1/schedule/{id}` (issue 15, item 5) for 2,000 and 20,000
// lots through the whole platform: plain (what every client got before compression), gzip, br,
// without activities, and one page of activities; next to GET /health as the floor of the same
// run. Bytes are counted on the wire (node:http, no transparent decoding); time is until the last
// byte arrives, median of several sequential requests on a keep-alive connection.
// Usage: npm run bench:response [-- --repeat 7]
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');

const argRepeat = process.argv.indexOf('--repeat');
const REPEAT = argRepeat > 0 ? Number(process.argv[argRepeat + 1]) : 7;
const SIZES = [2_000, 20_000];
const password = 'SecurePass123!';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** One GET: status, wire bytes, encoding, ms until the last byte. */
function get(url, headers) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    http
      .get(url, { agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            bytes,
            encoding: res.headers['content-encoding'] ?? 'identity',
            ms: performance.now() - t,
          }),
        );
      })
      .on('error', reject);
  });
}

async function measure(label, url, headers) {
  await get(url, headers); // warm-up
  const runs = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await get(url, headers));
  const bad = runs.find((r) => r.status !== 200);
  if (bad) throw new Error(`${label}: HTTP ${bad.status}`);
  return { label, bytes: runs[0].bytes, encoding: runs[0].encoding, ms: median(runs.map((r) => r.ms)) };
}

function lots(n) {
  // Two products alternating in runs of five; 50,000 vials ≈ 2.5 h each at the default rate.
  return Array.from({ length: n }, (_, i) => ({
    lot_id: `LOT${String(i + 1).padStart(5, '0')}`,
    product: `Product${Math.floor(i / 5) % 2 ? 'B' : 'A'}`,
    quantity: 50_000,
  }));
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
  const email = 'bench-response@example.com';
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
  const auth = { Authorization: `Bearer ${login.access_token}` };

  const rows = [];
  rows.push(await measure('GET /health (floor)', `${platform.gatewayUrl}/health`, {}));
  for (const n of SIZES) {
    const created = await fetch(`${base}/schedule`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: `bench ${n}`,
        lots_data: lots(n),
        strategy: 'lpt-pack',
        config: { line_count: 10 },
      }),
    });
    const { id } = await created.json();
    if (created.status !== 202) throw new Error(`create ${n}: HTTP ${created.status}`);
    for (;;) {
      const s = await (
        await fetch(`${base}/schedule/${id}?include_activities=false`, { headers: auth })
      ).json();
      if (s.status === 'completed') break;
      if (s.status === 'failed') throw new Error(`schedule ${n} failed: ${s.error_message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const url = `${base}/schedule/${id}`;
    const tag = `${n.toLocaleString('en')} lots`;
    rows.push(await measure(`${tag}: GET, no compression`, url, { ...auth, 'Accept-Encoding': 'identity' }));
    rows.push(await measure(`${tag}: GET, gzip`, url, { ...auth, 'Accept-Encoding': 'gzip' }));
    rows.push(await measure(`${tag}: GET, br`, url, { ...auth, 'Accept-Encoding': 'br' }));
    rows.push(
      await measure(`${tag}: GET ?include_activities=false`, `${url}?include_activities=false`, {
        ...auth,
        'Accept-Encoding': 'identity',
      }),
    );
    rows.push(
      await measure(`${tag}: activities page of 1000, gzip`, `${url}/activities?offset=0&limit=1000`, {
        ...auth,
        'Accept-Encoding': 'gzip',
      }),
    );
  }

  console.log(`\nsequential requests on one keep-alive connection, median of ${REPEAT} (after a warm-up)`);
  console.log('request                                       | encoding | bytes on wire |   ms');
  for (const r of rows)
    console.log(
      `${r.label.padEnd(45)} | ${r.encoding.padEnd(8)} | ${r.bytes.toLocaleString('en').padStart(13)} | ${r.ms.toFixed(1).padStart(6)}`,
    );
  console.log('(shared, noisy 2-core machine running all services, NATS and the client: compare ratios)');
} finally {
  agent.destroy();
  await platform.stop();
}
