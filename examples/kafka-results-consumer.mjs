// Example: keep the latest plan of every schedule from the platform's results topic (the events
// bridge's compacted topic, docs/events.md "Results topic") with kafkajs, the way an MES/ERP would,
// and print one JSON line per completed plan (deduplicated by CloudEvent id). Completed comparisons
// come on the same topic under `comparison.<id>` (GET /compare/{id}, no activities).
//
//   KAFKA_BROKERS=127.0.0.1:9092 node examples/kafka-results-consumer.mjs
//
// Each record: key `schedule.<id>`, headers ce_id / ce_type (com.fillsched.schedule.result) /
// ce_source / ce_subject / ce_time, `content-type: application/json`, `content-encoding: gzip`;
// value = gzip of the JSON document GET /api/v1/schedule/{id} answers (result with every activity).
// A null value is a tombstone: the schedule was deleted. KAFKA_TOPIC (default fillsched.results),
// KAFKA_GROUP (default: a new group, so it replays the topic from the beginning), EXIT_IDLE_MS (stop
// after this long without a new record; default: run on), PRINT_DOCUMENT=1 (print the whole document).
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('KAFKA_BROKERS is required (host:port,…)');
  process.exit(2);
}
const topic = process.env.KAFKA_TOPIC ?? 'fillsched.results';
const groupId = process.env.KAFKA_GROUP ?? `results-example-${randomUUID()}`;
const idleMs = Number(process.env.EXIT_IDLE_MS ?? 0);
const printDocument = process.env.PRINT_DOCUMENT === '1';

const consumer = new Kafka({ clientId: 'results-example', brokers, logLevel: logLevel.ERROR }).consumer({
  groupId,
  // a plan is one record of up to the topic's max.message.bytes (16 MiB by default); the broker
  // hands out a larger first record anyway, a larger fetch size just saves round trips
  maxBytesPerPartition: 16 * 1024 * 1024,
});
/** The latest plan per schedule: what a downstream system keeps (here in memory). */
const plans = new Map();
const seen = new Set();
let last = Date.now();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    last = Date.now();
    const key = String(message.key);
    const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    if (message.value === null) {
      plans.delete(key);
      process.stdout.write(JSON.stringify({ key, id: h.ce_id, deleted: true }) + '\n');
      return;
    }
    // a redelivered record carries the same ce_id and the same document: skip it
    if (seen.has(h.ce_id)) return;
    seen.add(h.ce_id);
    const json = h['content-encoding'] === 'gzip' ? gunzipSync(message.value) : message.value;
    const plan = JSON.parse(json.toString('utf8'));
    plans.set(key, plan);
    const activities = plan.result?.activities ?? [];
    process.stdout.write(
      JSON.stringify({
        key,
        id: h.ce_id,
        type: h.ce_type,
        time: h.ce_time,
        kind: key.split('.')[0],
        schedule_or_comparison_id: plan.id,
        name: plan.name,
        status: plan.status,
        version: plan.version ?? 1,
        makespan: plan.result?.makespan,
        lots_scheduled: plan.result?.lots_scheduled,
        activities: activities.length,
        ...(plan.best_strategy !== undefined ? { best_strategy: plan.best_strategy } : {}),
        compressed_bytes: message.value.length,
        ...(printDocument ? { document: plan } : {}),
      }) + '\n',
    );
  },
});
if (idleMs > 0) {
  const timer = setInterval(async () => {
    if (Date.now() - last < idleMs) return;
    clearInterval(timer);
    await consumer.disconnect();
    process.exit(0);
  }, 200);
}
