import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpMetricsMiddleware, jobsInFlight, metricsRegistry } from './metrics';
import { startOpsServer, type OpsServer } from './ops';
import { captureLogger } from './test-support/capture';

const { logger } = captureLogger('ops');

async function get(port: number, path: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text), type: res.headers.get('content-type') };
}

describe('ops server', () => {
  let ops: OpsServer;
  let natsUp = true;
  afterEach(async () => ops?.close());

  it('serves livez, readyz with every check, and flips to 503 when draining', async () => {
    ops = await startOpsServer({
      port: 0,
      logger,
      readiness: [
        { name: 'nats', check: () => natsUp },
        { name: 'store', check: async () => true },
      ],
    });
    expect(ops.port).toBeGreaterThan(0);
    expect((await get(ops.port, '/livez')).status).toBe(200);

    const ready = await get(ops.port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { nats: true, store: true } });

    natsUp = false;
    const down = await get(ops.port, '/readyz');
    expect(down.status).toBe(503);
    expect(down.json()).toMatchObject({
      status: 'not ready',
      checks: { nats: false, store: true },
      failing: ['nats'],
    });

    natsUp = true;
    expect((await get(ops.port, '/readyz')).status).toBe(200);
    ops.setDraining();
    expect(ops.isDraining()).toBe(true);
    const draining = await get(ops.port, '/readyz');
    expect(draining.status).toBe(503);
    expect(draining.json().failing).toEqual(['not_draining']);
    // Liveness is about the process, not readiness: still 200 while draining.
    expect((await get(ops.port, '/livez')).status).toBe(200);
  });

  it('treats a throwing or hanging check as failing', async () => {
    ops = await startOpsServer({
      port: 0,
      logger,
      checkTimeoutMs: 100,
      readiness: [
        {
          name: 'throws',
          check: () => {
            throw new Error('x');
          },
        },
        { name: 'hangs', check: () => new Promise<boolean>(() => undefined) },
      ],
    });
    const t0 = Date.now();
    const r = await get(ops.port, '/readyz');
    expect(r.status).toBe(503);
    expect(r.json().checks).toEqual({ throws: false, hangs: false });
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('serves Prometheus text with default and kit metrics; unknown paths are 404', async () => {
    ops = await startOpsServer({ port: 0, logger, readiness: [] });
    jobsInFlight.inc();
    const m = await get(ops.port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.type).toContain('text/plain');
    expect(m.text).toContain('process_cpu_user_seconds_total');
    expect(m.text).toMatch(/^jobs_in_flight 1$/m);
    expect(m.text).toContain('# TYPE nats_connected gauge');
    jobsInFlight.dec();
    expect((await get(ops.port, '/nope')).status).toBe(404);
  });
  it('exports each readiness check as readiness_check{check}, fresh at every scrape', async () => {
    let storeUp = true;
    ops = await startOpsServer({
      port: 0,
      logger,
      readiness: [
        { name: 'nats', check: () => true },
        { name: 'store', check: () => storeUp },
      ],
    });
    expect((await get(ops.port, '/metrics')).text).toMatch(/^readiness_check\{check="store"\} 1$/m);
    storeUp = false;
    const text = (await get(ops.port, '/metrics')).text;
    expect(text).toMatch(/^readiness_check\{check="store"\} 0$/m);
    expect(text).toMatch(/^readiness_check\{check="nats"\} 1$/m);
  });
});

describe('httpMetricsMiddleware', () => {
  it('counts requests by route template and status', async () => {
    const mw = httpMetricsMiddleware();
    // Minimal stand-in for an express route: the router sets req.route/baseUrl before the handler.
    const server = http.createServer((req, res) => {
      mw(req as never, res, () => {
        const r = req as http.IncomingMessage & { route?: { path: string }; baseUrl?: string };
        if (req.url?.startsWith('/api/v1/schedule/')) {
          r.baseUrl = '/api/v1';
          r.route = { path: '/schedule/:id' };
          res.statusCode = 404;
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await fetch(`http://127.0.0.1:${port}/api/v1/schedule/1`).then((r) => r.text());
      await fetch(`http://127.0.0.1:${port}/api/v1/schedule/2`).then((r) => r.text());
      await fetch(`http://127.0.0.1:${port}/other`).then((r) => r.text());
    } finally {
      await new Promise((r) => server.close(r));
    }
    const text = await metricsRegistry.getSingleMetricAsString('http_requests_total');
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/schedule/:id",status="404"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="200"} 1');
    const hist = await metricsRegistry.getSingleMetricAsString('http_request_duration_seconds');
    expect(hist).toContain('route="/api/v1/schedule/:id"');
  });
});
