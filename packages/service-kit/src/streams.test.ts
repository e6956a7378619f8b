import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { withCorrelation, CORRELATION_HEADER } from './logging';
import { connectNats, type NatsHandle } from './nats';
import { ensureStreams, publishEvent, type ConsumerSpec, type StreamSpec } from './streams';
import { captureLogger } from './test-support/capture';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(20000);

const { logger } = captureLogger('streams');
let nats: TestNats;
let h: NatsHandle;

beforeAll(async () => {
  nats = await startNatsForTests();
  h = await connectNats({ servers: nats.url, name: 'streams', logger });
});
afterAll(async () => {
  await h?.close();
  await nats?.stop();
});

const streams: StreamSpec[] = [
  { name: 'WORK', subjects: ['work.>'], retention: RetentionPolicy.Workqueue, duplicate_window: 120e9 },
  { name: 'EVENTS', subjects: ['events.>'], retention: RetentionPolicy.Limits },
];
const consumers: ConsumerSpec[] = [
  {
    stream: 'WORK',
    config: {
      durable_name: 'solver',
      ack_policy: AckPolicy.Explicit,
      filter_subject: 'work.requested',
      max_deliver: 5,
      ack_wait: 30e9,
    },
  },
  { stream: 'EVENTS', config: { durable_name: 'schedule', ack_policy: AckPolicy.Explicit } },
];

