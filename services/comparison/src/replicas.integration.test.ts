// Two replicas of the service sharing one MongoDB (the embedded wire server) and the durable
// consumer: events of one comparison are processed concurrently by both, and nothing is lost.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EVENTS_STREAM, RPC, comparisonFinishedSubject } from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import {
  connectMongo,
  connectNats,
  createLogger,
  createServiceClient,
  MongoIdAllocator,
  publishEvent,
  type NatsHandle,
  type ServiceClient,
} from '@fillsched/service-kit';
import {
  startMongoForTests,
  startNatsForTests,
  type TestMongo,
  type TestNats,
} from '@fillsched/service-kit/testing';
import type { Connection } from 'mongoose';
import { MongooseComparisonRepository } from './adapters/mongoose';
import { startComparisonService, type ComparisonService } from './service';
import { lifecycleEvent } from './testing-fakes';

jest.setTimeout(60_000);

const logger = createLogger('comparison-replicas', 'silent');
const alice = { id: 1, email: 'a@example.com', is_superuser: false };
const ALL: StrategyId[] = ['smart-pack', 'lpt-pack', 'spt-pack', 'cfs-pack', 'hybrid-pack', 'milp-opt'];

let nats: TestNats;
let mongo: TestMongo;
const handles: NatsHandle[] = [];
const conns: Connection[] = [];
const services: ComparisonService[] = [];
let client: ServiceClient;

beforeAll(async () => {
  nats = await startNatsForTests();
  mongo = await startMongoForTests();
  for (let i = 0; i < 2; i++) {
    const handle = await connectNats({ servers: nats.url, name: `replica-${i}`, logger });
    const conn = await connectMongo({ url: mongo.url, logger });
    handles.push(handle);
    conns.push(conn);
    services.push(
      await startComparisonService({
        handle,
        logger,
        comparisons: new MongooseComparisonRepository(conn),
        ids: new MongoIdAllocator(conn),
        configTimeoutMs: 500,
      }),
    );
  }
  const clientHandle = await connectNats({ servers: nats.url, name: 'client', logger });
  handles.push(clientHandle);
  client = createServiceClient(clientHandle, 'comparison', { timeoutMs: 5000 });
});

afterAll(async () => {
  client?.close();
  await Promise.all(services.map((s) => s.stop()));
  await Promise.all(handles.map((h) => h.close()));
  await Promise.all(conns.map((c) => c.close()));
  await mongo?.stop();
  await nats?.stop();
});

it('concurrent events of six strategies over two replicas: every entry applied, finished once', async () => {
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    // One user each: 6 queued jobs apiece, under the per-user job limit (nothing consumes them here).
    const r = await client.request(RPC.comparison.create, {
      user: { ...alice, id: alice.id + i },
      body: { name: `c${i}`, lots_data: [{ lot_id: 'L1', type: 'A', vials: 1000 }], strategies: ALL },
    });
    expect(r.status).toBe(202);
    ids.push((r.body as { id: number }).id);
  }
  expect(new Set(ids).size).toBe(3);

  // Everything at once, out of order, with duplicates.
  const js = jetstream(handles[2].nc);
  const events = ids.flatMap((id) =>
    ALL.flatMap((s, i) => [
      lifecycleEvent('completed', id, s, { summary: { makespan: 100 + ((i * 7 + id) % 6) } }),
      lifecycleEvent('started', id, s),
      ...(i % 2
        ? [lifecycleEvent('completed', id, s, { summary: { makespan: 100 + ((i * 7 + id) % 6) } })]
        : []),
    ]),
  );
  await Promise.all(
    events.map((e) => publishEvent(js, e.subject, { ...e.event, id: `${e.event.id}#${Math.random()}` })),
  );

  for (const id of ids) {
    const deadline = Date.now() + 20_000;
    let body: {
      status: string;
      best_strategy: string | null;
      results: { status: string; makespan: number }[];
    };
    for (;;) {
      const owner = { ...alice, id: alice.id + ids.indexOf(id) };
      const r = await client.request(RPC.comparison.get, { user: owner, params: { id: String(id) } });
      body = r.body as typeof body;
      if (body.status === 'completed' || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(body.status).toBe('completed');
    expect(body.results.every((r) => r.status === 'completed')).toBe(true);
    const best =
      ALL[body.results.findIndex((r) => r.makespan === Math.min(...body.results.map((x) => x.makespan)))];
    expect(body.best_strategy).toBe(best);
  }
  // Both replicas did part of the work.
  expect(services.every((s) => s.consumer.processed() > 0)).toBe(true);

  // Exactly one comparison.finished per comparison in the stream.
  const jsm = await jetstreamManager(handles[2].nc);
  for (const id of ids) {
    const msg = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: comparisonFinishedSubject(id) });
    expect(msg?.json<{ data: { comparison_id: number } }>().data.comparison_id).toBe(id);
  }
  const info = await jsm.streams.info(EVENTS_STREAM, {
    subjects_filter: 'fillsched.events.comparison.*.finished',
  });
  expect(Object.values(info.state.subjects ?? {})).toEqual([1, 1, 1]);
});
