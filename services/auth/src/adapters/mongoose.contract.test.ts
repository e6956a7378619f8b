import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { authRepositoryContract } from '../repositories.contract';
import { createMongooseRepositories } from './mongoose';

// The embedded wire server (or MONGO_URL) and FerretDB, a real server whose unique indexes hold under
// a race: the concurrent-insert case runs wherever they do.
describe.each(mongoTargetsForTests())('on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;

  beforeAll(async () => {
    mongo = await target.start();
    // the kit's connection (polling heartbeats): the embedded server breaks streaming ones under load
    conn = await connectMongo({ url: mongo.url, logger: createLogger('auth-test', 'silent') });
  }, 30_000);

  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });

  // A fresh database per test: each one starts from empty collections.
  authRepositoryContract(
    `mongoose on ${target.kind}`,
    () =>
      createMongooseRepositories(
        conn.useDb(`auth_contract_${randomBytes(5).toString('hex')}`, { useCache: false }),
      ),
    { enforcesUniqueUnderRace: target.enforcesUniqueIndexes, atomicUpdates: target.atomicUpdates },
  );

  describe('mongoose adapter indexes', () => {
    it('declares the unique keys real MongoDB enforces (email, id, token hash, api key id, key name) and a TTL', async () => {
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
      expect(indexes('ApiKey')).toEqual(
        expect.arrayContaining([[{ id: 1 }, expect.objectContaining({ unique: true })]]),
      );
      expect(indexes('SigningKey')).toEqual(
        expect.arrayContaining([[{ name: 1 }, expect.objectContaining({ unique: true })]]),
      );
    });

    // Past the adapters' own look-ups: the server's index refuses the duplicate itself.
    (target.enforcesUniqueIndexes ? it : it.skip)(
      'the server refuses a duplicate email and token hash with a real E11000',
      async () => {
        const db = conn.useDb(`auth_e11000_${randomBytes(5).toString('hex')}`, { useCache: false });
        await createMongooseRepositories(db);
        const users = db.collection('users');
        await users.insertOne({ id: 1, email_normalized: 'a@example.com' });
        const dupEmail = await users.insertOne({ id: 2, email_normalized: 'a@example.com' }).catch((e) => e);
        expect(dupEmail).toMatchObject({ code: 11000 });
        expect(String(dupEmail.message)).toContain('E11000');
        const tokens = db.collection('refresh_tokens');
        await tokens.insertOne({ hash: 'h' });
        expect(await tokens.insertOne({ hash: 'h' }).catch((e) => e)).toMatchObject({ code: 11000 });
      },
    );

    it('keeps the refresh-token indexes the server can build (TTL where supported)', async () => {
      const db = conn.useDb(`auth_ttl_${randomBytes(5).toString('hex')}`, { useCache: false });
      await createMongooseRepositories(db);
      const built = await db.collection('refresh_tokens').indexes();
      expect(built.find((i) => i.key.hash === 1)?.unique).toBe(true);
      expect(built.some((i) => i.key.family === 1)).toBe(true);
      // FerretDB 1.24 has no TTL indexes (NotImplemented): the adapter leaves that one out there.
      const ttl = built.find((i) => i.key.expires_at === 1);
      if (target.kind === 'ferretdb') expect(ttl).toBeUndefined();
      else expect(ttl?.expireAfterSeconds).toBe(86_400);
    });
  });
});
