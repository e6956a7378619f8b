import { RESULT_CHUNK_MAX_BYTES, toChunks } from '@fillsched/contracts';
import { inputLimitDocument } from '@fillsched/contracts/testing';
import { mongo as driver, type Connection } from 'mongoose';
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
      const results = new MongooseResultRepository(db);
      await Promise.all([schedules.init(), results.init()]);
      return { schedules, results };
    },
    target,
  );

  test('at the input limits (20,000 lots on 100 lines with downtime) no stored document comes near 16 MB', async () => {
    const db = conn.useDb(`${mongo.dbName}_big`);
    used.push(db);
    const results = new MongooseResultRepository(db);
    await results.init();
    const doc = inputLimitDocument();
    await results.upsert(1, toChunks(doc));
    const docs = [
      ...(await db.collection('schedule_results').find({}).toArray()),
      ...(await db.collection('schedule_result_chunks').find({}).toArray()),
    ];
    const largest = Math.max(...docs.map((d) => driver.BSON.calculateObjectSize(d)));
    // The figure the report quotes (npx jest services/schedule/src/adapters/mongoose.contract.test.ts).
    process.stdout.write(
      `schedule store, ${doc.activities.length} activities: ${docs.length} documents, largest ${largest} bytes of BSON\n`,
    );
    expect(largest).toBeLessThan(2 * RESULT_CHUNK_MAX_BYTES);
    expect(await results.get(1)).toEqual(doc);
    const page = await results.activities(1, { offset: 30_000, limit: 5_000 });
    expect(page!.items).toEqual(doc.activities.slice(30_000, 35_000));
  }, 120_000);
});
