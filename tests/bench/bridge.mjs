#!/usr/bin/env node
// Events bridge benchmark (issue 10): a real nats-server (JetStream) and a real Kafka 4 KRaft broker
// (tests/peers), the bridge as its own process (services/events-bridge/dist/main.js), one replica.
//  1. floors, measured in the same run: JetStream publish of N lifecycle events over K keys, raw
//     JetStream consume of them (ordered consumer, no Kafka), and raw kafkajs produce of the same N
//     records (the bridge's producer settings: idempotent, acks -1, batches of BRIDGE_BATCH) — what
//     the bridge could reach at best;
//  2. bridge throughput: the bridge is frozen (SIGSTOP) while the N events are published, then thawed
//     and drains them; events/s from its first produced record to the last one acked (its own
//     counter), and the span of their arrivals at an independent consumer of the topic;
//  3. latency: with the bridge idle, events published at a steady rate → JetStream publish to Kafka
//     consumer, p50/p99.
// Each throughput figure is the median of --rounds rounds, floors and bridge alternating.
// Prints a table; no assertions. Usage: npm run bench:bridge [-- --events 20000 --keys 500 --rate 1000 --rounds 3]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');
const { startNatsServer, freePort, waitFor } = require('../../scripts/platform.js');
const kafkaPeer = require('../peers/kafka.js');
const {
  EVENTS_STREAM,
  EVENT_TYPES,
  STREAM_SPECS,
  lifecycleSubject,
  makeEvent,
  kafkaKeyOf,
  toKafkaRecord,
} = require('@fillsched/contracts');
const {
  connectNats,
  createLogger,
  ensureStreams,
  jetstream,
  publishEvent,
} = require('@fillsched/service-kit');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('events', 20_000);
const KEYS = arg('keys', 500);
const RATE = arg('rate', 1000);
const LAT_SECONDS = arg('seconds', 5);
const BATCH = arg('batch', 500);
const ROUNDS = arg('rounds', 3);
const PARTITIONS = 6;
const TOPIC = 'fillsched.lifecycle';

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const perS = (n, ms) => Math.round((n * 1000) / ms);
const log = (msg) => process.stderr.write(`[bench:bridge] ${msg}\n`);

const STAGES = [
  ['started', EVENT_TYPES.solveStarted],
  ['completed', EVENT_TYPES.solveCompleted],
];
/** Event i: key schedule.(i % KEYS + 1), stages alternating; ids unique within the run. */
function eventOf(i, prefix) {
  const id = (i % KEYS) + 1;
  const [stage, type] = STAGES[Math.floor(i / KEYS) % 2];
  const job = `schedule.${id}`;
  return {
    subject: lifecycleSubject('schedule', id, stage),
    event: makeEvent({
      type,
      source: '/fillsched/bench/bench-1',
      subject: job,
      id: `${prefix}:${i}`,
      data: {
        job_id: job,
        owner: { kind: 'schedule', id, user_id: 1 },
        strategy: 'smart-pack',
        worker: 'bench',
        attempt: 1,
      },
    }),
  };
}

async function publishAll(js, events, concurrency = 256) {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const e = events[next++];
        await publishEvent(js, e.subject, e.event);
      }
    }),
  );
  return performance.now() - t;
}

