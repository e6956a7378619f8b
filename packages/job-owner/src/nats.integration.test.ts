/**
 * The shared job-owner adapters against a real nats-server: stream provisioning, the lifecycle
 * consumer's settling (ack / term / nak / throw, working() heartbeats, stop), the cancellations
 * bucket with its broadcast, and the deduplicating jobs publisher.
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { headers, type Subscription } from '@nats-io/transport-node';
import {
  CANCEL_SUBJECT,
  CONFIG_CHANGED_SUBJECT,
  EVENTS_STREAM,
  JOBS_STREAM,
  lifecycleSubject,
  ownerStatusSubject,
  type CloudEvent,
  type SolveJob,
} from '@fillsched/contracts';
import {
  CORRELATION_HEADER,
  connectNats,
  createServiceClient,
  createLogger,
  currentCorrelationId,
  decodeJson,
  encodeJson,
  type NatsHandle,
  type ServiceClient,
} from '@fillsched/service-kit';
import { type TestNats, startNatsForTests } from '@fillsched/service-kit/testing';
import { runLifecycleConsumer, type LifecycleConsumer, type LifecycleConsumerOptions } from './consumer';
import { NatsCanceller, NatsJobPublisher, followConfigChanges, openCancellationsBucket } from './nats';
import type { EventDecision } from './ports';
import { provisionOwnerStreams } from './streams';
import { startOwnerWork } from './work';

jest.setTimeout(30_000);

const logger = createLogger('job-owner-test', 'silent');
let nats: TestNats;
let handle: NatsHandle;
let jsm: JetStreamManager;
let consumer: LifecycleConsumer | undefined;
let durableSeq = 0;

beforeAll(async () => {
  nats = await startNatsForTests();
  handle = await connectNats({ servers: nats.url, name: 'job-owner-test', logger });
  jsm = await jetstreamManager(handle.nc);
});
afterEach(async () => {
  await consumer?.stop();
  consumer = undefined;
});
afterAll(async () => {
  await handle?.close();
  await nats?.stop();
});

async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A fresh durable (and a fresh schedule id range) per test, so tests never see each other's events. */
async function freshOwner(): Promise<{ durable: string; base: number }> {
  durableSeq++;
  const durable = `job-owner-test-${durableSeq}`;
  await provisionOwnerStreams(handle, logger, 'schedule', 'job-owner-test');
  // Same settings as the owner durable, but starting after whatever earlier tests left in the stream.
  const { last_seq } = (await jsm.streams.info(EVENTS_STREAM)).state;
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: durable,
    filter_subject: 'fillsched.events.schedule.>',
    ack_policy: AckPolicy.Explicit,
    ack_wait: 30_000_000_000,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: last_seq + 1,
  });
  return { durable, base: durableSeq * 1000 };
}

async function publishRaw(subject: string, data: string | object, correlationId?: string): Promise<void> {
  const h = headers();
  if (correlationId) h.set(CORRELATION_HEADER, correlationId);
  await jetstream(handle.nc).publish(subject, typeof data === 'string' ? data : JSON.stringify(data), {
    headers: h,
  });
}

/** The consumer under test on the test's durable. */
const follow = (durable: string, opts: Omit<LifecycleConsumerOptions, 'nc' | 'logger' | 'durable'>) =>
  runLifecycleConsumer({ nc: handle.nc, logger, durable, ...opts });

/** Nothing pending or unacknowledged on the durable (acks are not awaited by clients: give them a moment). */
async function expectAllSettled(durable: string): Promise<void> {
  const read = async () => {
    const info = await jsm.consumers.info(EVENTS_STREAM, durable);
    return { ackPending: info.num_ack_pending, pending: info.num_pending };
  };
  await waitUntil(async () => (await read()).ackPending === 0, 3000).catch(() => undefined);
  expect(await read()).toEqual({ ackPending: 0, pending: 0 });
}

test('provisioning is idempotent and creates the owner durable on the events stream with its filter', async () => {
  await provisionOwnerStreams(handle, logger, 'comparison', 'job-owner-provision');
  await provisionOwnerStreams(handle, logger, 'comparison', 'job-owner-provision');
  const info = await jsm.consumers.info(EVENTS_STREAM, 'job-owner-provision');
  expect(info.config.filter_subject).toBe('fillsched.events.comparison.*.*');
  expect(info.config.ack_policy).toBe(AckPolicy.Explicit);
  await expect(jsm.streams.info(JOBS_STREAM)).resolves.toBeDefined();
});

