import client from 'prom-client';

/**
 * The kit registers its metrics in prom-client's global registry, so metrics a service creates
 * with `new client.Counter(...)` appear on the same /metrics page without extra wiring.
 */
export const metricsRegistry = client.register;
export { client as promClient };

let defaultsCollected = false;
/** Process metrics (CPU, memory, event loop lag) once per process. */
export function collectDefaultMetricsOnce(registry: client.Registry = metricsRegistry): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: registry });
}

// Jest gives each test file a fresh module registry but prom-client's global register may be
// shared; reuse an existing metric instead of failing on a duplicate name.
function getOrCreate<M>(name: string, make: () => M): M {
  return (metricsRegistry.getSingleMetric(name) as M | undefined) ?? make();
}

export const jobsInFlight = getOrCreate(
  'jobs_in_flight',
  () => new client.Gauge({ name: 'jobs_in_flight', help: 'Jobs currently being processed by this process' }),
);

export const natsConnectedGauge = getOrCreate(
  'nats_connected',
  () =>
    new client.Gauge({
      name: 'nats_connected',
      help: '1 while the NATS connection is up, else 0',
      labelNames: ['connection'],
    }),
);

export const natsReconnectsCounter = getOrCreate(
  'nats_reconnects_total',
  () =>
    new client.Counter({
      name: 'nats_reconnects_total',
      help: 'NATS reconnections',
      labelNames: ['connection'],
    }),
);

export const rpcServerRequests = getOrCreate(
  'rpc_server_requests_total',
  () =>
    new client.Counter({
      name: 'rpc_server_requests_total',
      help: 'Requests answered by this service, by subject and outcome (2xx/4xx/5xx/error)',
      labelNames: ['subject', 'outcome'],
    }),
);

export const rpcServerDuration = getOrCreate(
  'rpc_server_duration_seconds',
  () =>
    new client.Histogram({
      name: 'rpc_server_duration_seconds',
      help: 'Handler latency of NATS request/reply responders',
      labelNames: ['subject'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
);

export const rpcClientRequests = getOrCreate(
  'rpc_client_requests_total',
  () =>
    new client.Counter({
      name: 'rpc_client_requests_total',
      help: 'Requests sent to other services, by service and outcome',
      labelNames: ['service', 'outcome'],
    }),
);

export const rpcClientDuration = getOrCreate(
  'rpc_client_duration_seconds',
  () =>
    new client.Histogram({
      name: 'rpc_client_duration_seconds',
      help: 'Round trip of requests to other services',
      labelNames: ['service'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
);

export const breakerStateGauge = getOrCreate(
  'circuit_breaker_state',
  () =>
    new client.Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state per downstream service: 0 closed, 1 half-open, 2 open',
      labelNames: ['service'],
    }),
);

export const readinessCheckGauge = getOrCreate(
  'readiness_check',
  () =>
    new client.Gauge({
      name: 'readiness_check',
      help: 'Result of each /readyz check (1 passing, 0 failing), evaluated at every probe and scrape',
      labelNames: ['check'],
    }),
);

export const httpRequests = getOrCreate(
  'http_requests_total',
  () =>
    new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
    }),
);

export const httpDuration = getOrCreate(
  'http_request_duration_seconds',
  () =>
    new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
);

interface MetricsReq {
  method?: string;
  baseUrl?: string;
  route?: { path?: unknown };
}
interface MetricsRes {
  statusCode: number;
  once(event: 'finish' | 'close', fn: () => void): unknown;
}

/**
 * Express middleware: request count and latency by route template (not raw path, which would
 * explode label cardinality with ids); unmatched requests are labelled `unmatched`.
 */
export function httpMetricsMiddleware() {
  return (req: MetricsReq, res: MetricsRes, next: (err?: unknown) => void): void => {
    const start = process.hrtime.bigint();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const path = typeof req.route?.path === 'string' ? req.route.path : undefined;
      const route = path !== undefined ? `${req.baseUrl ?? ''}${path}` : 'unmatched';
      const labels = { method: req.method ?? 'GET', route, status: String(res.statusCode) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
}
