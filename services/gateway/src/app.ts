import type { Server } from 'node:http';
import compression from 'compression';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { MESSAGES, type ErrorDetailItem } from '@fillsched/contracts';
import {
  correlationIdFrom,
  CORRELATION_HEADER,
  httpMetricsMiddleware,
  isServiceError,
  metricsRegistry,
  withCorrelation,
  httpServerSpanMiddleware,
  type RpcRequest,
} from '@fillsched/service-kit';
import {
  bearerChallenge,
  createTokenAuth,
  type AuthFailure,
  type Principal,
  type TokenAuth,
} from './auth/tokens';
import { docsRouter } from './docs';
import { ScheduleUploadFormSchema } from './forms';
import {
  BODY_LIMIT_BYTES,
  jsonErrorPosition,
  parseOr422,
  sendDetail,
  sendReply,
  sendValidation,
  withDroppedFields,
} from './http';
import { rateLimited } from './metrics';
import { buildOpenApi } from './openapi';
import { systemClock, type GatewayOptions, type GatewayPorts, type ReadinessCheck } from './ports';
import { ACCEPTED_MEDIA_TYPES, API_PREFIX, API_ROOT, ROUTES, type BodyKind, type RouteDef } from './routes';
import { ChannelHub } from './ws/hub';
import { attachWebSockets, type WsHandle } from './ws/server';
import { DEFAULT_WS_LIMITS } from './ws/guard';

export const DEFAULT_OPTIONS: GatewayOptions = {
  wsHeartbeatMs: 25_000,
  wsAuthTimeoutMs: 5_000,
  wsLimits: DEFAULT_WS_LIMITS,
  trustProxy: false,
  corsOrigins: '*',
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

const principalOf = (res: Response): Principal | undefined => res.locals.principal as Principal | undefined;

const jsonParser = express.json({
  limit: BODY_LIMIT_BYTES,
  type: ['application/json', 'application/*+json'],
});
const formParser = express.urlencoded({ limit: BODY_LIMIT_BYTES, extended: false });
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: BODY_LIMIT_BYTES, files: 1, fields: 20, fieldSize: 1024 * 1024, parts: 40 },
}).single('file');

/**
 * Responses from this size on are compressed (gzip or br, as the client accepts). Smaller ones fit
 * a packet or two anyway and would only cost CPU; a completed schedule's JSON (≈ 330 bytes per
 * activity) is the body this is for.
 */
export const COMPRESSION_THRESHOLD_BYTES = 1024;

/**
 * 415 for a body in a media type the route does not read: it would otherwise arrive unparsed and
 * fail as a confusing 422 "field required". Requests without a body pass (req.is → null, or an
 * empty body that clients send as Content-Length: 0), so "body missing" stays a 422 at [body].
 */
function requireMediaType(kind: Exclude<BodyKind, 'none'>): RequestHandler {
  const accepted = ACCEPTED_MEDIA_TYPES[kind];
  // The JSON parser also reads structured-syntax types such as application/merge-patch+json.
  const matchers = accepted.flatMap((t) => (t === 'application/json' ? [t, 'application/*+json'] : [t]));
  return (req, res, next) => {
    if (req.headers['content-length'] === '0' || req.is(matchers) !== false) return next();
    const given = req.headers['content-type'];
    const what = given ? `Unsupported Content-Type '${given}'` : 'Missing Content-Type';
    sendDetail(res, 415, `${what}: send ${accepted.join(' or ')}`);
  };
}

/**
 * CORS for browser clients (bearer tokens travel in a header, so no credentials mode is needed).
 * Preflights are answered here, before authentication and the 405 handlers.
 */
