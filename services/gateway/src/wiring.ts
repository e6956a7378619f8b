import { KV_SPECS, RATE_LIMIT_BUCKET, SCHEDULE_DELETED_SUBJECT } from '@fillsched/contracts';
import { tryDecodeJson, type Logger, type NatsHandle } from '@fillsched/service-kit';
import { fetchKeysVia, NatsEventSource, NatsServiceCaller } from './adapters/nats';
import {
  openOrCreateBucket,
  RevocationSet,
  watchRevocations,
  type RevocationWatch,
} from './adapters/revocations';
import { KeyStore } from './auth/keys';
import { downstreamHealthChecks } from './downstream-health';
import type { GatewayPorts } from './ports';
import { BatchingRateLimiter, KvCounterStore, LazyCounterStore } from './ratelimit';
import { CompletedReplyCache } from './reply-cache';

export interface NatsPorts {
  ports: Omit<GatewayPorts, 'logger'> & { logger: Logger };
  services: NatsServiceCaller;
  keys: KeyStore;
  revocations: RevocationSet;
  revocationWatch: RevocationWatch;
  rateLimiter: BatchingRateLimiter;
  /** Stops background work (key fetch, watches, breaker timers) after a final rate-limit flush. */
  stop(): Promise<void>;
}

/** The production adapters over one NATS connection (used by main.ts and the NATS integration tests). */
export function natsPorts(
  handle: NatsHandle,
  logger: Logger,
  cfg: { serviceTimeoutMs: number; rateLimitPerMinute: number },
): NatsPorts {
  const services = new NatsServiceCaller(handle, cfg.serviceTimeoutMs);
  const keys = new KeyStore(fetchKeysVia(services), logger);
  void keys.start();
  const revocations = new RevocationSet();
  const revocationWatch = watchRevocations(handle.nc, revocations, logger, handle.streamReplicas);
  const rateLimiter = new BatchingRateLimiter(
    new LazyCounterStore(
      async () =>
        new KvCounterStore(
          await openOrCreateBucket(
            handle.nc,
            RATE_LIMIT_BUCKET,
            KV_SPECS.rateLimit.ttlMs,
            handle.streamReplicas,
          ),
        ),
    ),
    { limit: cfg.rateLimitPerMinute, logger },
  );
  // A schedule deleted through any gateway: the schedule service's notice drops it here too.
  const replyCache = new CompletedReplyCache();
  const deletions = handle.nc.subscribe(SCHEDULE_DELETED_SUBJECT, {
    callback: (_err, msg) => {
      const decoded = tryDecodeJson(msg.data);
      const id = decoded.ok ? (decoded.value as { schedule_id?: unknown } | null)?.schedule_id : undefined;
      if (typeof id === 'number') replyCache.forget(id);
    },
  });
  return {
    ports: {
      replyCache,
      services,
      tokenVerifier: keys,
      revocations,
      rateLimiter,
      eventSource: new NatsEventSource(handle.nc, logger),
      logger,
      readiness: [{ name: 'nats', check: () => handle.isConnected() }],
      healthChecks: downstreamHealthChecks(handle.nc),
    },
    services,
    keys,
    revocations,
    revocationWatch,
    rateLimiter,
    async stop() {
      await rateLimiter.close();
      keys.stop();
      revocationWatch.stop();
      deletions.unsubscribe();
      services.close();
    },
  };
}
