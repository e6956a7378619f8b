import type { Connection } from 'mongoose';
import { BlockIdAllocator } from './id-blocks';
import { connectMongo, MemoryIdAllocator, MongoIdAllocator, type IdBlock, type IdBlockSource } from './mongo';
import { captureLogger } from './test-support/capture';
import { startMongoForTests, type TestMongo } from './testing';

jest.setTimeout(30000);

/** A source that counts its round trips and can be made to fail or to hold its answer. */
class RecordingSource implements IdBlockSource {
  readonly inner = new MemoryIdAllocator();
  calls = 0;
  failNext: Error | null = null;
  gate: Promise<void> | null = null;
  async reserve(collection: string, count: number): Promise<IdBlock> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    return this.inner.reserve(collection, count);
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('BlockIdAllocator', () => {
  it('hands out 1, 2, 3 … per collection with one round trip per block', async () => {
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 10, refillAt: 0 });
    const got: number[] = [];
    for (let i = 0; i < 25; i++) got.push(await ids.next('schedules'));
    expect(got).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(source.calls).toBe(3);
    expect(await ids.next('users')).toBe(1);
  });

  it('reserves the next block before the one in hand runs out, so callers do not wait for it', async () => {
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 8, refillAt: 2 });
    for (let i = 0; i < 5; i++) await ids.next('s');
    expect(source.calls).toBe(1);
    await ids.next('s'); // 2 left: the refill starts
    await settle();
    expect(source.calls).toBe(2);
    // While the spare is ready, the next 10 ids need no further round trip.
    source.gate = new Promise(() => undefined);
    const got: number[] = [];
    for (let i = 0; i < 8; i++) got.push(await ids.next('s'));
    expect(got).toEqual([7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it('warm() reserves the first block ahead of the first call', async () => {
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 4 });
    ids.warm('s');
    await settle();
    expect(source.calls).toBe(1);
    source.gate = new Promise(() => undefined);
    expect(await ids.next('s')).toBe(1);
  });

  it('concurrent callers share one reservation and get distinct ids', async () => {
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 50, refillAt: 0 });
    const got = await Promise.all(Array.from({ length: 120 }, () => ids.next('hot')));
    expect(new Set(got).size).toBe(120);
    expect(Math.max(...got)).toBe(120);
    expect(source.calls).toBe(3);
  });

  it('a failed reservation fails the callers waiting for it; the next call tries again', async () => {
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 5, refillAt: 0 });
    source.failNext = new Error('store down');
    await expect(Promise.all([ids.next('s'), ids.next('s')])).rejects.toThrow('store down');
    expect(source.calls).toBe(1);
    expect(await ids.next('s')).toBe(1);
  });

  it('a failed background refill is logged, and retried by the caller that needs the ids', async () => {
    const { logger, lines } = captureLogger('ids');
    const source = new RecordingSource();
    const ids = new BlockIdAllocator(source, { blockSize: 4, refillAt: 1, logger });
    for (let i = 0; i < 2; i++) await ids.next('s');
    source.failNext = new Error('leader election');
    await ids.next('s'); // 1 left: the refill starts and fails
    await settle();
    expect(lines.some((l) => l.msg?.includes('reserving the next block of ids failed'))).toBe(true);
    // The last id in hand is taken, and the refill is tried again then.
    expect([await ids.next('s'), await ids.next('s')]).toEqual([4, 5]);
    expect(source.calls).toBe(3);
  });

  it('refuses a block size that is not a positive integer', () => {
    expect(() => new BlockIdAllocator(new MemoryIdAllocator(), { blockSize: 0 })).toThrow(/positive integer/);
  });
});

describe('BlockIdAllocator on a real store (MongoIdAllocator)', () => {
  const { logger } = captureLogger('ids');
  let mongo: TestMongo;
  let conn: Connection;
  beforeAll(async () => {
    mongo = await startMongoForTests();
    conn = await connectMongo({ url: mongo.url, logger });
  });
  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });

  it('two allocators (two replicas) over one counter never hand out the same id', async () => {
    const counters = `counters_${Math.random().toString(36).slice(2)}`;
    const a = new BlockIdAllocator(new MongoIdAllocator(conn, counters), { blockSize: 7 });
    const b = new BlockIdAllocator(new MongoIdAllocator(conn, counters), { blockSize: 7 });
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 3 ? a : b).next('race')));
    expect(new Set(got).size).toBe(200);
    expect(Math.min(...got)).toBe(1);
  });

  it('a restart continues after the last reserved block: the unused rest of it is a gap', async () => {
    const counters = `counters_${Math.random().toString(36).slice(2)}`;
    const first = new BlockIdAllocator(new MongoIdAllocator(conn, counters), { blockSize: 10, refillAt: 0 });
    expect([await first.next('s'), await first.next('s'), await first.next('s')]).toEqual([1, 2, 3]);
    const restarted = new BlockIdAllocator(new MongoIdAllocator(conn, counters), { blockSize: 10 });
    expect(await restarted.next('s')).toBe(11);
  });
});
