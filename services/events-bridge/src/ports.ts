import type {
  KafkaRecordShape,
  KafkaResultRecord,
  ResultRecordValue,
  ResultTarget,
} from '@fillsched/contracts';

/** One message of the events stream as the bridge sees it; settle it exactly once. */
export interface SourceMessage {
  subject: string;
  /** Stream sequence (logs). */
  seq: number;
  data: Uint8Array;
  ack(): void;
  /** Hand it back; the server redelivers it after delayMs (to this or another replica). */
  nak(delayMs: number): void;
  /** Never redeliver (not a CloudEvent of the platform). */
  term(): void;
  /** Still being handled: restarts the server's ack_wait (long batches, e.g. large plans). */
  working?(): void;
}

/** The shared durable consumer: up to `max` messages in stream order, [] when none came in time. */
export interface EventSource {
  fetch(max: number): Promise<SourceMessage[]>;
  /** Messages not yet delivered to any replica (consumer info num_pending). */
  pending(): Promise<number>;
}

/** Kafka: resolves once every record is acknowledged by all in-sync replicas (acks: all). */
export interface RecordSink {
  send(topic: string, records: ReadonlyArray<KafkaRecordShape | KafkaResultRecord>): Promise<void>;
  /** Whether the brokers answered the last probe or send. */
  reachable(): boolean;
}

export interface BridgeMetrics {
  produced(n: number): void;
  error(kind: 'kafka' | 'invalid' | 'source' | 'results'): void;
  lag(n: number): void;
}

/** What reading a completed schedule's document from its owner gave. */
export type ResultRead =
  | { kind: 'ok'; document: ResultRecordValue }
  /** The owner does not know it (deleted since): the record becomes a tombstone. */
  | { kind: 'gone' }
  /** The owner refuses for good (not completed, no stored result): nothing to mirror. */
  | { kind: 'refused'; status: number; reason: string };

/** The owner's `resultExport` (every page of a plan); throws when the owner cannot answer now. */
export interface ResultReader {
  read(target: ResultTarget): Promise<ResultRead>;
}

export interface ResultsMetrics {
  /** One plan produced; `bytes` is its compressed value. */
  produced(bytes: number): void;
  tombstone(): void;
  error(kind: 'read' | 'too_large' | 'refused' | 'kafka'): void;
}
