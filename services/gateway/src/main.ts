import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KV_SPECS, RATE_LIMIT_BUCKET } from '@fillsched/contracts';
import {
  connectNats,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  installShutdown,
  loadConfig,
  startOpsServer,
} from '@fillsched/service-kit';
import { fetchKeysVia, NatsEventSource, NatsServiceCaller } from './adapters/nats';
import { openOrCreateBucket, RevocationSet, watchRevocations } from './adapters/revocations';
import { createGatewayApp } from './app';
import { KeyStore } from './auth/keys';
import { GatewayEnvSchema } from './config';
import { BatchingRateLimiter, KvCounterStore, LazyCounterStore } from './ratelimit';

async function main(): Promise<void> {
  const env = loadConfig(GatewayEnvSchema);
  const logger = createLogger('gateway', env.LOG_LEVEL);
  installProcessErrorHandlers(logger);

  const handle = await connectNats({ servers: env.NATS_URL, name: 'gateway', logger });
  const services = new NatsServiceCaller(handle, env.SERVICE_TIMEOUT_MS);
  const keys = new KeyStore(fetchKeysVia(services), logger);
  void keys.start();
  const revocations = new RevocationSet();
  const revocationWatch = watchRevocations(handle.nc, revocations, logger);
  const rateLimiter = new BatchingRateLimiter(
    new LazyCounterStore(
      async () => new KvCounterStore(await openOrCreateBucket(handle.nc, RATE_LIMIT_BUCKET, KV_SPECS.rateLimit.ttlMs)),
    ),
    { limit: env.RATE_LIMIT_PER_MINUTE, logger },
  );

  let draining = false;
  const gateway = createGatewayApp({
    services,
    tokenVerifier: keys,
    revocations,
    rateLimiter,
    eventSource: new NatsEventSource(handle.nc, logger),
    logger,
    readiness: [
      { name: 'nats', check: () => handle.isConnected() },
      { name: 'not_draining', check: () => !draining },
    ],
    options: {
      wsHeartbeatMs: env.WS_HEARTBEAT_MS,
      wsAuthTimeoutMs: env.WS_AUTH_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
    },
  });

  const server = http.createServer(gateway.app);
  // Longer than typical load-balancer idle timeouts, so the balancer closes idle connections first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const ws = gateway.attachWebSockets(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port }, 'gateway listening');

  const ops = await startOpsServer({ port: env.OPS_PORT, logger, readiness: gateway.readiness });

  installShutdown({
    logger,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    onBegin: () => {
      draining = true;
      ops.setDraining();
    },
    steps: [
      { name: 'websockets', run: () => ws.close() },
      {
        name: 'http',
        run: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      },
      { name: 'rate-limit flush', run: () => rateLimiter.close() },
      {
        name: 'watches',
        run: async () => {
          keys.stop();
          revocationWatch.stop();
        },
      },
      {
        name: 'nats',
        run: async () => {
          services.close();
          await handle.drain();
        },
      },
      { name: 'ops server', run: () => ops.close() },
    ],
  });
}

void exitOnConfigError(() => main(), 'gateway');
