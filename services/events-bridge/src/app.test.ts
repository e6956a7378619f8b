import { makeEvent, type KafkaRecordShape } from '@fillsched/contracts';
import { createLogger } from '@fillsched/service-kit';
import { backoffDelay, recordOf, startBridge } from './app';
import type { BridgeMetrics, EventSource, RecordSink, SourceMessage } from './ports';

const logger = createLogger('events-bridge-test', 'silent');

/** An in-memory stream with the shared durable's semantics: ack removes, nak redelivers first. */
function fakeStream(subjectsAndEvents: Array<[string, unknown]>) {
  const log: string[] = [];
  let queue = subjectsAndEvents.map(([subject, body], i) => ({ subject, body, seq: i + 1 }));
  const redeliver: typeof queue = [];
  const source: EventSource = {
    async fetch(max) {
      const all = [...redeliver.splice(0), ...queue.splice(0)];
      const take = all.slice(0, max);
      // what was not taken stays in front, in order
      queue = all.slice(max);
      if (take.length === 0) await new Promise((r) => setTimeout(r, 5));
      return take.map((m): SourceMessage => ({
        subject: m.subject,
        seq: m.seq,
        data: Buffer.from(typeof m.body === 'string' ? m.body : JSON.stringify(m.body)),
        ack: () => log.push(`ack ${m.seq}`),
        nak: (d) => {
          log.push(`nak ${m.seq} ${d}`);
          redeliver.push(m);
        },
        term: () => log.push(`term ${m.seq}`),
      }));
    },
    pending: async () => queue.length,
  };
  return { source, log };
}

function fakeSink(failFirst: number) {
  const sent: KafkaRecordShape[] = [];
  let calls = 0;
  const sink: RecordSink = {
    async send(_topic, records) {
      calls++;
      if (calls <= failFirst) throw new Error('broker down');
      sent.push(...records);
    },
    reachable: () => calls > failFirst,
  };
  return { sink, sent };
}

const counts = { produced: 0, kafka: 0, invalid: 0, source: 0, results: 0 };
const metrics: BridgeMetrics = {
  produced: (n) => (counts.produced += n),
  error: (k) => counts[k]++,
  lag: () => undefined,
};

const ev = (id: number, stage: string) =>
  makeEvent({
    type: `com.fillsched.solve.${stage}`,
    source: '/fillsched/solver/x',
    id: `schedule.${id}:${stage}`,
    data: { id },
  });

async function until(cond: () => boolean, ms = 3000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(() => Object.assign(counts, { produced: 0, kafka: 0, invalid: 0, source: 0, results: 0 }));

test('backoff doubles from min to max', () => {
  const b = { minMs: 100, maxMs: 1000 };
  expect([1, 2, 3, 4, 5, 9].map((f) => backoffDelay(f, b))).toEqual([100, 200, 400, 800, 1000, 1000]);
});

test('recordOf keys by schedule/comparison and refuses what is not a platform CloudEvent', () => {
  const ok = recordOf({
    subject: 'fillsched.events.comparison.3.finished',
    data: Buffer.from(JSON.stringify(ev(3, 'x'))),
  });
  expect(ok).toMatchObject({ ok: true, record: { key: 'comparison.3' } });
  expect(recordOf({ subject: 'fillsched.events.schedule.1.started', data: Buffer.from('{oops') })).toEqual({
    ok: false,
    reason: 'not JSON',
  });
  expect(recordOf({ subject: 'fillsched.events.schedule.1.started', data: Buffer.from('{"a":1}') })).toEqual({
    ok: false,
    reason: 'not a CloudEvent',
  });
  expect(recordOf({ subject: 'fillsched.events.x', data: Buffer.from('{}') }).ok).toBe(false);
});

test('produces in stream order and acks only after Kafka took the batch; invalid ones are terminated', async () => {
  const { source, log } = fakeStream([
    ['fillsched.events.schedule.1.started', ev(1, 'started')],
    ['fillsched.events.schedule.1.completed', 'not json'],
    ['fillsched.events.schedule.1.completed', ev(1, 'completed')],
  ]);
  const { sink, sent } = fakeSink(0);
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 10,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
  });
  await until(() => bridge.produced() === 2);
  await bridge.stop();
  expect(sent.map((r) => r.headers.ce_id)).toEqual(['schedule.1:started', 'schedule.1:completed']);
  expect(log).toEqual(['term 2', 'ack 1', 'ack 3']);
  expect(counts).toMatchObject({ produced: 2, invalid: 1, kafka: 0 });
});

test('a Kafka failure naks the batch with a growing backoff; after recovery everything arrives once, in order', async () => {
  const events: Array<[string, unknown]> = [1, 2, 3, 4, 5].map((i) => [
    `fillsched.events.schedule.${i % 2}.started`,
    ev(i, 'started'),
  ]);
  const { source, log } = fakeStream(events);
  const { sink, sent } = fakeSink(3);
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 2,
    backoff: { minMs: 10, maxMs: 25 },
    logger,
    metrics,
  });
  await until(() => bridge.produced() === 5);
  await bridge.stop();
  expect(sent.map((r) => r.headers.ce_id)).toEqual([1, 2, 3, 4, 5].map((i) => `schedule.${i}:started`));
  // the failed batch, then the one pulled behind it, handed back with the same delay, in order
  expect(log.filter((l) => l.startsWith('nak'))).toEqual([
    'nak 1 10',
    'nak 2 10',
    'nak 3 10',
    'nak 4 10',
    'nak 1 20',
    'nak 2 20',
    'nak 3 20',
    'nak 4 20',
    'nak 1 25',
    'nak 2 25',
    'nak 3 25',
    'nak 4 25',
  ]);
  expect(log.filter((l) => l.startsWith('ack'))).toEqual(['ack 1', 'ack 2', 'ack 3', 'ack 4', 'ack 5']);
  expect(counts).toMatchObject({ produced: 5, kafka: 3 });
});

