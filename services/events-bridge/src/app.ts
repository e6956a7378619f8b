import {
  CloudEventSchema,
  kafkaKeyOf,
  toKafkaRecord,
  type CloudEvent,
  type KafkaRecordShape,
} from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { BridgeMetrics, EventSource, RecordSink, SourceMessage } from './ports';

export interface BridgeOptions {
  source: EventSource;
  sink: RecordSink;
  topic: string;
  /** Messages pulled and produced together. */
  batch: number;
  backoff: { minMs: number; maxMs: number };
  logger: Logger;
  metrics: BridgeMetrics;
  /**
   * Records produced for a batch before its own (the results topic, results.ts): the batch is acked
   * only after these and its lifecycle records are acknowledged; a throw hands the batch back.
   */
  results?: { produce(events: readonly CloudEvent[]): Promise<unknown> };
  /**
   * While a batch is being produced, its messages are marked in progress this often, so reading and
   * producing large plans never outlasts the durable's ack_wait (30 s) into a redelivery. Default 10 s.
   */
  workingEveryMs?: number;
}

export interface Bridge {
  /** Stops pulling; the batch in hand is produced and acked (or nak'ed) first. */
  stop(): Promise<void>;
  /** Records produced and acked so far. */
  produced(): number;
}

/** Exponential backoff after `failures` consecutive Kafka failures (1, 2, …). */
export function backoffDelay(failures: number, b: { minMs: number; maxMs: number }): number {
  return Math.min(b.maxMs, b.minMs * 2 ** Math.max(0, failures - 1));
}

type Parsed = { ok: true; record: KafkaRecordShape; event: CloudEvent } | { ok: false; reason: string };

/** One stream message → its record: a CloudEvent on a `fillsched.events.<kind>.<id>.…` subject. */
export function recordOf(m: Pick<SourceMessage, 'subject' | 'data'>): Parsed {
  const key = kafkaKeyOf(m.subject);
  if (!key) return { ok: false, reason: `subject ${m.subject} names no schedule or comparison` };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(m.data).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const event = CloudEventSchema.safeParse(raw);
  if (!event.success) return { ok: false, reason: 'not a CloudEvent' };
  return { ok: true, record: toKafkaRecord(event.data, key), event: event.data as CloudEvent };
}

/**
 * The bridge loop: pull a batch from the shared durable, produce it to Kafka in stream order,
 * ack each message only after Kafka acknowledged the whole batch. While a batch is with Kafka the
 * next one is already pulled (the durable lets two batches be unacknowledged), so the pull's round
 * trip overlaps the produce; sends stay one at a time, in stream order. On a Kafka failure every
 * message of the batch, then of the batch pulled behind it, is nak'ed with the same backoff and
 * this replica pauses as long, so the redeliveries (which the server hands out before new
 * messages) come back first and in order.
 */
export function startBridge(opts: BridgeOptions): Bridge {
  const { source, sink, logger, metrics } = opts;
  let stopping = false;
  let produced = 0;
  let failures = 0;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const pause = (ms: number) => Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), stopped]);

  /** Produces one batch; on a Kafka failure hands it back, and `behind` (pulled after it) too. */
  const produce = async (batch: SourceMessage[], behind: () => Promise<SourceMessage[]>): Promise<void> => {
    const records: KafkaRecordShape[] = [];
    const events: CloudEvent[] = [];
    const kept: SourceMessage[] = [];
    for (const m of batch) {
      const parsed = recordOf(m);
      if (!parsed.ok) {
        metrics.error('invalid');
        logger.error({ subject: m.subject, seq: m.seq, reason: parsed.reason }, 'event not mirrored');
        m.term();
        continue;
      }
      records.push(parsed.record);
      events.push(parsed.event);
      kept.push(m);
    }
    if (records.length === 0) return;
    let stage: 'results' | 'kafka' = 'results';
    const working = setInterval(() => {
      for (const m of kept) m.working?.();
    }, opts.workingEveryMs ?? 10_000);
    try {
      // plans first: whoever sees `schedule.completed` on the lifecycle topic finds the plan there
      if (opts.results) await opts.results.produce(events);
      stage = 'kafka';
      await sink.send(opts.topic, records);
    } catch (err) {
      clearInterval(working); // handed back: no longer in progress here
      failures++;
      const delayMs = backoffDelay(failures, opts.backoff);
      metrics.error(stage);
      // the batch pulled behind this one is handed back after it, with the same delay, so both
      // come back together and in stream order (nothing newer can overtake them)
      const next = await behind();
      for (const m of kept) m.nak(delayMs);
      for (const m of next) m.nak(delayMs);
      logger.warn(
        {
          err: (err as Error)?.message ?? String(err),
          records: records.length,
          delay_ms: delayMs,
          failures,
          stage,
        },
        stage === 'kafka'
          ? 'Kafka did not take the batch; handed back to the stream'
          : 'the plans of the batch were not produced; handed back to the stream',
      );
      await pause(delayMs + 50);
      return;
    } finally {
      clearInterval(working);
    }
    if (failures > 0) logger.info({ failures }, 'Kafka takes records again');
    failures = 0;
    for (const m of kept) m.ack();
    produced += kept.length;
    metrics.produced(kept.length);
  };

  /** The pull in flight behind the batch being produced (settled: never rejects). */
  let pulled: Promise<SourceMessage[] | Error> | null = null;
  const pull = (): Promise<SourceMessage[] | Error> =>
    source.fetch(opts.batch).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

  const loop = (async () => {
    while (!stopping) {
      const got = await (pulled ?? pull());
      pulled = null;
      if (got instanceof Error) {
        metrics.error('source');
        logger.warn({ err: got.message }, 'pulling from the stream failed');
        await pause(opts.backoff.minMs);
        continue;
      }
      const batch = got;
      if (batch.length === 0) continue;
      if (stopping) {
        for (const m of batch) m.nak(0);
        break;
      }
      const next = (pulled = pull());
      await produce(batch, async () => {
        pulled = null;
        const more = await next;
        return more instanceof Error ? [] : more;
      });
    }
    // a pull still in flight at stop: hand its messages straight back
    const left = await (pulled ?? Promise.resolve([]));
    pulled = null;
    if (!(left instanceof Error)) for (const m of left) m.nak(0);
  })();

  return {
    produced: () => produced,
    async stop() {
      stopping = true;
      wake();
      await loop;
    },
  };
}
