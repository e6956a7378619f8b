import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import type { Connection } from 'mongoose';
import { MongooseResultStore, RESULTS_COLLECTION } from './adapters/mongoose';
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

    test('a server that cannot run $slice projections (NotImplemented) still gets the right page', async () => {
      const store = new MongooseResultStore(conn);
      await store.save(makeStoredResult('schedule.noslice', 6));
      const notImplemented = Object.assign(
        new Error('projection expression { $slice: [ 2, 3 ] } is not supported'),
        {
          code: 238,
        },
      );
      const spy = jest.spyOn(store.model.collection, 'findOne').mockRejectedValueOnce(notImplemented);
      const page = await store.findPage('schedule.noslice', 2, 3);
      expect(page!.activities.map((a) => a.lot_id)).toEqual(['L2', 'L3', 'L4']);
      expect(spy).toHaveBeenCalledTimes(2); // once refused, then the whole document
      spy.mockRestore();
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
