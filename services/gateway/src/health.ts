import express, { type Router } from 'express';
import { browserToConsole, consoleRouter } from './console';
import { docsRouter } from './docs';
import type { Clock, ReadinessCheck } from './ports';
import { API_ROOT } from './routes';

/** Runs every check (a throwing one counts as failing) and names each result. */
export async function runChecks(readiness: ReadinessCheck[]): Promise<Record<string, boolean>> {
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
}

/** The unauthenticated, unversioned endpoints: API root, health and probes, OpenAPI and docs (metrics are on the ops port only). */
export function healthRouter(ctx: {
  readiness: ReadinessCheck[];
  /** /health's checks: readiness plus the store-backed services' own (a store outage shows here). */
  healthChecks: ReadinessCheck[];
  clock: Clock;
  openapi: Record<string, unknown>;
  consoleDir?: string;
}): Router {
  const { readiness, clock, openapi } = ctx;
  const router = express.Router();
  // A browser opening / lands on the console; API clients keep the JSON root.
  router.get('/', browserToConsole, (_req, res) => {
    res.json(API_ROOT);
  });
  router.use(consoleRouter(ctx.consoleDir));
  router.get('/health', async (_req, res) => {
    const checks = await runChecks(ctx.healthChecks);
    const healthy = Object.values(checks).every(Boolean);
    res
      .status(healthy ? 200 : 503)
      .json({ status: healthy ? 'healthy' : 'unhealthy', checks, timestamp: clock.now().toISOString() });
  });
  router.get('/livez', (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await runChecks(readiness);
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });
  router.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  router.use(docsRouter());
  return router;
}
