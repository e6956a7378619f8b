#!/usr/bin/env node
// WebSocket benchmark (issue 11), against a platform started for the run (every service its own
// process, private NATS):
//  1. fan-out: 1,000 sockets (50 users × 20) on `user` channels of /api/v1/ws while ~100 lifecycle
//     events/s flow through NATS → delivery latency p50/p99 (event time → client), deliveries,
//     gateway RSS (idle floor and peak);
//  2. attack: 20 sockets of one user that never read, each sending 300,000 {"type":"ping"} frames
//     (tests/bench/ws-attacker.mjs, its own process) → another user's GET /auth/me p50/p99 and
//     errors beside the same requests' floor without the attack, gateway peak RSS.
// Prints a table; no assertions. Usage: npm run bench:ws [-- --seconds 10 --frames 300000]
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';

const require = createRequire(import.meta.url);
const { startPlatform } = require('../../scripts/platform.js');
const here = path.dirname(fileURLToPath(import.meta.url));

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 100);
const USERS = arg('users', 50);
const PER_USER = 20;
const ATTACKERS = arg('attackers', 20);
const FRAMES = arg('frames', 300_000);

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const mb = (kb) => Math.round(kb / 1024);
const rssKb = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
};
function sampler(pid) {
  let peak = rssKb(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 100);
  return { stop: () => (clearInterval(t), peak) };
}

const platform = await startPlatform({
  privateNats: true,
  gatewayPort: 0,
  solvers: 1,
  stdio: 'ignore',
  env: { RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' },
});
const api = `${platform.gatewayUrl}/api/v1`;
const wsUrl = `${platform.gatewayUrl.replace(/^http/, 'ws')}/api/v1/ws`;
const gatewayPid = platform.procs.get('gateway').pid;
const nc = await connect({ servers: platform.natsUrl });
const rows = [];
try {
  const login = async (email) => {
    const password = 'SecurePass123!';
    await fetch(`${api}/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const res = await fetch(`${api}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: email, password }),
    });
    const token = (await res.json()).access_token;
    const me = await (
      await fetch(`${api}/auth/me`, { headers: { Authorization: `Bearer ${token}` } })
    ).json();
    return { token, id: me.id };
  };
  const users = [];
  for (let i = 0; i < USERS; i++) users.push(await login(`fan${i}@bench.example`));
  const victim = await login('victim@bench.example');
  const attacker = await login('attacker@bench.example');

  // ---------------------------------------------------------------- 1. fan-out
  const idleRss = rssKb(gatewayPid);
  const latencies = [];
  let subscribed = 0;
  const sockets = [];
  for (const u of users)
    for (let k = 0; k < PER_USER; k++) {
      const ws = new WebSocket(`${wsUrl}?token=${u.token}`);
      ws.on('error', () => undefined);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: 'user' })));
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw));
        if (m.type === 'subscribed') subscribed++;
        else if (m.type === 'publication') latencies.push(Date.now() - Date.parse(m.data.timestamp));
      });
      sockets.push(ws);
    }
  const deadline = Date.now() + 60_000;
  while (subscribed < sockets.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const connectedRss = rssKb(gatewayPid);
  const js = jetstream(nc);
  const fanRss = sampler(gatewayPid);
  const total = SECONDS * RATE;
  const t0 = Date.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const u = users[i % users.length];
    const sid = 1_000_000 + i;
    const event = {
      specversion: '1.0',
      id: `schedule.running:${sid}`,
      source: '/fillsched/bench/ws',
      type: 'com.fillsched.schedule.running',
      subject: `schedule.${sid}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: {
        schedule_id: sid,
        user_id: u.id,
        job_id: `schedule.${sid}`,
        status: 'running',
        started_at: new Date().toISOString(),
        completed_at: null,
        error_message: null,
        error_code: null,
        summary: null,
      },
    };
    void js.publish(`fillsched.events.schedule.${sid}.status.running`, JSON.stringify(event), {
      msgID: event.id,
    });
  }
  const expected = total * PER_USER;
  const settle = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < settle) await new Promise((r) => setTimeout(r, 100));
  rows.push({
    scenario: `fan-out: ${sockets.length} sockets on user channels, ${RATE} lifecycle events/s for ${SECONDS} s`,
    delivered: `${latencies.length}/${expected}`,
    'p50 ms': pct(latencies, 50),
    'p99 ms': pct(latencies, 99),
    'gateway RSS MB': `idle ${mb(idleRss)}, 1000 sockets ${mb(connectedRss)}, peak ${mb(fanRss.stop())}`,
  });
  for (const ws of sockets) ws.close();
  await new Promise((r) => setTimeout(r, 1000));

  // ---------------------------------------------------------------- 2. attack
  const victimLoop = async (stopWhen) => {
    const xs = [];
    let errors = 0;
    while (!stopWhen()) {
      const t = performance.now();
      try {
        const res = await fetch(`${api}/auth/me`, {
          headers: { Authorization: `Bearer ${victim.token}` },
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.ok) xs.push(performance.now() - t);
        else errors++;
      } catch {
        errors++;
      }
    }
    return { xs, errors };
  };
  const floorEnd = Date.now() + 3000;
  const floor = await victimLoop(() => Date.now() > floorEnd);
  rows.push({
    scenario: "floor: another user's GET /auth/me, no attack (3 s)",
    delivered: `${floor.xs.length} ok, ${floor.errors} failed`,
    'p50 ms': Math.round(pct(floor.xs, 50) * 10) / 10,
    'p99 ms': Math.round(pct(floor.xs, 99) * 10) / 10,
    'gateway RSS MB': `${mb(rssKb(gatewayPid))}`,
  });
  const attackRss = sampler(gatewayPid);
  const child = spawn(
    process.execPath,
    [path.join(here, 'ws-attacker.mjs'), wsUrl, attacker.token, String(ATTACKERS), String(FRAMES)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  let attackDone = false;
  const exited = new Promise((r) => child.once('exit', () => r((attackDone = true))));
  const attackStart = Date.now();
  const during = await victimLoop(() => attackDone || Date.now() - attackStart > 120_000);
  await exited;
  rows.push({
    scenario: `attack: ${ATTACKERS} sockets never reading, ${FRAMES} pings each; victim's GET /auth/me`,
    delivered: `${during.xs.length} ok, ${during.errors} failed; attackers closed ${out.trim()}`,
    'p50 ms': Math.round(pct(during.xs, 50) * 10) / 10,
    'p99 ms': Math.round(pct(during.xs, 99) * 10) / 10,
    'gateway RSS MB': `peak ${mb(attackRss.stop())}`,
  });
} finally {
  await nc.close();
  await platform.stop();
}
console.table(rows);
