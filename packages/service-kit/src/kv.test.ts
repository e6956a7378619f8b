import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openOrCreateKv } from './kv';
import { startNatsForTests, type TestNats } from './testing';

jest.setTimeout(20000);

let nats: TestNats;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsForTests();
  nc = await connect({ servers: nats.url });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

describe('openOrCreateKv', () => {
  it('creates the bucket with the TTL, history and replicas asked for', async () => {
    const kv = await openOrCreateKv(nc, 'kv-create', { ttlMs: 60_000, history: 2, replicas: 1 });
    await kv.put('k', 'v1');
    const info = await (await jetstreamManager(nc)).streams.info('KV_kv-create');
    expect(info.config).toMatchObject({ max_age: 60_000 * 1e6, max_msgs_per_subject: 2, num_replicas: 1 });
  });

  it('opens a bucket another service created with other options, keeping its data', async () => {
    const first = await openOrCreateKv(nc, 'kv-shared', { ttlMs: 60_000 });
    await first.put('k', 'kept');
    const second = await openOrCreateKv(nc, 'kv-shared', { ttlMs: 120_000 });
    expect((await second.get('k'))?.string()).toBe('kept');
  });

  it('refuses 3 replicas on a single server, also for a bucket that exists already', async () => {
    await openOrCreateKv(nc, 'kv-existing');
    for (const bucket of ['kv-replicated', 'kv-existing'])
      await expect(openOrCreateKv(nc, bucket, { replicas: 3 })).rejects.toThrow(/need a NATS cluster/);
  });
});