test("the owner durable gets the solver's stage events, not the statuses its owner publishes itself", async () => {
  await provisionOwnerStreams(handle, logger, 'schedule', 'job-owner-filter');
  const pending = async () => (await jsm.consumers.info(EVENTS_STREAM, 'job-owner-filter')).num_pending;
  const before = await pending();
  await publishRaw(ownerStatusSubject('schedule', 990_001, 'running'), { id: 'own-status' });
  await publishRaw(ownerStatusSubject('schedule', 990_001, 'completed'), { id: 'own-status-2' });
  expect(await pending()).toBe(before);
  await publishRaw(lifecycleSubject('schedule', 990_001, 'completed'), { id: 'solver-stage' });
  expect(await pending()).toBe(before + 1);
  await jsm.consumers.delete(EVENTS_STREAM, 'job-owner-filter');
});

test("events of different records are handled side by side; one record's in stream order", async () => {
  const { durable, base } = await freshOwner();
  const log: string[] = [];
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  consumer = await follow(durable, {
    retryDelayMs: 100,
    handle: async (raw) => {
      const { id } = raw as { id: string };
      log.push(`start ${id}`);
      // a's first event is held until b's event was handled: only concurrent handling gets there
      if (id === 'a1') await firstHeld;
      if (id === 'b1') releaseFirst();
      log.push(`end ${id}`);
      return { action: 'ack' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'started'), { id: 'a1' });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'completed'), { id: 'a2' });
  await publishRaw(lifecycleSubject('schedule', base + 2, 'started'), { id: 'b1' });
  await waitUntil(() => consumer!.processed() === 3);
  expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('end a1'));
  // a2 (same record as a1) started only after a1 ended
  expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
  await expectAllSettled(durable);
});

test("prepare runs on arrival, while the record's earlier event is still in hand; handle gets its value", async () => {
  const { durable, base } = await freshOwner();
  const log: string[] = [];
  const prepared: Record<string, unknown> = {};
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  consumer = await follow(durable, {
    retryDelayMs: 100,
    prepare: (raw) => {
      const { id } = raw as { id: string };
      log.push(`prepare ${id}`);
      if (id === 'a2') releaseFirst(); // a1 is held until a2 was prepared: only an early prepare gets here
      if (id === 'bad') throw new Error('prepare failed');
      return `ready ${id}`;
    },
    handle: async (raw, meta) => {
      const { id } = raw as { id: string };
      prepared[id] = meta.prepared;
      if (id === 'a1') await firstHeld;
      log.push(`end ${id}`);
      return { action: 'ack' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'started'), { id: 'a1' });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'completed'), { id: 'a2' });
  await publishRaw(lifecycleSubject('schedule', base + 2, 'completed'), { id: 'bad' });
  await publishRaw(lifecycleSubject('schedule', base + 3, 'completed'), 'not json');
  await waitUntil(() => consumer!.processed() === 4);
  expect(log.indexOf('prepare a2')).toBeLessThan(log.indexOf('end a1'));
  expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('end a2'));
  // A prepare that throws leaves the event to handle alone; an unparseable one is never prepared.
  expect(prepared).toEqual({ a1: 'ready a1', a2: 'ready a2', bad: undefined });
  expect(log.filter((l) => l.startsWith('prepare'))).toEqual(['prepare a1', 'prepare a2', 'prepare bad']);
  await expectAllSettled(durable);
});

test("provisioning asks the server for the handle's replica count (NATS_STREAM_REPLICAS)", async () => {
  expect((await jsm.streams.info(EVENTS_STREAM)).config.num_replicas).toBe(1);
  // A single server cannot hold 3 replicas: the refusal proves the count reaches the server.
  await expect(
    provisionOwnerStreams({ ...handle, streamReplicas: 3 }, logger, 'comparison', 'job-owner-provision'),
  ).rejects.toThrow(/3 stream replicas need a NATS cluster/);
});