describe('ensureStreams', () => {
  it('creates, then changes nothing on a second run, and survives concurrent replicas', async () => {
    const first = await ensureStreams(h.nc, { streams, consumers }, logger);
    expect(first.streams.map((s) => s.action)).toEqual(['created', 'created']);
    expect(first.consumers.map((c) => c.action)).toEqual(['created', 'created']);

    // Nothing changed: no update is sent (on a cluster each one is a round of consensus).
    const second = await ensureStreams(h.nc, { streams, consumers });
    expect(second.streams.map((s) => s.action)).toEqual(['unchanged', 'unchanged']);
    expect(second.consumers.map((c) => c.action)).toEqual(['unchanged', 'unchanged']);

    // Five "replicas" at once against fresh names: all must succeed, one stream results.
    const fresh: StreamSpec[] = [{ name: 'RACE', subjects: ['race.>'] }];
    const freshConsumers: ConsumerSpec[] = [
      {
        stream: 'RACE',
        config: { durable_name: 'r', ack_policy: AckPolicy.Explicit, filter_subject: 'race.a' },
      },
    ];
    const conns = await Promise.all(
      Array.from({ length: 5 }, (_, i) => connectNats({ servers: nats.url, name: `replica-${i}`, logger })),
    );
    try {
      const results = await Promise.all(
        conns.map((c) => ensureStreams(c.nc, { streams: fresh, consumers: freshConsumers })),
      );
      expect(results).toHaveLength(5);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
    const jsm = await jetstreamManager(h.nc);
    const names = (await jsm.streams.names().next()).sort();
    expect(names).toEqual(['EVENTS', 'RACE', 'WORK']);
    const ci = await jsm.consumers.info('WORK', 'solver');
    expect(ci.config).toMatchObject({ filter_subject: 'work.requested', max_deliver: 5 });
  });

  it('applies a changed mutable setting on the next run', async () => {
    const changed = consumers.map((c) =>
      c.config.durable_name === 'solver' ? { ...c, config: { ...c.config, max_deliver: 7 } } : c,
    );
    const r = await ensureStreams(h.nc, { streams, consumers: changed });
    expect(r.consumers.find((c) => c.name === 'solver')?.action).toBe('updated');
    const jsm = await jetstreamManager(h.nc);
    expect((await jsm.consumers.info('WORK', 'solver')).config.max_deliver).toBe(7);
  });

  it('gives every stream the replica count of NATS_STREAM_REPLICAS unless the spec names one', async () => {
    const jsm = await jetstreamManager(h.nc);
    expect((await jsm.streams.info('WORK')).config.num_replicas).toBe(1); // the default
    // 3 replicas on a single server are refused before any request (2.9 would claim them and lie).
    await expect(
      ensureStreams(h.nc, { streams: [{ name: 'R3', subjects: ['r3.>'] }], replicas: 3, retryForMs: 0 }),
    ).rejects.toThrow(/3 stream replicas need a NATS cluster/);
    // A spec naming its own count keeps it; the count is sent explicitly (an update without it
    // would scale a replicated stream back to 1).
    const own = await ensureStreams(h.nc, {
      streams: [{ name: 'R1', subjects: ['r1.>'], num_replicas: 1 }],
      replicas: 1,
    });
    expect(own.streams).toEqual([{ name: 'R1', action: 'created' }]);
    expect((await jsm.streams.info('R1')).config.num_replicas).toBe(1);
  });

  it('accepts the flat consumer shape ({ stream, durable_name, ... }) and a NatsHandle', async () => {
    const r = await ensureStreams(h, {
      streams: [],
      consumers: [
        {
          stream: 'EVENTS',
          durable_name: 'flat',
          ack_policy: AckPolicy.Explicit,
          filter_subject: 'events.x',
        },
      ],
    });
    expect(r.consumers).toEqual([{ stream: 'EVENTS', name: 'flat', action: 'created' }]);
    const jsm = await jetstreamManager(h.nc);
    expect((await jsm.consumers.info('EVENTS', 'flat')).config.filter_subject).toBe('events.x');
  });

  it('names the stream when an immutable setting conflicts', async () => {
    const changed = { ...streams[0], retention: RetentionPolicy.Limits };
    await expect(ensureStreams(h.nc, { streams: [changed] })).rejects.toThrow(/ensureStreams: stream WORK: /);
  });

  it('refuses 2.10-only consumer features with a clear message', async () => {
    const bad = {
      stream: 'WORK',
      config: { durable_name: 'multi', filter_subjects: ['work.a', 'work.b'] },
    } as unknown as ConsumerSpec;
    await expect(ensureStreams(h.nc, { streams: [], consumers: [bad] })).rejects.toThrow(
      /one filter_subject/,
    );
  });
});

describe('ensureStreams replicas (NATS_STREAM_REPLICAS)', () => {
  it('gives every stream the configured replica count unless its spec sets one', async () => {
    await ensureStreams(h.nc, {
      streams: [
        { name: 'REP_A', subjects: ['rep.a.>'] },
        { name: 'REP_B', subjects: ['rep.b.>'], num_replicas: 1 },
      ],
      replicas: 1,
    });
    const jsm = await jetstreamManager(h.nc);
    expect((await jsm.streams.info('REP_A')).config.num_replicas).toBe(1);
    expect((await jsm.streams.info('REP_B')).config.num_replicas).toBe(1);
  });

  it('refuses more than 1 replica on a single server, also for existing streams (2.9 would accept)', async () => {
    await expect(
      ensureStreams(h.nc, { streams: [{ name: 'REP_A', subjects: ['rep.a.>'] }], replicas: 3 }),
    ).rejects.toThrow(/3 stream replicas need a NATS cluster/);
    const jsm = await jetstreamManager(h.nc);
    expect((await jsm.streams.info('REP_A')).config.num_replicas).toBe(1);
  });

  it('the count reaches the server: a stream spec of its own with 3 replicas is refused by NATS', async () => {
    await expect(
      ensureStreams(h.nc, { streams: [{ name: 'REP_C', subjects: ['rep.c.>'], num_replicas: 3 }] }),
    ).rejects.toThrow(/stream REP_C: replicas > 1 not supported in non-clustered mode/);
  });
});

describe('publishEvent', () => {
  it('dedups by event id and carries the correlation id header', async () => {
    const js = jetstream(h.nc);
    const event = { id: 'evt-1', type: 'schedule.requested', data: { schedule_id: 1 } };
    const a = await withCorrelation('corr-pub', () => publishEvent(js, 'events.schedule', event));
    const b = await publishEvent(js, 'events.schedule', event);
    const c = await publishEvent(js, 'events.schedule', { ...event, id: 'evt-2' });
    expect(a.duplicate).toBe(false);
    expect(b).toMatchObject({ duplicate: true, seq: a.seq });
    expect(c.seq).toBe(a.seq + 1);

    const jsm = await jetstreamManager(h.nc);
    const stored = await jsm.streams.getMessage('EVENTS', { seq: a.seq });
    expect(stored?.header.get(CORRELATION_HEADER)).toBe('corr-pub');
    expect(stored?.header.get('Nats-Msg-Id')).toBe('evt-1');
    expect(stored?.json()).toEqual(event);
  });

  it('fails fast when no stream captures the subject (not a transient error)', async () => {
    const js = jetstream(h.nc);
    const t0 = Date.now();
    await expect(publishEvent(js, 'nowhere.at.all', { id: 'x' }, { retries: 2 })).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