test('a failing pull is counted and retried; stop ends the loop', async () => {
  let calls = 0;
  const source: EventSource = {
    fetch: async () => {
      calls++;
      if (calls === 1) throw new Error('nats gone');
      await new Promise((r) => setTimeout(r, 5));
      return [];
    },
    pending: async () => 0,
  };
  const { sink } = fakeSink(0);
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 5,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
  });
  await until(() => calls >= 3);
  await bridge.stop();
  expect(counts.source).toBe(1);
});

test('the next batch is pulled while Kafka takes the current one; sends stay one at a time, in order', async () => {
  const events: Array<[string, unknown]> = Array.from({ length: 6 }, (_, i) => [
    `fillsched.events.schedule.${i}.started`,
    ev(i, 'started'),
  ]);
  const { source, log } = fakeStream(events);
  const trace: string[] = [];
  const fetch = source.fetch.bind(source);
  source.fetch = async (max) => {
    trace.push('pull');
    return fetch(max);
  };
  let inFlight = 0;
  const sent: string[] = [];
  const sink: RecordSink = {
    async send(_topic, records) {
      expect(++inFlight).toBe(1);
      trace.push(`send ${records.length}`);
      await new Promise((r) => setTimeout(r, 20));
      sent.push(...records.map((r) => r.headers.ce_id));
      inFlight--;
    },
    reachable: () => true,
  };
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 2,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
  });
  await until(() => bridge.produced() === 6);
  await bridge.stop();
  expect(sent).toEqual(events.map(([, e]) => (e as { id: string }).id));
  // every send had the next pull issued before it
  expect(trace.slice(0, 5)).toEqual(['pull', 'pull', 'send 2', 'pull', 'send 2']);
  expect(log.filter((l) => l.startsWith('ack'))).toHaveLength(6);
  expect(log.filter((l) => l.startsWith('nak'))).toEqual([]);
});

test('stop hands back what the pull behind the last batch brought', async () => {
  let calls = 0;
  const naks: number[] = [];
  const msg = (seq: number): SourceMessage => ({
    subject: `fillsched.events.schedule.${seq}.started`,
    seq,
    data: Buffer.from(JSON.stringify(ev(seq, 'started'))),
    ack: () => undefined,
    nak: (d) => naks.push(d),
    term: () => undefined,
  });
  const source: EventSource = {
    async fetch() {
      calls++;
      // the second pull (issued while the first batch is with Kafka) answers after stop()
      if (calls === 2) await new Promise((r) => setTimeout(r, 50));
      return calls <= 2 ? [msg(calls * 10 + 1), msg(calls * 10 + 2)] : [];
    },
    pending: async () => 0,
  };
  let release: () => void = () => undefined;
  const sink: RecordSink = {
    send: () => new Promise<void>((r) => (release = r)),
    reachable: () => true,
  };
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 2,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
  });
  await until(() => calls === 2);
  const stopped = bridge.stop();
  release();
  await stopped;
  expect(bridge.produced()).toBe(2);
  expect(naks).toEqual([0, 0]);
});

test('plans are produced before the batch and the batch is acked only after both; a failed plan hands it back', async () => {
  const { source, log } = fakeStream([
    ['fillsched.events.schedule.1.started', ev(1, 'started')],
    ['fillsched.events.schedule.1.status.completed', ev(1, 'completed')],
  ]);
  const { sink, sent } = fakeSink(0);
  const order: string[] = [];
  let calls = 0;
  const results = {
    async produce(events: readonly { id: string }[]) {
      calls++;
      order.push(`results ${events.map((e) => e.id).join(',')} (lifecycle sent: ${sent.length})`);
      if (calls === 1) throw new Error('owner timed out');
    },
  };
  const bridge = startBridge({
    source,
    sink,
    topic: 't',
    batch: 10,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
    results,
  });
  await until(() => bridge.produced() === 2);
  await bridge.stop();
  expect(order).toEqual([
    'results schedule.1:started,schedule.1:completed (lifecycle sent: 0)',
    'results schedule.1:started,schedule.1:completed (lifecycle sent: 0)',
  ]);
  expect(log).toEqual(['nak 1 10', 'nak 2 10', 'ack 1', 'ack 2']);
  expect(counts).toMatchObject({ results: 1, kafka: 0, produced: 2 });
});

test('a batch whose plans take long is kept in progress (working) until it is acked', async () => {
  const { source, log } = fakeStream([['fillsched.events.schedule.1.status.completed', ev(1, 'completed')]]);
  const working: number[] = [];
  const wrapped: EventSource = {
    ...source,
    async fetch(max) {
      return (await source.fetch(max)).map((m) => ({ ...m, working: () => working.push(m.seq) }));
    },
  };
  const { sink } = fakeSink(0);
  const bridge = startBridge({
    source: wrapped,
    sink,
    topic: 't',
    batch: 10,
    backoff: { minMs: 10, maxMs: 20 },
    logger,
    metrics,
    workingEveryMs: 10,
    results: { produce: () => new Promise((r) => setTimeout(r, 80)) },
  });
  await until(() => bridge.produced() === 1);
  await bridge.stop();
  expect(working.length).toBeGreaterThanOrEqual(3);
  expect(log).toEqual(['ack 1']);
  const after = working.length;
  await new Promise((r) => setTimeout(r, 40));
  expect(working.length).toBe(after); // nothing once acked
});
