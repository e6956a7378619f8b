import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectNats,
  natsAuth,
  createLogger,
  exitOnConfigError,
  installProcessErrorHandlers,
  loadConfig,
  serveUntilShutdown,
  startTracing,
} from '@fillsched/service-kit';
import { createGatewayApp } from './app';
import { GatewayEnvSchema } from './config';
import { natsPorts } from './wiring';
import { NatsChannelHistory, startHistoryWriter } from './ws/history';

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

  // Channel history of /api/v1/ws: this replica appends owner events (shared durable consumers).
  const wsHistory = new NatsChannelHistory(handle.nc, env.WS_HISTORY_SIZE);
  const historyWriter = await startHistoryWriter({
    nc: handle.nc,
    logger,
    historySize: env.WS_HISTORY_SIZE,
    replicas: handle.streamReplicas,
  });

  let draining = false;
  const gateway = createGatewayApp({
    ...wired.ports,
    wsHistory,
    readiness: [...(wired.ports.readiness ?? []), { name: 'not_draining', check: () => !draining }],
    options: {
      wsHeartbeatMs: env.WS_HEARTBEAT_MS,
      wsAuthTimeoutMs: env.WS_AUTH_TIMEOUT_MS,
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
      consoleDir: env.CONSOLE_DIR,
      wsLimits: {
        maxFrameBytes: env.WS_MAX_FRAME_BYTES,
        maxBufferedBytes: env.WS_MAX_BUFFERED_BYTES,
        socketsPerUser: env.WS_SOCKETS_PER_USER,
        subscriptionsPerSocket: env.WS_SUBSCRIPTIONS_PER_SOCKET,
        inboundPerSecond: env.WS_INBOUND_PER_SECOND,
      },
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

  await serveUntilShutdown({
    logger,
    env,
    nats: handle,
    readiness: gateway.readiness,
    onBegin: () => {
      draining = true;
    },
    stop: [
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
      { name: 'ws history', run: () => historyWriter.stop() },
      { name: 'background work', run: () => wired.stop() },
    ],
    ready: { msg: 'gateway listening', fields: { port } },
  });
}

void exitOnConfigError(() => main(), 'gateway');
