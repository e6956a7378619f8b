import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  flushTracesStep,
  installShutdown,
  loadConfig,
  startOpsServer,
  startTracing,
} from '@fillsched/service-kit';
import { createGatewayApp } from './app';
import { GatewayEnvSchema } from './config';
import { natsPorts } from './wiring';

async function main(): Promise<void> {
  const env = loadConfig(GatewayEnvSchema);
  const logger = createLogger('gateway', env.LOG_LEVEL);
  startTracing('gateway', { logger });
  installProcessErrorHandlers(logger);

  const handle = await connectNats({
    servers: env.NATS_URL,
    name: 'gateway',
    logger,
    streamReplicas: env.NATS_STREAM_REPLICAS,
    auth: natsAuth(env, 'gateway'),
  });
  const wired = natsPorts(handle, logger, {
    serviceTimeoutMs: env.SERVICE_TIMEOUT_MS,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
  });

  let draining = false;
  const gateway = createGatewayApp({
    ...wired.ports,
    readiness: [...(wired.ports.readiness ?? []), { name: 'not_draining', check: () => !draining }],
    options: {
      wsHeartbeatMs: env.WS_HEARTBEAT_MS,
      wsAuthTimeoutMs: env.WS_AUTH_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
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
            // In-flight requests finish; keep-alive connections are closed as soon as they go idle.
            const sweep = setInterval(() => server.closeIdleConnections(), 100);
            server.close(() => {
              clearInterval(sweep);
              resolve();
            });
            server.closeIdleConnections();
          }),
      },
      { name: 'background work', run: () => wired.stop() },
      { name: 'nats', run: () => handle.drain() },
      { name: 'ops server', run: () => ops.close() },
      flushTracesStep(),
    ],
  });
}

void exitOnConfigError(() => main(), 'gateway');
