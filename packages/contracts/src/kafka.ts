import type { CloudEvent } from './cloudevents';
import { EVENTS_STREAM } from './subjects';

/**
 * The Kafka mirror of the events stream (services/events-bridge), CloudEvents Kafka protocol
 * binding in BINARY mode: the event's attributes are `ce_*` headers, `content-type` is the
 * datacontenttype, and the record value is the event's `data` alone (JSON). Binary mode, because
 * consumers route and deduplicate on headers (`ce_type`, `ce_id`) without parsing the value, and
 * the value is exactly the data schema of docs/events.md that other teams already validate.
 */
export const KAFKA_DEFAULTS = {
  lifecycleTopic: 'fillsched.lifecycle',
} as const;

/** The one durable pull consumer every bridge replica shares (never one per replica). */
export const BRIDGE_CONSUMER = 'events-bridge';

const NS_PER_S = 1_000_000_000;
/**
 * The bridge's durable on FILLSCHED_EVENTS: every event from the beginning, explicit acks,
 * retried forever (Kafka outages must not drop events). max_ack_pending bounds what all replicas
 * hold unacknowledged together (the bridge passes two batches: one with Kafka, one pulled behind it).
 */
export const bridgeConsumerSpec = (maxAckPending: number) =>
  ({
    stream: EVENTS_STREAM,
    durable_name: BRIDGE_CONSUMER,
    filter_subject: 'fillsched.events.>',
    ack_policy: 'explicit',
    ack_wait: 30 * NS_PER_S,
    max_deliver: -1,
    deliver_policy: 'all',
    max_ack_pending: maxAckPending,
  }) as const;

/** Header names of the binding (binary mode); every CloudEvent attribute is `ce_<name>`. */
export const CE_HEADER_PREFIX = 'ce_';
export const CE_CONTENT_TYPE_HEADER = 'content-type';

/**
 * The record key of an event on `fillsched.events.<kind>.<id>.…`: `<kind>.<id>` (schedule.42,
 * comparison.7), so every event of one schedule or comparison lands on one partition, in order.
 * Null for a subject outside that layout.
 */
export function kafkaKeyOf(natsSubject: string): string | null {
  const m = /^fillsched\.events\.(schedule|comparison)\.(\d+)(\.|$)/.exec(natsSubject);
  return m ? `${m[1]}.${m[2]}` : null;
}

export interface KafkaRecordShape {
  key: string;
  headers: Record<string, string>;
  value: string;
}

/** CloudEvent → binary-mode Kafka record (attributes as `ce_*` headers, data as value). */
export function toKafkaRecord(event: CloudEvent, key: string): KafkaRecordShape {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype' || value === undefined || value === null) continue;
    headers[`${CE_HEADER_PREFIX}${name}`] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  headers[CE_CONTENT_TYPE_HEADER] = event.datacontenttype ?? 'application/json';
  return { key, headers, value: JSON.stringify(event.data ?? null) };
}

/** The inverse, for consumers (and tests): headers + value back into the CloudEvent. */
export function fromKafkaRecord(headers: Record<string, string>, value: string): CloudEvent {
  const attrs: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers))
    if (name.startsWith(CE_HEADER_PREFIX)) attrs[name.slice(CE_HEADER_PREFIX.length)] = v;
  return {
    ...(attrs as unknown as Omit<CloudEvent, 'data'>),
    datacontenttype: 'application/json',
    data: JSON.parse(value) as unknown,
  };
}
