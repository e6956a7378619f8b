/**
 * Login latency of the auth service (argon2id verify dominates): in process, and over NATS
 * request/reply through the real responders and the gateway's breaker client, sequentially and
 * with many clients at once. Own nats-server, in-memory stores.
 *   node services/auth/dist/bench/login-bench.js [requests=200] [concurrency=50]
 */
import { RPC } from '@fillsched/contracts';
import { connectNats, createLogger, createServiceClient, MemoryIdAllocator } from '@fillsched/service-kit';
import { startNatsForTests } from '@fillsched/service-kit/testing';
import os from 'node:os';
import {
  MemoryApiKeyRepository,
  MemoryRefreshTokenRepository,
  MemoryRevocationPublisher,
  MemorySigningKeyRepository,
  MemoryUserRepository,
  systemClock,
} from '../adapters/memory';
import { createAuthApp } from '../app';
import { argon2idHasher } from '../crypto';
import { startAuthResponders } from '../responders';

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measure(n: number, concurrency: number, fn: () => Promise<unknown>) {
  const times: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
    }),
  );
  const wall = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    n,
    concurrency,
    p50_ms: +quantile(times, 0.5).toFixed(1),
    p99_ms: +quantile(times, 0.99).toFixed(1),
    per_s: +((n / wall) * 1000).toFixed(0),
  };
}

async function main() {
  const n = Number(process.argv[2] ?? 200);
  const concurrency = Number(process.argv[3] ?? 50);
  const logger = createLogger('auth-bench', 'silent');
  const nats = await startNatsForTests();
  const service = await connectNats({ servers: nats.url, name: 'auth-bench-service', logger });
  const gateway = await connectNats({ servers: nats.url, name: 'auth-bench-gateway', logger });
  try {
    const app = await createAuthApp(
      {
        users: new MemoryUserRepository(),
        refreshTokens: new MemoryRefreshTokenRepository(),
        apiKeys: new MemoryApiKeyRepository(),
        signingKeys: new MemorySigningKeyRepository(),
        ids: new MemoryIdAllocator(),
        revocations: new MemoryRevocationPublisher(),
        clock: systemClock,
      },
      { accessTokenMinutes: 30, refreshTokenDays: 7 },
    );
    const responders = await startAuthResponders(service, logger, app);
    const client = createServiceClient(gateway, 'auth', { timeoutMs: 30_000 });
    const creds = { username: 'bench@example.com', password: 'SecurePass123!' };
    await app.handlers.register({ body: { email: creds.username, password: creds.password } });
    const ok = async (p: Promise<{ status: number }>, want: number) => {
      const r = await p;
      if (r.status !== want) throw new Error(`unexpected status ${r.status}`);
    };
    await measure(10, 1, () => ok(app.handlers.login({ body: creds }), 200)); // warm-up

    const storedHash = await argon2idHasher.hash(creds.password);
    const rows = {
      'argon2id verify only, 1 client': await measure(Math.min(n, 100), 1, async () => {
        if (!(await argon2idHasher.verify(storedHash, creds.password))) throw new Error('verify failed');
      }),
      'in-process login, 1 client': await measure(Math.min(n, 100), 1, () =>
        ok(app.handlers.login({ body: creds }), 200),
      ),
      'in-process unknown email, 1 client': await measure(Math.min(n, 100), 1, () =>
        ok(app.handlers.login({ body: { ...creds, username: 'nobody@example.com' } }), 401),
      ),
      'NATS login, 1 client': await measure(Math.min(n, 100), 1, () =>
        ok(client.request(RPC.auth.login, { body: creds }), 200),
      ),
      [`NATS login, ${concurrency} clients`]: await measure(n, concurrency, () =>
        ok(client.request(RPC.auth.login, { body: creds }), 200),
      ),
      'NATS keys (no hashing), 1 client': await measure(Math.min(n, 100), 1, () =>
        ok(client.request(RPC.auth.keys, {}), 200),
      ),
    };
    console.log(
      JSON.stringify({ cpus: os.cpus().length, uv_threadpool: process.env.UV_THREADPOOL_SIZE ?? '4' }),
    );
    console.table(rows);
    client.close();
    await Promise.all(responders.map((r) => r.stop()));
  } finally {
    await gateway.close();
    await service.close();
    await nats.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
