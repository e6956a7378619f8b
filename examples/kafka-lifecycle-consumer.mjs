// Example: read the platform's lifecycle events from Kafka (the events bridge's mirror) with kafkajs,
// deduplicated by CloudEvent id, one JSON line per event on stdout.
//
//   KAFKA_BROKERS=127.0.0.1:9092 node examples/kafka-lifecycle-consumer.mjs
//
// KAFKA_TOPIC (default fillsched.lifecycle), KAFKA_GROUP (default: a new group, so it replays the
// topic from the beginning), EXIT_IDLE_MS (stop after this long without a new record; default: run on).
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('KAFKA_BROKERS is required (host:port,…)');
  process.exit(2);
}
const topic = process.env.KAFKA_TOPIC ?? 'fillsched.lifecycle';
const groupId = process.env.KAFKA_GROUP ?? `example-${randomUUID()}`;
const idleMs = Number(process.env.EXIT_IDLE_MS ?? 0);

const consumer = new Kafka({ clientId: 'lifecycle-example', brokers, logLevel: logLevel.ERROR }).consumer({
  groupId,
});
// A real consumer keeps these ids in its own store (with its offsets); the bridge repeats a record
// only with the same ce_id, so one set of seen ids is the whole dedup.
const seen = new Set();
let last = Date.now();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message, partition }) => {
    last = Date.now();
    const h = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    if (seen.has(h.ce_id)) return;
    seen.add(h.ce_id);
    const data = JSON.parse(String(message.value));
    process.stdout.write(
      JSON.stringify({
        key: String(message.key),
        partition,
        id: h.ce_id,
        type: h.ce_type,
        time: h.ce_time,
        data,
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
