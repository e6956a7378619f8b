import { connectMongo, createLogger } from '@fillsched/service-kit';
import { mongoTargetsForTests, type TestMongo } from '@fillsched/service-kit/testing';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import {
  createLoginThrottle,
  memoryLoginLimiters,
  mongoLoginLimiters,
  type LoginLimiters,
  type LoginThrottleOptions,
} from './login-throttle';

// Short durations so real time can pass: backoff after 2 failures (1 s), lock after 5 for 2 s.
const OPTS: LoginThrottleOptions = {
  maxFailures: 5,
  windowSeconds: 60,
  lockSeconds: 2,
  backoffAfter: 2,
  backoffMaxSeconds: 1,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function throttleContract(
  name: string,
  limiters: () => LoginLimiters | Promise<LoginLimiters>,
  { atomicUpdates = true } = {},
) {
  describe(name, () => {
    jest.setTimeout(30_000);

    it('backoff after a few failures, then a lock with Retry-After, then the account opens again', async () => {
      const t = createLoginThrottle(await limiters(), OPTS);
      const a = `victim-${randomBytes(3).toString('hex')}@example.com`;
      const attempt = async () => {
        const g = await t.acquire(a);
        if (g.allowed) await t.failed(a);
        return g;
      };
      expect(await attempt()).toEqual({ allowed: true });
      expect(await attempt()).toEqual({ allowed: true }); // 2nd failure: backoff starts
      expect(await t.acquire(a)).toEqual({ allowed: false, retryAfterS: 1, reason: 'backoff' });
      for (let failures = 3; failures <= OPTS.maxFailures; failures++) {
        await sleep(1050);
        expect(await attempt()).toEqual({ allowed: true });
      }
      await sleep(1050);
      expect(await t.acquire(a)).toEqual({ allowed: false, retryAfterS: 2, reason: 'locked' });
      expect(await t.acquire(a)).toMatchObject({ allowed: false, reason: 'locked' });
      // another account is not affected
      expect(await t.acquire(`other-${a}`)).toEqual({ allowed: true });
      await sleep(2100);
      expect(await t.acquire(a)).toEqual({ allowed: true });
      await t.succeeded(a);
      // a success forgets the failures: two more failures before any backoff
      expect(await attempt()).toEqual({ allowed: true });
      expect(await attempt()).toEqual({ allowed: true });
    });

    // FerretDB 1.24 applies conditional updates non-atomically (see MongoTarget.atomicUpdates).
    (atomicUpdates ? it : it.skip)(
      'a burst of parallel attempts lets at most maxFailures through',
      async () => {
        const t = createLoginThrottle(await limiters(), OPTS);
        const a = `burst-${randomBytes(3).toString('hex')}@example.com`;
        const gates = await Promise.all(Array.from({ length: 40 }, () => t.acquire(a)));
        expect(gates.filter((g) => g.allowed)).toHaveLength(OPTS.maxFailures);
        expect(gates.filter((g) => !g.allowed).every((g) => !g.allowed && g.retryAfterS >= 1)).toBe(true);
        // attempts racing the one that writes the lock never announce more than the lock
        expect(gates.every((g) => g.allowed || g.retryAfterS <= OPTS.lockSeconds)).toBe(true);
      },
    );
  });
}

throttleContract('memory limiters', () => memoryLoginLimiters(OPTS));

describe.each(mongoTargetsForTests())('Mongo limiters on $kind', (target) => {
  let mongo: TestMongo;
  let conn: Connection;
  beforeAll(async () => {
    mongo = await target.start();
    conn = await connectMongo({ url: mongo.url, logger: createLogger('auth-test', 'silent') });
  }, 30_000);
  afterAll(async () => {
    await conn?.close();
    await mongo?.stop();
  });
  const db = () => conn.useDb(`auth_throttle_${randomBytes(5).toString('hex')}`, { useCache: false });

  throttleContract(`mongo on ${target.kind}`, () => mongoLoginLimiters(db(), OPTS), {
    atomicUpdates: target.atomicUpdates,
  });

  it('two auth replicas share the counts (one lock for both)', async () => {
    const shared = db();
    const r1 = createLoginThrottle(mongoLoginLimiters(shared, OPTS), OPTS);
    const r2 = createLoginThrottle(mongoLoginLimiters(shared, OPTS), OPTS);
    const a = 'shared@example.com';
    for (let i = 0; i < OPTS.maxFailures; i++) {
      const replica = i % 2 ? r1 : r2;
      const g = await replica.acquire(a);
      expect(g.allowed || g.reason === 'backoff').toBe(true);
      if (g.allowed) await replica.failed(a);
      else {
        await sleep(1050);
        i--;
      }
    }
    await sleep(1050);
    expect(await r1.acquire(a)).toMatchObject({ allowed: false, reason: 'locked' });
    expect(await r2.acquire(a)).toMatchObject({ allowed: false, reason: 'locked' });
  }, 30_000);
});
