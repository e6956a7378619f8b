import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import type { Connection } from 'mongoose';
import { template, templateRepositoryContract } from '../template-repository.contract';
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

  describe('MongooseTemplateRepository storage', () => {
    it('keeps the config as JSON text; a template stored before (config as an object) still reads and updates', async () => {
      await clean();
      const repo = new MongooseTemplateRepository(conn);
      await repo.insert(template(1, { config: { line_count: 3 } }));
      const raw = await conn.collection('config_templates').findOne({ id: 1 });
      expect(JSON.parse(raw?.config_json)).toEqual({ line_count: 3 });
      expect(raw).not.toHaveProperty('config');

      const { config, ...legacy } = template(2, { config: { line_count: 5 } });
      await conn.collection('config_templates').insertOne({ ...legacy, config });
      expect((await repo.findById(2))?.config).toEqual({ line_count: 5 });
      expect((await repo.update(2, { config: { line_count: 6 } }))?.config).toEqual({ line_count: 6 });
      expect(await conn.collection('config_templates').findOne({ id: 2 })).not.toHaveProperty('config');
    });
  });

  describe('MongooseUserDefaultsRepository', () => {
    userDefaultsRepositoryContract(async () => {
      await clean();
      return new MongooseUserDefaultsRepository(conn);
    });
  });
});
