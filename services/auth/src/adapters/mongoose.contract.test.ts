import { connectMongo, createLogger, startMongoForTests, type TestMongo } from '@fillsched/service-kit';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { authRepositoryContract } from '../repositories.contract';
import { createMongooseRepositories } from './mongoose';

// Embedded wire server unless MONGO_URL points at a real MongoDB (then unique indexes are real too).
let mongo: TestMongo;
let conn: Connection;

beforeAll(async () => {
  mongo = await startMongoForTests();
  // the kit's connection (polling heartbeats): the embedded server breaks streaming ones under load
  conn = await connectMongo({ url: mongo.url, logger: createLogger('auth-test', 'silent') });
}, 30_000);

afterAll(async () => {
  await conn?.close();
  await mongo?.stop();
});

// A fresh database per test: each one starts from empty collections.
authRepositoryContract(
  'mongoose',
  () =>
    createMongooseRepositories(
      conn.useDb(`auth_contract_${randomBytes(5).toString('hex')}`, { useCache: false }),
    ),
  { enforcesUniqueUnderRace: !!process.env.MONGO_URL },
);

describe('mongoose adapter indexes', () => {
  it('declares the unique keys real MongoDB enforces (email, id, token hash, key name) and a TTL', async () => {
    const db = conn.useDb(`auth_idx_${randomBytes(5).toString('hex')}`, { useCache: false });
    await createMongooseRepositories(db);
    const indexes = (model: string) => db.model(model).schema.indexes();
    expect(indexes('User')).toEqual(
      expect.arrayContaining([
        [{ email_normalized: 1 }, expect.objectContaining({ unique: true })],
        [{ id: 1 }, expect.objectContaining({ unique: true })],
      ]),
    );
    expect(indexes('RefreshToken')).toEqual(
      expect.arrayContaining([
        [{ hash: 1 }, expect.objectContaining({ unique: true })],
        [{ expires_at: 1 }, expect.objectContaining({ expireAfterSeconds: 86_400 })],
      ]),
    );
    expect(indexes('SigningKey')).toEqual(
      expect.arrayContaining([[{ name: 1 }, expect.objectContaining({ unique: true })]]),
    );
  });
});
