import type { Server } from 'node:http';
import express from 'express';
import { createTokenAuth, type TokenAuth } from './auth/tokens';
import { errorHandler, notFound } from './errors';
import { apiRouter } from './forwarding';
import { healthRouter } from './health';
import { commonMiddleware } from './middleware';
import { buildOpenApi } from './openapi';
import { systemClock, type GatewayOptions, type GatewayPorts, type ReadinessCheck } from './ports';
import { API_PREFIX, ROUTES } from './routes';
import { ChannelHub } from './ws/hub';
import { attachWebSockets, type WsHandle } from './ws/server';
import { DEFAULT_WS_LIMITS } from './ws/guard';

export const DEFAULT_OPTIONS: GatewayOptions = {
  wsHeartbeatMs: 25_000,
  wsAuthTimeoutMs: 5_000,
  wsLimits: DEFAULT_WS_LIMITS,
  trustProxy: false,
  corsOrigins: [],
};

export interface GatewayApp {
  app: express.Express;
  /** Serves the WebSocket endpoints on the same HTTP server (upgrade handling). */
  attachWebSockets(server: Server): WsHandle;
  hub: ChannelHub;
  auth: TokenAuth;
  openapi: Record<string, unknown>;
  /** Readiness of the gateway itself (keys loaded, revocations replayed, plus the given checks). */
  readiness: ReadinessCheck[];
}

/**
 * The gateway's HTTP app over its ports: common middleware (middleware.ts), health, probes and
 * docs (health.ts), the versioned API forwarded to the services (forwarding.ts), then 404 and the
 * error mapping (errors.ts).
 */
export function createGatewayApp(ports: GatewayPorts): GatewayApp {
  const { services, logger, rateLimiter, revocations } = ports;
  const clock = ports.clock ?? systemClock;
  const options: GatewayOptions = { ...DEFAULT_OPTIONS, ...ports.options };
  const auth = createTokenAuth(ports.tokenVerifier, revocations);
  const hub = new ChannelHub(ports.eventSource, logger);
  const openapi = buildOpenApi(ROUTES);
  const readiness: ReadinessCheck[] = [
    { name: 'auth_keys', check: () => ports.tokenVerifier.ready() },
    { name: 'revocations', check: () => revocations.ready() },
    ...(ports.readiness ?? []),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.set('etag', false);

  app.use(commonMiddleware({ logger, options }));
  // /health also reports the store-backed services' own readiness (store outage); /readyz only
  // the gateway's, so a store outage does not take the gateway out of its load balancer.
  const healthChecks = [...readiness, ...(ports.healthChecks ?? [])];
  app.use(healthRouter({ readiness, healthChecks, clock, openapi, consoleDir: options.consoleDir }));
  app.use(
    API_PREFIX,
    apiRouter(ROUTES, { services, rateLimiter, revocations, auth, logger, replyCache: ports.replyCache }),
  );
  app.use(notFound);
  app.use(errorHandler(logger));

  return {
    app,
    hub,
    auth,
    openapi,
    readiness,
    attachWebSockets: (server: Server) =>
      attachWebSockets(server, {
        hub,
        auth,
        services,
        events: ports.eventSource,
        clock,
        logger,
        options,
        history: ports.wsHistory,
      }),
  };
}
