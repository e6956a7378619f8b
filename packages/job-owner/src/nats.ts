import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  CANCEL_SUBJECT,
  CANCELLATIONS_BUCKET,
  CONFIG_CHANGED_SUBJECT,
  JOB_QUEUED_SUBJECT,
  KV_SPECS,
  RPC,
  type CloudEvent,
  type JobQueuedNotice,
  type RpcUser,
  type SolveJob,
  userJobsSubject,
} from '@fillsched/contracts';
import {
  encodeJson,
  isServiceError,
  openOrCreateKv,
  publishEvent,
  type NatsHandle,
  type ServiceClient,
} from '@fillsched/service-kit';
import type { Canceller, ConfigResolver, ResolveOutcome, SolveJobPublisher } from './ports';

/**
 * JetStream publishes with Nats-Msg-Id = event id, so retries are deduplicated by the stream. With
 * `notify`, a job the stream stored is followed by a JOB_QUEUED_SUBJECT notice on that connection,
 * which wakes idle solver slots at once (they would otherwise find it at their next idle re-check).
 */
export class NatsJobPublisher implements SolveJobPublisher {
  constructor(
    protected readonly js: JetStreamClient,
    protected readonly opts: { timeoutMs?: number; retries?: number; notify?: NatsConnection } = {},
  ) {}

  async publishJob(event: CloudEvent<SolveJob>): Promise<{ duplicate: boolean }> {
    const { owner } = event.data;
    const { notify, ...publishOpts } = this.opts;
    // On its user's subject, so the solver pool can serve users fairly (contracts userJobsSubject).
    const ack = await publishEvent(this.js, userJobsSubject(owner.user_id), event, publishOpts);
    if (!ack.duplicate && notify && !notify.isClosed()) {
      const notice: JobQueuedNotice = { job_id: event.data.job_id, user_id: owner.user_id };
      // Fire and forget: a lost notice only delays the job to the solvers' next look.
      notify.publish(JOB_QUEUED_SUBJECT, encodeJson(notice));
    }
    return { duplicate: ack.duplicate };
  }
}

/** Creates the cancellations bucket if missing (same TTL everywhere), else opens the existing one. */
export function openCancellationsBucket(nc: NatsConnection, replicas = 1): Promise<KV> {
  return openOrCreateKv(nc, CANCELLATIONS_BUCKET, { ttlMs: KV_SPECS.cancellations.ttlMs, replicas });
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

/** `RPC.config.resolve` through the breaker client; transport failures become `unavailable`. */
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

/**
 * Drops a config cache's templates on every CONFIG_CHANGED_SUBJECT notice (a core subscription
 * whose callback runs as the message is read, ahead of any request that came after it), and on
 * every disconnect, since notices sent meanwhile are lost. Returns the function that stops it.
 */
export function followConfigChanges(
  handle: Pick<NatsHandle, 'nc' | 'onDisconnect'>,
  cache: { invalidate(): void },
): () => void {
  const sub = handle.nc.subscribe(CONFIG_CHANGED_SUBJECT, { callback: () => cache.invalidate() });
  const off = handle.onDisconnect(() => cache.invalidate());
  return () => {
    off();
    sub.unsubscribe();
  };
}
