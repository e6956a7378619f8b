import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CANCEL_SUBJECT,
  CANCELLATIONS_BUCKET,
  JOBS_SUBJECT,
  KV_SPECS,
  RPC,
  type CloudEvent,
  type RpcUser,
  type SolveJob,
} from '@fillsched/contracts';
import {
  encodeJson,
  isServiceError,
  publishEvent,
  type IdAllocator,
  type ServiceClient,
} from '@fillsched/service-kit';
import type {
  Canceller,
  ConfigResolver,
  FetchOutcome,
  JobPublisher,
  ResolveOutcome,
  ResultActivity,
  ResultFetcher,
  StoredResult,
} from '../ports';

export class NatsJobPublisher implements JobPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly opts: { timeoutMs?: number; retries?: number } = {},
  ) {}

  async publish(event: CloudEvent<SolveJob>): Promise<void> {
    await publishEvent(this.js, JOBS_SUBJECT, event, this.opts);
  }
}

/** Creates the cancellations bucket if missing (same TTL everywhere), else opens the existing one. */
export async function openCancellationsBucket(nc: NatsConnection): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(CANCELLATIONS_BUCKET, { ttl: KV_SPECS.cancellations.ttlMs });
  } catch {
    // Created by another service with slightly different options: use it as it is.
    return kvm.open(CANCELLATIONS_BUCKET);
  }
}

/**
 * KV first (a solver that claims the job later skips it), then the core broadcast (a solver
 * running it aborts now). The broadcast is flushed so it has left this process when we reply.
 */
export class NatsCanceller implements Canceller {
  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
  ) {}

  async cancel(jobId: string): Promise<void> {
    await this.kv.put(jobId, encodeJson({ job_id: jobId, reason: 'deleted', at: new Date().toISOString() }));
    this.nc.publish(CANCEL_SUBJECT, encodeJson({ job_id: jobId }));
    await this.nc.flush();
  }
}

export class NatsConfigResolver implements ConfigResolver {
  constructor(
    private readonly client: ServiceClient,
    private readonly timeoutMs = 3000,
  ) {}

  async resolve(
    user: RpcUser,
    req: { config_id: number | null; config: Record<string, unknown> | null },
  ): Promise<ResolveOutcome> {
    try {
      const reply = await this.client.request(
        RPC.config.resolve,
        { user, body: { config_id: req.config_id, config: req.config } },
        { timeoutMs: this.timeoutMs },
      );
      if (reply.status === 200) {
        const body = reply.body as { config?: unknown; template_id?: unknown } | null;
        const config = body?.config;
        if (!config || typeof config !== 'object' || Array.isArray(config))
          return { kind: 'unavailable', reason: 'malformed reply from the config service' };
        const tid = body?.template_id;
        return {
          kind: 'resolved',
          config: config as Record<string, unknown>,
          template_id: typeof tid === 'number' ? tid : null,
        };
      }
      if (reply.status >= 400 && reply.status < 500)
        return { kind: 'rejected', status: reply.status, body: reply.body };
      return { kind: 'unavailable', reason: `config service replied ${reply.status}` };
    } catch (err) {
      if (isServiceError(err)) return { kind: 'unavailable', reason: err.message };
      return { kind: 'unavailable', reason: (err as Error)?.message ?? String(err) };
    }
  }
}

interface ResultPageBody {
  result?: Record<string, unknown>;
  activities?: unknown[];
  total_activities?: number;
}

/**
 * Reads `{result, activities, total_activities}` pages from the solver pool until every activity
 * is here. Pages keep each reply under NATS max_payload however large the schedule.
 */
export class NatsResultFetcher implements ResultFetcher {
  constructor(
    private readonly client: ServiceClient,
    private readonly opts: { pageSize?: number; timeoutMs?: number } = {},
  ) {}

  async fetch(jobId: string): Promise<FetchOutcome> {
    const limit = this.opts.pageSize ?? 2000;
    const activities: ResultActivity[] = [];
    let summary: Record<string, unknown> | undefined;
    let total = Infinity;
    try {
      while (activities.length < total) {
        const reply = await this.client.request(
          RPC.solver.result,
          { body: { job_id: jobId, offset: activities.length, limit } },
          { timeoutMs: this.opts.timeoutMs ?? 10_000 },
        );
        if (reply.status === 404) return { kind: 'not_found' };
        if (reply.status !== 200) return { kind: 'unavailable', reason: `solver replied ${reply.status}` };
        const body = reply.body as ResultPageBody | null;
        if (!body || typeof body.result !== 'object' || !Array.isArray(body.activities))
          return { kind: 'unavailable', reason: 'malformed result page from the solver' };
        summary ??= body.result;
        total = typeof body.total_activities === 'number' ? body.total_activities : body.activities.length;
        // An empty page before the end would loop forever: the stored result changed under us.
        if (body.activities.length === 0 && activities.length < total)
          return { kind: 'unavailable', reason: 'result page ended early' };
        activities.push(...(body.activities as ResultActivity[]));
      }
    } catch (err) {
      return { kind: 'unavailable', reason: (err as Error)?.message ?? String(err) };
    }
    const { activities: _ignored, ...rest } = summary ?? {};
    return {
      kind: 'ok',
      result: { ...(rest as Omit<StoredResult, 'activities'>), activities } as StoredResult,
    };
  }
}

/** High-water marks of this service's ids (see HighWaterIdAllocator). */
export const COUNTERS_BUCKET = 'fillsched-schedule-counters';

export async function openCountersBucket(nc: NatsConnection): Promise<KV> {
  const kvm = new Kvm(nc);
  try {
    return await kvm.create(COUNTERS_BUCKET, { history: 1 });
  } catch {
    return kvm.open(COUNTERS_BUCKET);
  }
}

const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);
function isCasConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(err.code);
}

/**
 * Ids that never go back below what NATS remembers. Job ids, `Nats-Msg-Id` dedup ids (10 min
 * window), cancellation keys (1 day) and lifecycle subjects are all derived from schedule ids, and
 * NATS often outlives the store (the embedded in-memory Mongo of `npm start`, or no Mongo at all):
 * a restarted store handing out 1 again would see its first job dropped as a duplicate. So each id
 * is the larger of the store's next id and the KV high-water mark + 1, and is only returned once
 * it has been written to the KV by compare-and-set — every id returned is unique even across
 * replicas and restarts of either side.
 */
export class HighWaterIdAllocator implements IdAllocator {
  constructor(
    private readonly primary: IdAllocator,
    private readonly kv: KV,
    private readonly maxAttempts = 100,
  ) {}

  async next(collection: string): Promise<number> {
    const fromStore = await this.primary.next(collection);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const entry = await this.kv.get(collection);
      const live = entry !== null && entry.operation === 'PUT';
      const mark = live ? Number(entry.string()) : 0;
      if (!Number.isInteger(mark) || mark < 0)
        throw new Error(`id counter ${collection} holds ${entry?.string()}`);
      const id = Math.max(fromStore, mark + 1);
      try {
        if (live) await this.kv.update(collection, String(id), entry.revision);
        else await this.kv.create(collection, String(id));
        return id;
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        // Another allocation moved the mark: read it again.
      }
    }
    throw new Error(`could not allocate an id for ${collection}: too much contention`);
  }
}
