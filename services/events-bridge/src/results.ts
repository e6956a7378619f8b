import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
import {
  resultRecordHeaders,
  resultRecordKey,
  resultTargetOf,
  type CloudEvent,
  type KafkaResultRecord,
  type ResultRecordValue,
  type ResultTarget,
  type ScheduleResultDocument,
} from '@fillsched/contracts';
import type { Logger } from '@fillsched/service-kit';
import type { TopicSpec } from './adapters/kafka';
import type { BridgeEnv } from './config';
import type { RecordSink, ResultReader, ResultsMetrics } from './ports';

/**
 * The results topic: compacted (the latest plan per key; `compact,delete` with a retention), and
 * `max.message.bytes` raised to KAFKA_RESULTS_MAX_BYTES so one record holds a whole plan.
 */
export function resultsTopicSpec(env: BridgeEnv): TopicSpec {
  return {
    topic: env.KAFKA_RESULTS_TOPIC,
    partitions: env.KAFKA_TOPIC_PARTITIONS,
    replication: env.KAFKA_TOPIC_REPLICATION,
    retentionMs: env.KAFKA_RESULTS_RETENTION_MS,
    config: {
      'cleanup.policy': env.KAFKA_RESULTS_RETENTION_MS === -1 ? 'compact' : 'compact,delete',
      'max.message.bytes': String(env.KAFKA_RESULTS_MAX_BYTES),
    },
  };
}

/**
 * Bytes a record adds to its batch beyond key, value and headers (record and batch framing: 61
 * bytes of batch header plus varints); generous, so a record that passes here passes the broker.
 */
export const RECORD_OVERHEAD_BYTES = 512;

/** Size of `r` as the broker's `max.message.bytes` counts it (one record per batch), upper bound. */
export function recordBytes(r: KafkaResultRecord): number {
  let n = Buffer.byteLength(r.key) + (r.value?.length ?? 0) + RECORD_OVERHEAD_BYTES;
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}

/**
 * The results record of a completed schedule (comparison): key `schedule.<id>` (`comparison.<id>`),
 * headers from the event that announced it, value gzip(JSON) of the document, compressed off the
 * event loop. Deterministic: the same event and stored document give the same bytes (Node's gzip
 * writes no timestamp), so a redelivery re-produces the same record.
 */
export async function encodeResultRecord(
  completed: CloudEvent,
  target: ResultTarget,
  document: ResultRecordValue,
): Promise<{ record: KafkaResultRecord; rawBytes: number }> {
  const json = JSON.stringify(document);
  return {
    record: {
      key: resultRecordKey(target),
      headers: resultRecordHeaders(completed, target),
      value: await gzipAsync(json, { level: 6 }),
    },
    rawBytes: Buffer.byteLength(json),
  };
}

/** Deleted before the bridge read it: a tombstone, so compaction drops its document. */
export function tombstoneRecord(completed: CloudEvent, target: ResultTarget): KafkaResultRecord {
  const { 'content-encoding': _none, ...headers } = resultRecordHeaders(completed, target);
  return { key: resultRecordKey(target), headers, value: null };
}

/** A plan could not be read or produced now: the bridge hands its batch back to the stream. */
export class ResultsNotProducedError extends Error {}

export interface ResultsProducerOptions {
  reader: ResultReader;
  sink: RecordSink;
  topic: string;
  /** The topic's `max.message.bytes`: a larger record is refused here, loudly, never sent. */
  maxMessageBytes: number;
  /** Owner reads in flight together (results are produced one by one, in stream order). */
  concurrency?: number;
  logger: Logger;
  metrics: ResultsMetrics;
}

export interface ResultsProducer {
  /**
   * Produces the plan of every completed schedule among `events` (the owners' `schedule.completed`),
   * one record per plan, each acknowledged by Kafka (acks all) before this resolves. Throws
   * ResultsNotProducedError when an owner or Kafka cannot answer now (the batch is retried).
   * A plan the owner refuses for good or one beyond `maxMessageBytes` is logged as an error and
   * counted, and does not hold the stream up (see docs/events.md, "Results topic").
   */
  produce(events: readonly CloudEvent[]): Promise<number>;
}

export function createResultsProducer(opts: ResultsProducerOptions): ResultsProducer {
  const { reader, sink, topic, logger, metrics } = opts;
  const concurrency = Math.max(1, opts.concurrency ?? 4);

  const read = async (target: ResultTarget) => {
    const started = Date.now();
    try {
      return { read: await reader.read(target), ms: Date.now() - started };
    } catch (err) {
      metrics.error('read');
      throw new ResultsNotProducedError(
        `${resultRecordKey(target)}: its document could not be read from the owner: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  };

  const send = async (record: KafkaResultRecord) => {
    try {
      await sink.send(topic, [record]);
    } catch (err) {
      metrics.error('kafka');
      throw new ResultsNotProducedError(
        `${record.key}: Kafka did not take the plan: ${(err as Error)?.message ?? String(err)}`,
      );
    }
  };

  async function produceOne(
    completed: CloudEvent,
    target: ResultTarget,
    got: Awaited<ReturnType<typeof read>>,
  ): Promise<boolean> {
    const r = got.read;
    const key = resultRecordKey(target);
    if (r.kind === 'gone') {
      await send(tombstoneRecord(completed, target));
      metrics.tombstone();
      logger.info({ key }, 'deleted before its document was read: tombstone');
      return true;
    }
    if (r.kind === 'refused') {
      metrics.error('refused');
      logger.error(
        { key, status: r.status, reason: r.reason, ce_id: completed.id },
        'the owner refused the document of a completed schedule or comparison: not on the results topic',
      );
      return false;
    }
    const encodeStart = Date.now();
    const { record, rawBytes } = await encodeResultRecord(completed, target, r.document);
    const encodeMs = Date.now() - encodeStart;
    const bytes = recordBytes(record);
    if (bytes > opts.maxMessageBytes) {
      metrics.error('too_large');
      logger.error(
        {
          key,
          record_bytes: bytes,
          raw_bytes: rawBytes,
          max_message_bytes: opts.maxMessageBytes,
          ce_id: completed.id,
        },
        'plan larger than the results topic takes (KAFKA_RESULTS_MAX_BYTES): not on the results topic',
      );
      return false;
    }
    const sendStart = Date.now();
    await send(record);
    metrics.produced(record.value?.length ?? 0);
    logger.info(
      {
        key,
        activities:
          target.kind === 'schedule'
            ? ((r.document as ScheduleResultDocument).result.activities?.length ?? 0)
            : 0,
        raw_bytes: rawBytes,
        value_bytes: record.value?.length ?? 0,
        read_ms: got.ms,
        gzip_ms: encodeMs,
        produce_ms: Date.now() - sendStart,
      },
      'plan produced',
    );
    return true;
  }

  return {
    async produce(events) {
      // one record per key even when a batch holds a redelivered event twice
      const todo = new Map<string, [ResultTarget, CloudEvent]>();
      for (const e of events) {
        const target = resultTargetOf(e);
        if (target && !todo.has(resultRecordKey(target))) todo.set(resultRecordKey(target), [target, e]);
      }
      const list = [...todo.values()];
      let produced = 0;
      for (let i = 0; i < list.length; i += concurrency) {
        const group = list.slice(i, i + concurrency);
        // read together, produce one by one in stream order
        const reads = await Promise.allSettled(group.map(([target]) => read(target)));
        for (let j = 0; j < group.length; j++) {
          const got = reads[j];
          if (got.status === 'rejected') throw got.reason;
          if (await produceOne(group[j][1], group[j][0], got.value)) produced++;
        }
      }
      return produced;
    },
  };
}
