// Example: read the platform's lifecycle events straight from JetStream (stream FILLSCHED_EVENTS)
// with a durable consumer of your own, deduplicated by CloudEvent id, one JSON line per event on
// stdout (docs/events.md "Consuming as a downstream team").
//
//   NATS_URL=nats://127.0.0.1:4222 NATS_USER=admin NATS_PASSWORD=… node examples/nats-lifecycle-consumer.mjs
//
// DURABLE (default lifecycle-example): the consumer's name. It lives on the server, so a second run
// with the same name goes on after the last acknowledged event instead of replaying; a new name
// replays the stream from its first event. FILTER (default fillsched.events.>, every lifecycle
// event; several subjects comma-separated need nats-server 2.10+), EXIT_IDLE_MS (stop after this long without a
// new event; default: run on). `npm start` prints the admin credentials' file in its banner; on
// your own server give the consumer a user that may read FILLSCHED_EVENTS and nothing else.
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const STREAM = 'FILLSCHED_EVENTS';
const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const durable = process.env.DURABLE ?? 'lifecycle-example';
const filters = (process.env.FILTER ?? 'fillsched.events.>')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const idleMs = Number(process.env.EXIT_IDLE_MS ?? 0);

const nc = await connect({
  servers,
  name: 'lifecycle-example',
  ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD } : {}),
});
const jsm = await jetstreamManager(nc);
// Creating an existing durable with the same configuration is a no-op: every run may do it.
await jsm.consumers.add(STREAM, {
  durable_name: durable,
  ...(filters.length === 1 ? { filter_subject: filters[0] } : { filter_subjects: filters }),
  deliver_policy: DeliverPolicy.All,
  ack_policy: AckPolicy.Explicit,
});
const consumer = await jetstream(nc).consumers.get(STREAM, durable);

// A real consumer keeps these ids with its own state; JetStream redelivers an event it did not see
// acknowledged, always with the same CloudEvent id, so one set of seen ids is the whole dedup.
const seen = new Set();
let last = Date.now();
const messages = await consumer.consume({ max_messages: 256 });
if (idleMs > 0) {
  const timer = setInterval(() => {
    if (Date.now() - last >= idleMs) {
      clearInterval(timer);
      messages.stop();
    }
  }, 100);
}
for await (const m of messages) {
  last = Date.now();
  const event = m.json();
  if (!seen.has(event.id)) {
    seen.add(event.id);
    process.stdout.write(
      JSON.stringify({
        subject: m.subject,
        seq: m.seq,
        id: event.id,
        type: event.type,
        status: event.data?.status,
      }) + '\n',
    );
  }
  // acknowledge after the event is handled (here: printed), so a crash before it redelivers it
  m.ack();
}
await nc.drain();
