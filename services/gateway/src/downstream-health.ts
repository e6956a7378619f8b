import type { NatsConnection } from '@nats-io/transport-node';
import { healthSubject, type ServiceName } from '@fillsched/contracts';
import { tryDecodeJson, type ServiceError } from '@fillsched/service-kit';
import type { ReadinessCheck } from './ports';

/** The services that keep their data in MongoDB: a store outage there shows in the gateway's /health. */
export const STORE_BACKED_SERVICES: readonly ServiceName[] = ['auth', 'schedule', 'comparison', 'config'];

/**
 * One /health check per store-backed service, asking its health subject (the same checks as its
 * /readyz: NATS and MongoDB). False when a replica answers "not ready" (503), e.g. its store is down;
 * true again as soon as one answers ready. A service that does not answer at all (no responders,
 * timeout) is not reported here: the breaker and the service's own probes cover that, and an
 * older service without the health subject must not turn the gateway unhealthy. Answers are cached
 * for `cacheMs`, so a burst of /health probes costs one request per service.
 */
export function downstreamHealthChecks(
  nc: NatsConnection,
  opts: { timeoutMs?: number; cacheMs?: number; services?: readonly ServiceName[] } = {},
): ReadinessCheck[] {
  const timeoutMs = opts.timeoutMs ?? 500;
  const cacheMs = opts.cacheMs ?? 1000;
  return (opts.services ?? STORE_BACKED_SERVICES).map((service) => {
    let cached: { at: number; ok: Promise<boolean> } | undefined;
    const ask = async (): Promise<boolean> => {
      try {
        const msg = await nc.request(healthSubject(service), undefined, { timeout: timeoutMs });
        const reply = tryDecodeJson<{ status?: number }>(msg.data);
        return !(reply.ok && reply.value?.status === 503);
      } catch {
        return true; // no answer: unknown, see above
      }
    };
    return {
      name: `${service}_store`,
      check: () => {
        const now = Date.now();
        if (!cached || now - cached.at >= cacheMs) cached = { at: now, ok: ask() };
        return cached.ok;
      },
    };
  });
}

/** Breaker retry interval (opossum resetTimeout of the service clients). */
const CIRCUIT_RETRY_S = 10;

/**
 * Retry-After for the gateway's own 503s: an open circuit is retried after the breaker's reset
 * timeout; a service without responders or a dropped NATS connection after a couple of seconds.
 */
export function retryAfterFor(err: ServiceError): string | undefined {
  if (err.status !== 503) return undefined;
  return String(err.reason === 'circuit_open' ? CIRCUIT_RETRY_S : 2);
}