const kafka = await kafkaPeer.start();
const nats = await startNatsServer();
const cleanups = [() => kafka.stop(), () => nats.stop()];
let bridge;
try {
  log(`kafka ${kafka.brokers}, nats ${nats.url}`);
  const nc = await connectNats({ servers: nats.url, name: 'bench', logger: createLogger('bench', 'silent') });
  cleanups.unshift(() => nc.close());
  await ensureStreams(nc, { streams: [STREAM_SPECS.events] });
  const js = jetstream(nc.nc);

  const client = new Kafka({ clientId: 'bench', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: 'bench.floor', numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  await admin.disconnect();
  const producer = client.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  cleanups.unshift(() => producer.disconnect());

  // ---- the bridge, started on the empty stream
  const opsPort = await freePort();
  const lines = [];
  const nodeArgs = process.env.BENCH_BRIDGE_NODE_ARGS ? process.env.BENCH_BRIDGE_NODE_ARGS.split(' ') : [];
  bridge = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'services/events-bridge/dist/main.js')], {
    env: {
      ...process.env,
      NATS_URL: nats.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      OPS_PORT: String(opsPort),
      BRIDGE_BATCH: String(BATCH),
      // synthetic events have no owner to read a plan from: the lifecycle topic alone is measured
      KAFKA_RESULTS_ENABLED: 'false',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  readline.createInterface({ input: bridge.stdout }).on('line', (l) => lines.push(l));
  await waitFor(
    async () => {
      if (bridge.exitCode !== null) throw new Error(`bridge exited: ${lines.slice(-5).join('\n')}`);
      return lines.some((l) => l.includes('"events bridge ready"'));
    },
    120_000,
    'the bridge ready',
  );
  const producedCount = async () => {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    return Number(/^bridge_records_produced_total (\d+)/m.exec(text)?.[1] ?? 0);
  };

  // ---- an independent consumer of the lifecycle topic (arrival times by ce_id)
  const arrivals = new Map();
  const consumer = client.consumer({ groupId: 'bench-reader', maxWaitTimeInMs: 20 });
  cleanups.unshift(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const id = String(m.headers.ce_id);
        if (!arrivals.has(id)) arrivals.set(id, now);
      }
    },
  });

  // ---- rounds (the machine is shared: each figure is the median of its rounds, floors and the
  // bridge measured alternately). Per round: kafkajs produce of N records (floor); the bridge frozen
  // (SIGSTOP) while N events are published (JetStream publish floor); thawed, it drains them.
  const fig = { publish: [], produce: [], drain: [], read: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const events = Array.from({ length: N }, (_, i) => eventOf(i, `r${r}`));
    const records = events.map((e) => toKafkaRecord(e.event, kafkaKeyOf(e.subject)));
    const t1 = performance.now();
    for (let i = 0; i < records.length; i += BATCH)
      await producer.send({ topic: 'bench.floor', acks: -1, messages: records.slice(i, i + BATCH) });
    fig.produce.push(performance.now() - t1);

    const before = await producedCount();
    bridge.kill('SIGSTOP');
    try {
      fig.publish.push(await publishAll(js, events));
    } finally {
      bridge.kill('SIGCONT');
    }
    let first = 0;
    let last = 0;
    await waitFor(
      async () => {
        const n = (await producedCount().catch(() => before)) - before;
        if (n > 0 && !first) first = performance.now();
        if (n >= N) last = performance.now();
        return n >= N;
      },
      300_000,
      'the bridge to drain the backlog',
    );
    fig.drain.push(last - first);
    await waitFor(
      async () => events.every((e) => arrivals.has(e.event.id)),
      120_000,
      'the round on the topic',
    );
    const times = events.map((e) => arrivals.get(e.event.id));
    fig.read.push(Math.max(...times) - Math.min(...times));
    log(`round ${r + 1}: produce ${Math.round(fig.produce[r])} ms, drain ${Math.round(fig.drain[r])} ms`);
  }

  // ---- floor: raw JetStream consume of everything published (ordered consumer, no Kafka)
  const total = ROUNDS * N;
  const oc = await js.consumers.get(EVENTS_STREAM);
  const t0 = performance.now();
  let got = 0;
  const iter = await oc.consume({ max_messages: 1000 });
  for await (const m of iter) {
    m.json();
    if (++got >= total) break;
  }
  await iter.close();
  const consumeMs = ((performance.now() - t0) * N) / total;

  // ---- latency at a steady rate, the bridge idle before
  const sent = new Map();
  const latTotal = RATE * LAT_SECONDS;
  const tick = 10;
  const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
  let i = 0;
  const tLat = performance.now();
  while (i < latTotal) {
    const due = tLat + (i / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const batch = [];
    for (let k = 0; k < perTick && i < latTotal; k++, i++) batch.push(eventOf(i, 'lat'));
    await Promise.all(
      batch.map(async (e) => {
        sent.set(e.event.id, performance.now());
        await publishEvent(js, e.subject, e.event);
      }),
    );
  }
  await waitFor(
    async () => [...sent.keys()].every((id) => arrivals.has(id)),
    120_000,
    'latency events on Kafka',
  );
  const lat = [...sent].map(([id, t]) => arrivals.get(id) - t);

  const med = (xs) => pct(xs, 50);
  console.log(
    `\nevents bridge, one replica: ${N} lifecycle events over ${KEYS} keys, ${PARTITIONS} partitions, batch ${BATCH}; median of ${ROUNDS} rounds`,
  );
  console.log(
    'measure                                              | events | ms     | events/s | rounds (events/s)',
  );
  const row = (name, ms, all = []) =>
    console.log(
      `${name.padEnd(53)}| ${String(N).padStart(6)} | ${String(Math.round(ms)).padStart(6)} | ${String(perS(N, ms)).padStart(8)} | ${all.map((x) => perS(N, x)).join(', ')}`,
    );
  row('floor: JetStream publish (256 in flight)', med(fig.publish), fig.publish);
  row('floor: JetStream consume (ordered consumer)', consumeMs);
  row('floor: kafkajs produce (idempotent, acks -1, batches)', med(fig.produce), fig.produce);
  row('bridge: backlog drained (first to last record acked)', med(fig.drain), fig.drain);
  row('consumer: first to last arrival of a round', med(fig.read), fig.read);
  console.log(
    `latency JetStream publish → Kafka consumer at ${RATE}/s for ${LAT_SECONDS} s (${lat.length} events): ` +
      `p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms`,
  );
  const bridgeRate = perS(N, med(fig.drain));
  console.log(
    `bridge / kafkajs floor: ${(bridgeRate / perS(N, med(fig.produce))).toFixed(2)}; target ≥ 5000 events/s: ${bridgeRate >= 5000 ? 'met' : 'NOT met'}`,
  );
  console.log(
    '(shared, noisy 2-core machine running NATS, Kafka, the bridge and the client: compare ratios)',
  );
} finally {
  if (bridge && bridge.exitCode === null) {
    bridge.kill('SIGCONT');
    bridge.kill('SIGTERM');
    await new Promise((r) => bridge.once('exit', r));
  }
  for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
}
process.exit(0);
