import { jetstream, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  RPC,
  ResultChunkSchema,
  orderChunks,
  type ResultChunk,
  SCHEDULE_COUNTERS_BUCKET,
  type CloudEvent,
  type ScheduleStatusEvent,
  type SolveJob,
} from '@fillsched/contracts';
import { NatsJobPublisher as NatsSolveJobPublisher } from '@fillsched/job-owner';
import {
  openOrCreateKv,
  publishEvent,
  type IdAllocator,
  type IdBlock,
  type IdBlockSource,
  type ServiceClient,
} from '@fillsched/service-kit';
import type { FetchOutcome, JobPublisher, ResultFetcher } from '../ports';

/** The shared solve-job publisher behind this service's `publish` port. */
export class NatsJobPublisher extends NatsSolveJobPublisher implements JobPublisher {
  async publish(event: CloudEvent<SolveJob>): Promise<void> {
    await this.publishJob(event);
  }

  async announce(subject: string, event: CloudEvent<ScheduleStatusEvent>): Promise<void> {
    await publishEvent(this.js, subject, event, this.opts);
  }
}

/**
 * Takes a result over from the solver pool chunk by chunk (`RPC.solver.result`, one stored chunk
 * per reply, so each stays far below NATS max_payload however large the schedule): the head first,
 * whose `count` says how many follow. The chunks come back as the solver stored them, checked to
 * make one whole document, for the owner to store as they are.
 */
export class NatsResultFetcher implements ResultFetcher {
  constructor(
    private readonly client: ServiceClient,
    private readonly opts: { timeoutMs?: number } = {},
  ) {}

  async fetch(jobId: string): Promise<FetchOutcome> {
    const chunks: ResultChunk[] = [];
    try {
      for (let index = 0, count = 1; index < count; index++) {
        const reply = await this.client.request(
          RPC.solver.result,
          { body: { job_id: jobId, index } },
          { timeoutMs: this.opts.timeoutMs ?? 10_000 },
        );
        if (reply.status === 404 && index === 0) return { kind: 'not_found' };
        if (reply.status !== 200)
          return { kind: 'unavailable', reason: `solver replied ${reply.status} for chunk ${index}` };
        const raw = (reply.body as { chunk?: unknown } | null)?.chunk;
        const parsed = ResultChunkSchema.safeParse(raw);
        if (!parsed.success || parsed.data.index !== index)
          return { kind: 'unavailable', reason: `malformed result chunk ${index} from the solver` };
        count = parsed.data.count;
        // Checked against the schema, kept as sent: a field the schema does not name is not dropped.
        chunks.push(raw as ResultChunk);
      }
      orderChunks(chunks);
    } catch (err) {
      return { kind: 'unavailable', reason: (err as Error)?.message ?? String(err) };
    }
    return { kind: 'ok', chunks };
  }
}

/** High-water marks of this service's ids (see HighWaterIdAllocator). */
export const COUNTERS_BUCKET = SCHEDULE_COUNTERS_BUCKET;

/**
 * Creates the bucket if missing (with the client's default timeouts: services start together and a
 * cluster is slow then), and returns it bound through a client whose calls give up after
 * timeoutMs: ids are allocated inside `create`, which must answer within the gateway's 5 s, and a
 * bucket whose leader just died leaves requests unanswered until a new one is elected (with the
 * default 5 s, such creates became 504s).
 */
export async function openCountersBucket(nc: NatsConnection, replicas = 1, timeoutMs = 1500): Promise<KV> {
  await openOrCreateKv(nc, COUNTERS_BUCKET, { history: 1, replicas });
  return new Kvm(jetstream(nc, { timeout: timeoutMs })).open(COUNTERS_BUCKET);
}

const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);
function isCasConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(err.code);
}

/**
 * Ids that never go back below what NATS remembers. Job ids, `Nats-Msg-Id` dedup ids (10 min
 * window), cancellation keys (1 day) and lifecycle subjects are all derived from schedule ids, and
 * NATS often outlives the store (the embedded in-memory Mongo of `npm start`, or no Mongo at all):
 * a restarted store handing out 1 again would see its first job dropped as a duplicate. So a block
 * starts at the larger of the store's next id and the KV high-water mark + 1, and is only returned
 * once its last id has been written to the KV by compare-and-set — every id returned is unique
 * even across replicas and restarts of either side. BlockIdAllocator reserves through it in blocks.
 */
export class HighWaterIdAllocator implements IdAllocator, IdBlockSource {
  constructor(
    private readonly primary: IdBlockSource,
    private readonly kv: KV,
    private readonly maxAttempts = 100,
  ) {}

  async next(collection: string): Promise<number> {
    return (await this.reserve(collection, 1)).first;
  }

  async reserve(collection: string, count: number): Promise<IdBlock> {
    const fromStore = await this.primary.reserve(collection, count);
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const entry = await this.kv.get(collection);
      const live = entry !== null && entry.operation === 'PUT';
      const mark = live ? Number(entry.string()) : 0;
      if (!Number.isInteger(mark) || mark < 0)
        throw new Error(`id counter ${collection} holds ${entry?.string()}`);
      const first = Math.max(fromStore.first, mark + 1);
      const last = first + count - 1;
      try {
        if (live) await this.kv.update(collection, String(last), entry.revision);
        else await this.kv.create(collection, String(last));
        return { first, last };
      } catch (err) {
        if (!isCasConflict(err)) throw err;
        // Another allocation moved the mark: read it again.
      }
    }
    throw new Error(`could not allocate an id for ${collection}: too much contention`);
  }
}
