import { MESSAGES } from '@fillsched/contracts';
import { metricsRegistry } from '@fillsched/service-kit';
import { BatchingRateLimiter, MemoryCounterStore, type CounterStore } from './ratelimit';
import { bearer, makeKeyPair, signToken, silentLogger, startTestGateway } from './test/helpers';

const fakeClock = (startMs: number) => {
  let now = startMs;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
};

describe('BatchingRateLimiter', () => {
  it('admits `limit` hits per window with decreasing remaining, then refuses until the window resets', async () => {
    const clock = fakeClock(Date.UTC(2026, 0, 1, 0, 0, 10));
    const rl = new BatchingRateLimiter(new MemoryCounterStore(), { limit: 3, clock, logger: silentLogger() });
    const d = [];
    for (let i = 0; i < 4; i++) d.push(await rl.hit('u1'));
    expect(d.map((x) => [x.allowed, x.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(d[3].resetEpochS).toBe(Date.UTC(2026, 0, 1, 0, 1, 0) / 1000);
    expect(d[3].retryAfterS).toBe(50);
    expect((await rl.hit('u2')).allowed).toBe(true); // per key
    clock.advance(50_000);
    expect((await rl.hit('u1')).allowed).toBe(true);
    await rl.close();
  });

  it('two limiters on one store share the count after a flush', async () => {
    const store = new MemoryCounterStore();
    const a = new BatchingRateLimiter(store, { limit: 5, logger: silentLogger(), flushIntervalMs: 10 });
    const b = new BatchingRateLimiter(store, { limit: 5, logger: silentLogger(), flushIntervalMs: 10 });
    for (let i = 0; i < 3; i++) expect((await a.hit('ip1')).allowed).toBe(true);
    await a.flush();
    expect((await b.hit('ip1')).remaining).toBe(1);
    expect((await b.hit('ip1')).allowed).toBe(true);
    expect((await b.hit('ip1')).allowed).toBe(false);
    await b.flush();
    // a learns b's hits at its next flush
    expect((await a.hit('ip1')).allowed).toBe(true); // local view 3+1 (stale by b's 2): the documented bound
    await a.flush();
    expect((await a.hit('ip1')).allowed).toBe(false);
    expect([...store.values.values()]).toEqual([6]);
    await a.close();
    await b.close();
  });

  it('fails open with per-replica counting when the store is down, and catches up later', async () => {
    let down = true;
    const backing = new MemoryCounterStore();
    const flaky: CounterStore = {
      read: (k) => (down ? Promise.reject(new Error('nats down')) : backing.read(k)),
      add: (k, d) => (down ? Promise.reject(new Error('nats down')) : backing.add(k, d)),
    };
    const warn = jest.fn();
    const logger = Object.assign(silentLogger(), { warn });
    const rl = new BatchingRateLimiter(flaky, { limit: 2, logger, flushIntervalMs: 10 });
    expect((await rl.hit('k')).allowed).toBe(true);
    expect((await rl.hit('k')).allowed).toBe(true);
    expect((await rl.hit('k')).allowed).toBe(false);
    await rl.flush();
    expect(warn).toHaveBeenCalled();
    down = false;
    await rl.flush();
    expect([...backing.values.values()]).toEqual([2]);
    await rl.close();
  });

  it('a store that hangs does not hang requests (read timeout)', async () => {
    const hanging: CounterStore = { read: () => new Promise(() => {}), add: () => new Promise(() => {}) };
    const rl = new BatchingRateLimiter(hanging, { limit: 2, logger: silentLogger(), storeTimeoutMs: 50 });
    const t0 = Date.now();
    expect((await rl.hit('k')).allowed).toBe(true);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});

describe('rate limit over HTTP', () => {
  it('X-RateLimit-* on every limited response; 429 with the guide message and Retry-After; per user', async () => {
    const key = makeKeyPair();
    const gw = await startTestGateway({ keys: [key], rateLimit: 3 });
    try {
      const alice = signToken(key, { sub: '1' });
      const bob = signToken(key, { sub: '2' });
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${gw.url}/api/v1/strategies`, { headers: bearer(alice) });
        statuses.push(last.status);
        expect(last.headers.get('x-ratelimit-limit')).toBe('3');
        expect(Number(last.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.headers.get('x-ratelimit-remaining')).toBe('0');
      const retry = Number(last!.headers.get('retry-after'));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(await last!.json()).toEqual({ detail: MESSAGES.rateLimited(retry) });
      expect(gw.services.calls).toHaveLength(3);
      // Bob has his own budget; anonymous requests count per IP.
      const b = await fetch(`${gw.url}/api/v1/strategies`, { headers: bearer(bob) });
      expect(b.status).toBe(200);
      expect(b.headers.get('x-ratelimit-remaining')).toBe('2');
      // Failed authentications are limited per IP too (401s count).
      const anon: number[] = [];
      for (let i = 0; i < 4; i++) anon.push((await fetch(`${gw.url}/api/v1/auth/me`)).status);
      expect(anon).toEqual([401, 401, 401, 429]);
      const metrics = await metricsRegistry.metrics();
      expect(metrics).toMatch(/gateway_rate_limited_total\{client="user"\} [1-9]/);
      expect(metrics).toMatch(/gateway_rate_limited_total\{client="ip"\} [1-9]/);
      // Unlimited: health and docs.
      expect((await fetch(`${gw.url}/health`)).headers.get('x-ratelimit-limit')).toBeNull();
    } finally {
      await gw.close();
    }
  });
});