test('an applied event is acked once, with the parsed body, delivery count and correlation id', async () => {
  const { durable, base } = await freshOwner();
  const seen: Array<{ raw: unknown; deliveryCount: number; cid: string | undefined }> = [];
  const settled: string[] = [];
  consumer = await follow(durable, {
    retryDelayMs: 100,
    onSettled: (a) => settled.push(a),
    handle: async (raw, meta) => {
      seen.push({ raw, deliveryCount: meta.deliveryCount, cid: currentCorrelationId() });
      return { action: 'ack' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'started'), { id: 'e1' }, 'cid-from-header');
  await publishRaw(lifecycleSubject('schedule', base + 2, 'started'), {
    id: 'e2',
    correlationid: 'cid-from-event',
  });
  await waitUntil(() => consumer!.processed() === 2);
  expect(seen).toEqual([
    { raw: { id: 'e1' }, deliveryCount: 1, cid: 'cid-from-header' },
    { raw: { id: 'e2', correlationid: 'cid-from-event' }, deliveryCount: 1, cid: 'cid-from-event' },
  ]);
  expect(settled).toEqual(['ack', 'ack']);
  await expectAllSettled(durable);
});

test('an unparseable event is terminated without reaching the handler and never comes back', async () => {
  const { durable, base } = await freshOwner();
  const handled: unknown[] = [];
  const settled: string[] = [];
  consumer = await follow(durable, {
    retryDelayMs: 100,
    onSettled: (a) => settled.push(a),
    handle: async (raw) => {
      handled.push(raw);
      return { action: 'ack' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'started'), '{not json');
  await publishRaw(lifecycleSubject('schedule', base + 2, 'started'), { ok: true });
  await waitUntil(() => consumer!.processed() === 2);
  await new Promise((r) => setTimeout(r, 300));
  expect(handled).toEqual([{ ok: true }]);
  expect(settled).toEqual(['term', 'ack']);
  expect(consumer.processed()).toBe(2);
  await expectAllSettled(durable);
});

test.each<[string, (attempt: number) => EventDecision | Error]>([
  [
    'a nak decision',
    (n) => (n === 1 ? { action: 'nak', delayMs: 200, reason: 'store down' } : { action: 'ack' }),
  ],
  ['a throwing handler (nak after retryDelayMs)', (n) => (n === 1 ? new Error('boom') : { action: 'ack' })],
])('%s is redelivered later with the next delivery count', async (_what, decide) => {
  const { durable, base } = await freshOwner();
  const attempts: number[] = [];
  const settled: string[] = [];
  consumer = await follow(durable, {
    retryDelayMs: 200,
    onSettled: (a) => settled.push(a),
    handle: async (_raw, meta) => {
      attempts.push(meta.deliveryCount);
      const d = decide(meta.deliveryCount);
      if (d instanceof Error) throw d;
      return d;
    },
  });
  const started = Date.now();
  await publishRaw(lifecycleSubject('schedule', base + 1, 'completed'), { id: 'x' });
  await waitUntil(() => consumer!.processed() === 2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  expect(attempts).toEqual([1, 2]);
  expect(settled).toEqual(['nak', 'ack']);
});

test('a term decision settles the event for good', async () => {
  const { durable, base } = await freshOwner();
  let calls = 0;
  consumer = await follow(durable, {
    retryDelayMs: 50,
    handle: async () => {
      calls++;
      return { action: 'term', reason: 'not a CloudEvent' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'failed'), { nope: 1 });
  await waitUntil(() => consumer!.processed() === 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(calls).toBe(1);
  await expectAllSettled(durable);
});

test('working() heartbeats keep a slow event from being redelivered past ack_wait', async () => {
  const { durable, base } = await freshOwner();
  await jsm.consumers.update(EVENTS_STREAM, durable, { ack_wait: 1_000_000_000 });
  const attempts: number[] = [];
  consumer = await follow(durable, {
    retryDelayMs: 50,
    workingIntervalMs: 250,
    handle: async (_raw, meta) => {
      attempts.push(meta.deliveryCount);
      await new Promise((r) => setTimeout(r, 2500));
      return { action: 'ack' };
    },
  });
  await publishRaw(lifecycleSubject('schedule', base + 1, 'completed'), { big: true });
  await waitUntil(() => consumer!.processed() === 1);
  await new Promise((r) => setTimeout(r, 300));
  expect(attempts).toEqual([1]);
  expect(consumer.processed()).toBe(1);
});

test('stop() waits for the event in hand to be settled, and may be called again', async () => {
  const { durable, base } = await freshOwner();
  let release!: () => void;
  const entered = new Promise<void>((resolveEntered) => {
    void follow(durable, {
      retryDelayMs: 50,
      handle: async () => {
        resolveEntered();
        await new Promise<void>((r) => (release = r));
        return { action: 'ack' };
      },
    }).then((c) => (consumer = c));
  });
  await waitUntil(() => consumer !== undefined);
  await publishRaw(lifecycleSubject('schedule', base + 1, 'started'), { id: 's' });
  await entered;
  let stopped = false;
  const stopping = consumer!.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 200));
  expect(stopped).toBe(false);
  release();
  await stopping;
  expect(consumer!.processed()).toBe(1);
  await consumer!.stop();
  await expectAllSettled(durable);
});

describe('cancellations', () => {
  let sub: Subscription | undefined;
  afterEach(() => sub?.unsubscribe());

  test('the bucket opens when it already exists; cancel marks the KV, then broadcasts', async () => {
    const kv = await openCancellationsBucket(handle.nc);
    const again = await openCancellationsBucket(handle.nc);
    const broadcasts: unknown[] = [];
    sub = handle.nc.subscribe(CANCEL_SUBJECT, {
      callback: (_e, m) => void broadcasts.push(decodeJson(m.data)),
    });
    await handle.nc.flush();

    await new NatsCanceller(handle.nc, kv).cancel('schedule.7');
    const entry = await again.get('schedule.7');
    expect(entry && (JSON.parse(entry.string()) as Record<string, unknown>)).toMatchObject({
      job_id: 'schedule.7',
      reason: 'deleted',
    });
    await waitUntil(() => broadcasts.length === 1);
    expect(broadcasts).toEqual([{ job_id: 'schedule.7' }]);
  });
});

test('the jobs publisher reports a repeated event id as a duplicate and the stream keeps one copy', async () => {
  await provisionOwnerStreams(handle, logger, 'schedule', 'job-owner-provision-jobs');
  const event = {
    specversion: '1.0',
    id: `job-owner-test-${Date.now()}`,
    source: 'job-owner-test',
    type: 'fillsched.solve.requested',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { job_id: 'schedule.1', owner: { kind: 'schedule', id: 1, user_id: 1 } },
  } as unknown as CloudEvent<SolveJob>;
  const before = (await jsm.streams.info(JOBS_STREAM)).state.messages;
  const publisher = new NatsJobPublisher(jetstream(handle.nc), { timeoutMs: 2000, retries: 1 });
  expect(await publisher.publishJob(event)).toEqual({ duplicate: false });
  expect(await publisher.publishJob(event)).toEqual({ duplicate: true });
  expect((await jsm.streams.info(JOBS_STREAM)).state.messages).toBe(before + 1);
});

test('owner work: responders answer in the queue group; stop() stops them, then the consumer, then closes clients, once', async () => {
  const { durable } = await freshOwner();
  const order: string[] = [];
  const work = await startOwnerWork({
    handle,
    logger,
    subjects: { ping: 'job-owner.test.rpc.ping', echo: 'job-owner.test.rpc.echo' },
    queue: 'job-owner-test',
    handlers: {
      ping: async () => ({ status: 200, body: { pong: true } }),
      echo: async (req) => ({ status: 201, body: req.body }),
    },
    startConsumer: async () => {
      const c = await follow(durable, { retryDelayMs: 50, handle: async () => ({ action: 'ack' }) });
      return { processed: c.processed, stop: () => c.stop().then(() => void order.push('consumer')) };
    },
    clients: [{ close: () => order.push('client') } as unknown as ServiceClient],
  });
  expect(work.responders).toHaveLength(2);
  const client = createServiceClient(handle, 'job-owner-test', { timeoutMs: 2000 });
  try {
    expect(await client.request('job-owner.test.rpc.ping', {})).toMatchObject({
      status: 200,
      body: { pong: true },
    });
    expect(await client.request('job-owner.test.rpc.echo', { body: { a: 1 } })).toMatchObject({
      status: 201,
      body: { a: 1 },
    });
    await Promise.all([work.stop(), work.stop()]);
    await work.stop();
    expect(order).toEqual(['consumer', 'client']);
    await expect(client.request('job-owner.test.rpc.ping', {})).rejects.toMatchObject({ status: 503 });
  } finally {
    client.close();
  }
});

describe('followConfigChanges', () => {
  test('a config-changed notice from another connection drops the kept templates before a later request is served', async () => {
    const kept = { invalidations: 0, invalidate: () => void kept.invalidations++ };
    const stop = followConfigChanges(handle, kept);
    const config = await connectNats({ servers: nats.url, name: 'config-test', logger });
    try {
      await handle.nc.flush(); // the subscription has reached the server
      // The config service's order: the notice, then its answer; the owner gets the notice first.
      const seen: string[] = [];
      const sub = handle.nc.subscribe('test.after-change', {
        callback: () => seen.push(`request after ${kept.invalidations} invalidation(s)`),
      });
      await handle.nc.flush();
      config.nc.publish(CONFIG_CHANGED_SUBJECT, encodeJson({ template_id: 7, user_id: null }));
      config.nc.publish('test.after-change', '');
      await config.nc.flush();
      await handle.nc.flush();
      expect(seen).toEqual(['request after 1 invalidation(s)']);
      sub.unsubscribe();
      stop();
      config.nc.publish(CONFIG_CHANGED_SUBJECT, encodeJson({ template_id: 7, user_id: null }));
      await config.nc.flush();
      await handle.nc.flush();
      expect(kept.invalidations).toBe(1);
    } finally {
      await config.close();
    }
  });

  test('a disconnect drops them too: notices sent meanwhile would be lost', () => {
    let listener: (() => void) | undefined;
    const fake = {
      nc: handle.nc,
      onDisconnect: (l: () => void) => ((listener = l), () => (listener = undefined)),
    };
    const kept = { invalidations: 0, invalidate: () => void kept.invalidations++ };
    const stop = followConfigChanges(fake, kept);
    listener?.();
    expect(kept.invalidations).toBe(1);
    stop();
    expect(listener).toBeUndefined();
  });
});
