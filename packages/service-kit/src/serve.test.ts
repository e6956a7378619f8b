import { MemoryIdAllocator, MongoIdAllocator } from './mongo';
import { openStores } from './serve';
import { captureLogger } from './test-support/capture';
import { startMongoForTests, type TestMongo } from './testing';

jest.setTimeout(30_000);

describe('openStores', () => {
  test('without MONGO_URL: in-memory stores and ids, and the warning saying so', async () => {
    const { logger, lines } = captureLogger('serve-test');
    let mongoCalls = 0;
    const r = await openStores({
      service: 'demo',
      env: {},
      logger,
      mongo: () => {
        mongoCalls++;
        return 'mongo';
      },
      memory: () => 'memory',
      memoryWarning: 'MONGO_URL is not set: demo data is NOT durable',
    });
    expect(r.stores).toBe('memory');
    expect(r.mongo).toBeUndefined();
    expect(r.ids).toBeInstanceOf(MemoryIdAllocator);
    expect(mongoCalls).toBe(0);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'MONGO_URL is not set: demo data is NOT durable',
    ]);
  });

  describe('with MONGO_URL', () => {
    let server: TestMongo;
    beforeAll(async () => {
      server = await startMongoForTests();
    });
    afterAll(() => server?.stop());

    test("the service's own database, the stores built on that connection, ids stored there; no warning", async () => {
      const { logger, lines } = captureLogger('serve-test');
      const r = await openStores({
        service: 'demo',
        env: { MONGO_URL: server.url },
        logger,
        mongo: async (conn) => ({ db: conn.name }),
        memory: () => ({ db: 'memory' }),
        memoryWarning: 'must not be logged',
      });
      try {
        expect(r.stores).toEqual({ db: 'fillsched_demo' });
        expect(r.mongo?.name).toBe('fillsched_demo');
        expect(r.ids).toBeInstanceOf(MongoIdAllocator);
        const first = await r.ids.next('things');
        expect(await r.ids.next('things')).toBe(first + 1);
        expect(lines.some((l) => l.msg === 'must not be logged')).toBe(false);
      } finally {
        await r.mongo?.close();
      }
    });
  });
});
