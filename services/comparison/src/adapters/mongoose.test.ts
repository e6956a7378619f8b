import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import type { Connection } from 'mongoose';
import { comparison, comparisonRepositoryContract, withoutLots } from '../comparison-repository.contract';
import { MongooseComparisonRepository } from './mongoose';

jest.setTimeout(30_000);

// The embedded wire server (or MONGO_URL) and FerretDB, a real server with real unique indexes.
describe.each(mongoTargetsForTests())('on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;

  beforeAll(async () => {
    mongo = await target.start();
    conn = await connectMongo({ url: mongo.url, logger: createLogger('comparison-test', 'silent') });
  });
  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });

  describe('MongooseComparisonRepository', () => {
    comparisonRepositoryContract(async () => {
      await conn.collection('comparisons').deleteMany({});
      return new MongooseComparisonRepository(conn);
    }, target);
  });

  describe('MongooseComparisonRepository storage', () => {
    it('still reads a comparison stored before config and lots became JSON text', async () => {
      await conn.collection('comparisons').deleteMany({});
      const repo = new MongooseComparisonRepository(conn);
      const c = comparison(7, { config: { line_count: 4 } });
      const { results, ...rest } = c;
      const entries = Object.fromEntries(results.map(({ strategy, ...e }) => [strategy, e]));
      await conn.collection('comparisons').insertOne({ ...rest, entries });
      expect(await repo.findById(7)).toEqual(withoutLots(c));
    });

    it('keeps the lots and the resolved config with the run (reads leave the lots out)', async () => {
      await conn.collection('comparisons').deleteMany({});
      const repo = new MongooseComparisonRepository(conn);
      const c = comparison(1, { config: { line_count: 3, clean_hours: 6 } });
      await repo.insert(c);
      const raw = await conn.collection('comparisons').findOne({ id: 1 });
      expect(JSON.parse(raw?.lots_json)).toEqual(c.lots_data);
      expect(JSON.parse(raw?.config_json)).toEqual({ line_count: 3, clean_hours: 6 });
      expect(await repo.findById(1)).toEqual(withoutLots(c));
    });
  });
});
