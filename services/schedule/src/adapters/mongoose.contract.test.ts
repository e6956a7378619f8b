import type { Connection } from 'mongoose';
import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import { repositoryContract } from '../repos.contract';
import { MongooseResultRepository, MongooseScheduleRepository } from './mongoose';

// The embedded wire server (or MONGO_URL) and FerretDB, a real server with real unique indexes.
describe.each(mongoTargetsForTests())('on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;
  const used: Connection[] = [];
  let n = 0;

  beforeAll(async () => {
    mongo = await target.start();
    conn = await connectMongo({ url: mongo.url, logger: createLogger('schedule-test', 'silent') });
  }, 30_000);

  afterAll(async () => {
    for (const c of used) await c.dropDatabase().catch(() => undefined);
    await conn?.close();
    await mongo?.stop();
  });

  // A fresh database per test on one connection: empty stores without reconnecting.
  repositoryContract(
    `mongoose on ${target.kind}`,
    async () => {
      const db = conn.useDb(`${mongo.dbName}_${++n}`);
      used.push(db);
      const schedules = new MongooseScheduleRepository(db);
      // Small chunks so the multi-chunk paths run with a modest result.
      const results = new MongooseResultRepository(db, 1000);
      await Promise.all([schedules.init(), results.init()]);
      return { schedules, results };
    },
    target,
  );
});
