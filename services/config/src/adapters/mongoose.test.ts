import { connectMongo, createLogger, mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit';
import type { Connection } from 'mongoose';
import { templateRepositoryContract } from '../template-repository.contract';
import { userDefaultsRepositoryContract } from '../user-defaults-repository.contract';
import { MongooseTemplateRepository, MongooseUserDefaultsRepository } from './mongoose';

jest.setTimeout(30_000);

// The embedded wire server (or MONGO_URL) and FerretDB, a real server with real unique indexes.
describe.each(mongoTargetsForTests())('on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;

  beforeAll(async () => {
    mongo = await target.start();
    conn = await connectMongo({ url: mongo.url, logger: createLogger('config-test', 'silent') });
  });
  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });

  // Each test starts from empty collections.
  async function clean(): Promise<void> {
    for (const name of ['config_templates', 'user_defaults']) await conn.collection(name).deleteMany({});
  }

  describe('MongooseTemplateRepository', () => {
    templateRepositoryContract(async () => {
      await clean();
      return new MongooseTemplateRepository(conn);
    });
  });

  describe('MongooseUserDefaultsRepository', () => {
    userDefaultsRepositoryContract(async () => {
      await clean();
      return new MongooseUserDefaultsRepository(conn);
    });
  });
});
