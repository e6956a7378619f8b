import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import type { Connection } from 'mongoose';
import { RESULT_CHUNK_ACTIVITIES } from '@fillsched/contracts';
import { MongooseResultStore, RESULT_CHUNKS_COLLECTION, RESULTS_COLLECTION } from './adapters/mongoose';
import { makeStoredResult, resultStoreContract } from './result-store.contract';

jest.setTimeout(30_000);

// The embedded wire server (or MONGO_URL) and FerretDB, a real server with real unique indexes.
describe.each(mongoTargetsForTests())('on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;

  beforeAll(async () => {
    mongo = await target.start();
    conn = await connectMongo({ url: mongo.url, logger: createLogger('solver-test', 'silent') });
    await new MongooseResultStore(conn).init();
  });
  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });

  resultStoreContract(`mongoose on ${target.kind}`, async () => ({ store: new MongooseResultStore(conn) }));

  describe('mongoose specifics', () => {
    test('documents land in solve_results with a unique index on job_id', async () => {
      const store = new MongooseResultStore(conn);
      await store.save(makeStoredResult('schedule.idx', 3));
      const raw = await conn.collection(RESULTS_COLLECTION).findOne({ job_id: 'schedule.idx' });
      expect(raw).toMatchObject({ job_id: 'schedule.idx', activity_count: 3, strategy: 'smart-pack' });
      expect(raw!.created_at).toBeInstanceOf(Date);
      const indexes = await conn.collection(RESULTS_COLLECTION).indexes();
      expect(indexes.find((i) => i.key.job_id === 1)?.unique).toBe(true);
    });

    test('an E11000 from the database counts as "already stored"', async () => {
      const store = new MongooseResultStore(conn);
      const dup = Object.assign(new Error('E11000 duplicate key error collection: solve_results'), {
        code: 11000,
      });
      const spy = jest.spyOn(store.model.collection, 'updateOne').mockRejectedValueOnce(dup);
      expect(await store.save(makeStoredResult('schedule.dup', 1))).toEqual({ created: false });
      spy.mockRestore();
    });

    test('a result is a header plus bounded chunks (the result document form); a page reads its chunks', async () => {
      const store = new MongooseResultStore(conn, 4);
      await store.save(makeStoredResult('schedule.chunked', 10));
      const header = await conn.collection(RESULTS_COLLECTION).findOne({ job_id: 'schedule.chunked' });
      expect(header).toMatchObject({ activity_count: 10, chunk_count: 3, chunk_size: 4 });
      expect(header!.result.activities).toBeUndefined();
      const chunks = await conn
        .collection(RESULT_CHUNKS_COLLECTION)
        .find({ job_id: 'schedule.chunked' })
        .sort({ chunk: 1 })
        .toArray();
      expect(chunks.map((c) => c.activities.length)).toEqual([4, 4, 2]);
      const page = await store.findPage('schedule.chunked', 3, 6);
      expect(page!.activities.map((a) => a.lot_id)).toEqual(['L3', 'L4', 'L5', 'L6', 'L7', 'L8']);
    });

    test('the default chunk keeps every document far below 16 MB at the input limits', async () => {
      // ~60,000 activities (20,000 lots on 100 lines with downtime) → chunks of RESULT_CHUNK_ACTIVITIES.
      const store = new MongooseResultStore(conn);
      await store.save(makeStoredResult('schedule.big', 6_001));
      const sizes = (
        await conn.collection(RESULT_CHUNKS_COLLECTION).find({ job_id: 'schedule.big' }).toArray()
      ).map((c) => Buffer.byteLength(JSON.stringify(c)));
      expect(sizes).toHaveLength(Math.ceil(6_001 / RESULT_CHUNK_ACTIVITIES));
      expect(Math.max(...sizes)).toBeLessThan(1024 * 1024);
    });

    test('two saves racing for one job: one header wins and the loser leaves no chunks behind', async () => {
      const store = new MongooseResultStore(conn, 2);
      const spy = jest.spyOn(store.model.collection, 'findOne').mockResolvedValueOnce(null);
      await store.save(makeStoredResult('schedule.race', 5, { strategy: 'smart-pack' }));
      // The second save passes the existence check (as if it ran concurrently) and loses the header.
      (spy as jest.SpyInstance).mockResolvedValueOnce(null);
      expect(await store.save(makeStoredResult('schedule.race', 3))).toEqual({ created: false });
      spy.mockRestore();
      const chunks = await conn
        .collection(RESULT_CHUNKS_COLLECTION)
        .countDocuments({ job_id: 'schedule.race' });
      expect(chunks).toBe(3);
      const page = await store.findPage('schedule.race', 0, 10);
      expect(page!.activities).toHaveLength(5);
    });

    test('other database errors propagate (the job is retried, not acknowledged)', async () => {
      const store = new MongooseResultStore(conn);
      const spy = jest
        .spyOn(store.model.collection, 'updateOne')
        .mockRejectedValueOnce(new Error('connection reset'));
      await expect(store.save(makeStoredResult('schedule.err', 1))).rejects.toThrow('connection reset');
      spy.mockRestore();
    });
  });
});
