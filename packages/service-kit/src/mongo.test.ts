import type { Connection } from 'mongoose';
import {
  connectMongo,
  DuplicateKeyError,
  isDuplicateKeyError,
  isSingleHostUrl,
  MemoryIdAllocator,
  mongoReady,
  MongoIdAllocator,
  type IdAllocator,
  type IdBlockSource,
} from './mongo';
import { captureLogger } from './test-support/capture';
import { mongoTargetsForTests, startMongoForTests, type TestMongo } from './testing';

jest.setTimeout(30000);

const { logger } = captureLogger('mongo');
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

// One contract, both adapters.
const adapters: Array<[string, () => IdAllocator & IdBlockSource]> = [
  ['MemoryIdAllocator', () => new MemoryIdAllocator()],
  ['MongoIdAllocator', () => new MongoIdAllocator(conn, `counters_${Math.random().toString(36).slice(2)}`)],
];

describe.each(adapters)('%s', (_name, make) => {
  it('gives 1, 2, 3 … per collection, independently', async () => {
    const ids = make();
    expect(await ids.next('schedules')).toBe(1);
    expect(await ids.next('schedules')).toBe(2);
    expect(await ids.next('users')).toBe(1);
    expect(await ids.next('schedules')).toBe(3);
  });

  it('gives 50 distinct consecutive ids under 50 concurrent calls on a fresh counter', async () => {
    const ids = make();
    const got = await Promise.all(Array.from({ length: 50 }, () => ids.next('hot')));
    expect(new Set(got).size).toBe(50);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('reserve(n) takes the next n ids at once; next() continues after them', async () => {
    const ids = make();
    expect(await ids.next('blocks')).toBe(1);
    expect(await ids.reserve('blocks', 20)).toEqual({ first: 2, last: 21 });
    expect(await ids.next('blocks')).toBe(22);
  });
});

// The allocator's E11000 path on FerretDB, whose counter index is really unique: two racing first
// calls on a fresh counter both upsert, the loser gets a real E11000 and must retry. (The embedded
// server never raises it; 50 racing calls as above would not work there: FerretDB 1.24's `$inc` on an
// existing document is not atomic, see MongoTarget.atomicUpdates.)
describe.each(mongoTargetsForTests().filter((t) => t.kind === 'ferretdb'))(
  'MongoIdAllocator on $kind',
  (target) => {
    let server: TestMongo;
    let c: Connection;
    beforeAll(async () => {
      server = await target.start();
      c = await connectMongo({ url: server.url, logger });
    });
    afterAll(async () => {
      await c?.close();
      await server?.stop();
    });

    it('two racing first calls on each of 10 fresh counters get 1 and 2: the E11000 loser retries', async () => {
      const ids = new MongoIdAllocator(c, `counters_${Math.random().toString(36).slice(2)}`);
      await ids.next('warm-up'); // the unique index exists before the races
      const pairs = await Promise.all(
        Array.from({ length: 10 }, (_, k) => Promise.all([ids.next(`c${k}`), ids.next(`c${k}`)])),
      );
      for (const pair of pairs) expect([...pair].sort()).toEqual([1, 2]);
    });
  },
);

describe('MongoIdAllocator durability', () => {
  it('continues after a new allocator instance (ids are never reused)', async () => {
    const coll = `counters_${Math.random().toString(36).slice(2)}`;
    await new MongoIdAllocator(conn, coll).next('x');
    await new MongoIdAllocator(conn, coll).next('x');
    expect(await new MongoIdAllocator(conn, coll).next('x')).toBe(3);
  });
});

describe('connectMongo', () => {
  it('is ready when connected and not after close', async () => {
    expect(mongoReady(conn)).toBe(true);
    const other = await connectMongo({ url: mongo.url, logger });
    expect(mongoReady(other)).toBe(true);
    await other.close();
    expect(mongoReady(other)).toBe(false);
  });

  it('retries an unreachable server for initialConnectTimeoutMs, then gives up', async () => {
    await expect(
      connectMongo({
        url: 'mongodb://127.0.0.1:1/x',
        logger,
        serverSelectionTimeoutMS: 300,
        initialConnectTimeoutMs: 1000,
      }),
    ).rejects.toThrow();
  });

  it('uses a direct connection only for single-host URLs', () => {
    expect(isSingleHostUrl('mongodb://127.0.0.1:27017/db')).toBe(true);
    expect(isSingleHostUrl('mongodb://u:p@host/db?authSource=admin')).toBe(true);
    expect(isSingleHostUrl('mongodb://a:1,b:2/db')).toBe(false);
    expect(isSingleHostUrl('mongodb://a:1/db?replicaSet=rs0')).toBe(false);
    expect(isSingleHostUrl('mongodb+srv://cluster.example.com/db')).toBe(false);
  });
});

describe('isDuplicateKeyError', () => {
  it('recognises the driver, bulk and mongoose shapes', () => {
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError({ code: 11001 })).toBe(true);
    expect(isDuplicateKeyError(new Error('E11000 duplicate key error collection: x index: email_1'))).toBe(
      true,
    );
    expect(
      isDuplicateKeyError({ name: 'MongoBulkWriteError', writeErrors: [{ code: 11000, index: 0 }] }),
    ).toBe(true);
    expect(isDuplicateKeyError({ writeErrors: [{ err: { code: 11000 } }] })).toBe(true);
    expect(isDuplicateKeyError({ result: { writeErrors: [{ code: 11000 }] } })).toBe(true);
    expect(isDuplicateKeyError({ writeErrors: { code: 11000 } })).toBe(true);
    expect(isDuplicateKeyError(new Error('wrapped', { cause: { code: 11000 } }))).toBe(true);
    expect(isDuplicateKeyError(new DuplicateKeyError())).toBe(true);
  });

  it('rejects everything else', () => {
    expect(isDuplicateKeyError(undefined)).toBe(false);
    expect(isDuplicateKeyError('E11000')).toBe(false);
    expect(isDuplicateKeyError({ code: 121 })).toBe(false);
    expect(isDuplicateKeyError({ writeErrors: [{ code: 121 }] })).toBe(false);
    expect(isDuplicateKeyError(new Error('timeout'))).toBe(false);
  });
});