function cors(origins: string[] | '*'): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (!origin || (origins !== '*' && !origins.includes(origin))) return next();
    res.setHeader('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    if (origins !== '*') res.setHeader('Vary', 'Origin');
    res.setHeader(
      'Access-Control-Expose-Headers',
      // WWW-Authenticate: a browser client tells an expired token (refresh) from an invalid one.
      'X-Correlation-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, Content-Disposition, WWW-Authenticate',
    );
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS');
      res.setHeader(
        'Access-Control-Allow-Headers',
        String(
          req.headers['access-control-request-headers'] ?? 'Authorization, Content-Type, X-Correlation-Id',
        ),
      );
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export function createGatewayApp(ports: GatewayPorts): GatewayApp {
  const { services, logger, rateLimiter } = ports;
  const clock = ports.clock ?? systemClock;
  const options: GatewayOptions = { ...DEFAULT_OPTIONS, ...ports.options };
  const auth = createTokenAuth(ports.tokenVerifier, ports.revocations);
  const hub = new ChannelHub(ports.eventSource, logger);
  const openapi = buildOpenApi(ROUTES);
  const readiness: ReadinessCheck[] = [
    { name: 'auth_keys', check: () => ports.tokenVerifier.ready() },
    { name: 'revocations', check: () => ports.revocations.ready() },
    ...(ports.readiness ?? []),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy);
  app.set('etag', false);

  // A trace span per request; everything the request does below runs inside it.
  app.use(httpServerSpanMiddleware());
  // Correlation id + one access log line per request.
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    const correlationId = correlationIdFrom(req.headers[CORRELATION_HEADER.toLowerCase()]);
    res.locals.correlationId = correlationId;
    res.setHeader(CORRELATION_HEADER, correlationId);
    res.once('finish', () => {
      withCorrelation(correlationId, () =>
        logger.info(
          {
            method: req.method,
            path: req.originalUrl.split('?')[0],
            status: res.statusCode,
            duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
            user_id: principalOf(res)?.user.id ?? null,
          },
          'request',
        ),
      );
    });
    withCorrelation(correlationId, () => next());
  });
  app.use(httpMetricsMiddleware());
  // Only HTTP responses pass through here: WebSocket upgrades are handled on the server's
  // 'upgrade' event and never reach Express. The filter skips types that do not shrink.
  app.use(compression({ threshold: COMPRESSION_THRESHOLD_BYTES }));
  app.use(cors(options.corsOrigins));
  // Refuse declared oversize bodies before reading them.
  app.use((req, res, next) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > BODY_LIMIT_BYTES) {
      res.setHeader('Connection', 'close');
      return sendDetail(res, 413, MESSAGES.bodyTooLarge);
    }
    next();
  });

  const runChecks = async () => {
    const results = await Promise.all(
      readiness.map(async (c) => {
        try {
          return (await c.check()) === true;
        } catch {
          return false;
        }
      }),
    );
    return Object.fromEntries(readiness.map((c, i) => [c.name, results[i]]));
  };

  app.get('/', (_req, res) => {
    res.json(API_ROOT);
  });
  app.get('/health', async (_req, res) => {
    const checks = await runChecks();
    const healthy = Object.values(checks).every(Boolean);
    res
      .status(healthy ? 200 : 503)
      .json({ status: healthy ? 'healthy' : 'unhealthy', checks, timestamp: clock.now().toISOString() });
  });
  app.get('/livez', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await runChecks();
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(docsRouter());

  // --- limits
  const applyRateLimit = async (req: Request, res: Response): Promise<boolean> => {
    const principal = principalOf(res);
    const key = principal ? `u${principal.user.id}` : `ip${req.ip ?? 'unknown'}`;
    const decision = await rateLimiter.hit(key);
    res.setHeader('X-RateLimit-Limit', String(decision.limit));
    res.setHeader('X-RateLimit-Remaining', String(decision.remaining));
    res.setHeader('X-RateLimit-Reset', String(decision.resetEpochS));
    if (decision.allowed) return true;
    rateLimited.inc({ client: principal ? 'user' : 'ip' });
    res.setHeader('Retry-After', String(decision.retryAfterS));
    sendDetail(res, 429, MESSAGES.rateLimited(decision.retryAfterS));
    return false;
  };
  const rateLimit: RequestHandler = (req, res, next) => {
    applyRateLimit(req, res).then((ok) => (ok ? next() : undefined), next);
  };
  // Failed authentications count against the client IP, so token guessing is limited too.
  // The body stays the guide's; the challenge header says what went wrong (RFC 6750).
  const unauthorized = (req: Request, res: Response, next: NextFunction, failure: AuthFailure) => {
    applyRateLimit(req, res).then((ok) => {
      if (!ok) return;
      res.setHeader('WWW-Authenticate', bearerChallenge(failure));
      sendDetail(res, 401, MESSAGES.credentials);
    }, next);
  };
  const requireAuth = auth.require(unauthorized);

  // --- bodies
  const bodyParsers = (route: RouteDef): RequestHandler[] => {
    switch (route.bodyKind) {
      case 'none':
        return [];
      case 'json':
        return [requireMediaType('json'), jsonParser];
      case 'login':
        return [requireMediaType('login'), jsonParser, formParser];
      case 'schedule':
        return [
          requireMediaType('schedule'),
          jsonParser,
          (req, res, next) => (req.is('multipart/form-data') ? upload(req, res, next) : next()),
        ];
    }
  };

  /** Validates path, query and body; returns the request to forward, or undefined after a 422. */
  const buildRpcRequest = (route: RouteDef, req: Request, res: Response): RpcRequest | undefined => {
    const principal = principalOf(res);
    const out: RpcRequest = { user: principal?.user ?? null, params: {}, query: {}, body: undefined };
    if (route.params) {
      const p = parseOr422(res, route.params, req.params, 'path');
      if (!p.ok) return undefined;
      out.params = Object.fromEntries(
        Object.entries(p.data as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
      );
    }
    if (route.query) {
      const q = parseOr422(res, route.query, req.query ?? {}, 'query');
      if (!q.ok) return undefined;
      out.query = q.data as Record<string, unknown>;
    }
    if (route.bodyKind === 'schedule' && req.is('multipart/form-data')) {
      const form = parseOr422(res, ScheduleUploadFormSchema, req.body ?? {}, 'body');
      if (!form.ok) return undefined;
      if (!req.file) {
        sendValidation(res, [{ loc: ['body', 'file'], msg: 'field required', type: 'value_error.missing' }]);
        return undefined;
      }
      const fields = (
        route.forwardsUnknownFields ? withDroppedFields(req.body, form.data) : form.data
      ) as Record<string, unknown>;
      const filename = req.file.originalname || undefined;
      if (fields.name === undefined && !filename) {
        sendValidation(res, [{ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' }]);
        return undefined;
      }
      out.body = { ...fields, ...(filename ? { filename } : {}), lots_csv: req.file.buffer.toString('utf8') };
      return out;
    }
    if (route.body) {
      const b = parseOr422(res, route.body, req.body, 'body');
      if (!b.ok) return undefined;
      out.body = route.forwardsUnknownFields ? withDroppedFields(req.body, b.data) : b.data;
    }
    if (route.bodyFromClaims && principal) {
      const given = (out.body ?? {}) as { refresh_token?: string };
      out.body = {
        sid: principal.claims.sid,
        jti: principal.claims.jti,
        ...(given.refresh_token ? { refresh_token: given.refresh_token } : {}),
      };
    }
    return out;
  };

  const forward = (route: RouteDef): RequestHandler => {
    return (req, res, next) => {
      const rpc = buildRpcRequest(route, req, res);
      if (!rpc) return;
      // Body parsers resume in stream callbacks, outside the request's async context: restore it.
      withCorrelation(res.locals.correlationId as string, () =>
        services.call(route.service, route.subject, rpc),
      ).then(
        (reply) => {
          const principal = principalOf(res);
          // The KV watch brings the revocation within milliseconds; this closes the gap for the
          // client that logged out and immediately retries with the old token on this replica.
          if (route.revokesSession && principal && reply.status >= 200 && reply.status < 300)
            ports.revocations.revoke(`sid.${principal.claims.sid}`);
          sendReply(res, reply, req.method);
        },
        (err: unknown) => {
          if (isServiceError(err)) {
            logger.warn(
              { service: err.service, reason: err.reason, subject: route.subject },
              'service call failed',
            );
            return sendDetail(res, err.status, err.detail);
          }
          next(err);
        },
      );
    };
  };

  const api = express.Router({ caseSensitive: true, strict: false });
  for (const route of ROUTES) {
    const chain: RequestHandler[] = [];
    if (route.auth === 'required') chain.push(requireAuth);
    chain.push(rateLimit, ...bodyParsers(route), forward(route));
    api[route.method](route.path, ...chain);
  }
  // After every method route, so that e.g. PUT /config/default still reaches PUT /config/:id (422 on the id).
  const methodsByPath = new Map<string, string[]>();
  for (const r of ROUTES)
    methodsByPath.set(r.path, [...(methodsByPath.get(r.path) ?? []), r.method.toUpperCase()]);
  for (const [path, methods] of methodsByPath) {
    api.all(path, (_req, res) => {
      res.setHeader('Allow', [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', '));
      sendDetail(res, 405, 'Method Not Allowed');
    });
  }
  app.use(API_PREFIX, api);

  app.use((_req, res) => sendDetail(res, 404, 'Not Found'));

  // Errors of body parsers and anything unexpected: never a stack, never a crash.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as {
      type?: string;
      code?: string;
      status?: number;
      expose?: boolean;
      message?: string;
      field?: string;
      name?: string;
      body?: unknown;
    };
    if (e?.type === 'entity.too.large' || e?.code === 'LIMIT_FILE_SIZE' || e?.code === 'LIMIT_FIELD_VALUE')
      return sendDetail(res, 413, MESSAGES.bodyTooLarge);
    if (e?.type === 'entity.parse.failed') {
      const detail: ErrorDetailItem[] = [
        { loc: ['body', jsonErrorPosition(e)], msg: 'JSON decode error', type: 'value_error.jsondecode' },
      ];
      return sendValidation(res, detail);
    }
    // Every multer error is about the client's multipart body (a part without a field name, too
    // many parts, an unexpected file field): a 422 naming the part, never a 500.
    if (e?.name === 'MulterError' || (typeof e?.code === 'string' && e.code.startsWith('LIMIT_'))) {
      const msg =
        e.code === 'LIMIT_UNEXPECTED_FILE'
          ? `Unexpected file field '${e.field}': send one CSV file as 'file'`
          : e.code === 'MISSING_FIELD_NAME'
            ? 'Multipart part without a field name: every part needs Content-Disposition: form-data; name="..."'
            : (e.message ?? 'Invalid multipart body');
      return sendValidation(res, [{ loc: e.field ? ['body', e.field] : ['body'], msg, type: 'value_error' }]);
    }
    if (
      e?.message === 'Unexpected end of form' ||
      e?.message === 'Multipart: Boundary not found' ||
      /^Malformed part header/.test(e?.message ?? '')
    )
      return sendValidation(res, [
        { loc: ['body'], msg: `Malformed multipart body: ${e.message}`, type: 'value_error' },
      ]);
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose)
      return sendDetail(res, e.status, e.message ?? 'Bad Request');
    logger.error({ err, method: req.method, path: req.originalUrl.split('?')[0] }, 'unhandled request error');
    sendDetail(res, 500, 'Internal server error');
  });

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
