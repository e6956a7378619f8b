import { connectMongo, createLogger, startMongoForTests, type TestMongo } from '@fillsched/service-kit';
import type { Connection } from 'mongoose';
import { comparisonRepositoryContract } from '../comparison-repository.contract';
import { MongooseComparisonRepository } from './mongoose';

jest.setTimeout(30_000);

let mongo: TestMongo;
let conn: Connection;

beforeAll(async () => {
  mongo = await startMongoForTests();
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
  });
});
