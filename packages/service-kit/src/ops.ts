import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logging';
import { collectDefaultMetricsOnce, metricsRegistry, readinessCheckGauge } from './metrics';

export interface ReadinessCheck {
  name: string;
  check(): boolean | Promise<boolean>;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  readiness: ReadinessCheck[];
  registry?: Registry;
  /** A check slower than this counts as failing, so a stuck dependency cannot hang the probe. */
  checkTimeoutMs?: number;
}

export interface OpsServer {
  port: number;
  server: http.Server;
  setDraining(): void;
  isDraining(): boolean;
  close(): Promise<void>;
}

async function runCheck(c: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(() => c.check()),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).then((v) => v === true);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** /livez, /readyz and /metrics on a port separate from the service's API. */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const registry = opts.registry ?? metricsRegistry;
  if (registry === metricsRegistry) collectDefaultMetricsOnce();
  const timeoutMs = opts.checkTimeoutMs ?? 2000;
  let draining = false;

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const evaluate = async (): Promise<boolean[]> => {
    const results = await Promise.all(opts.readiness.map((c) => runCheck(c, timeoutMs)));
    if (registry === metricsRegistry)
      opts.readiness.forEach((c, i) => readinessCheckGauge.set({ check: c.name }, results[i] ? 1 : 0));
    return results;
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(res, 405, { detail: 'Method Not Allowed' });
      if (path === '/livez') return send(res, 200, { status: 'alive' });
      if (path === '/readyz') {
        const results = await evaluate();
        const checks: Record<string, boolean> = {};
        opts.readiness.forEach((c, i) => (checks[c.name] = results[i]));
        if (draining) checks.not_draining = false;
        const ready = !draining && results.every(Boolean);
        return send(res, ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          checks,
          ...(ready ? {} : { failing: Object.keys(checks).filter((k) => !checks[k]) }),
        });
      }
      if (path === '/metrics') {
        // Alerts on a failing dependency (e.g. the store) read readiness_check, fresh at each scrape.
        if (registry === metricsRegistry) await evaluate();
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType });
        return res.end(text);
      }
      return send(res, 404, { detail: 'Not Found' });
    })().catch((err) => {
      opts.logger.error({ err, path }, 'ops endpoint failed');
      if (!res.headersSent) send(res, 500, { detail: 'Internal server error' });
      else res.end();
    });
  });
  // Probes are short requests; don't let keep-alive sockets delay shutdown.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  opts.logger.info({ port }, 'ops server listening');

  return {
    port,
    server,
    setDraining() {
      draining = true;
    },
    isDraining: () => draining,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Readiness check for a NATS handle (or anything with isConnected()). */
export function natsReadiness(handle: { isConnected(): boolean }, name = 'nats'): ReadinessCheck {
  return { name, check: () => handle.isConnected() };
}
