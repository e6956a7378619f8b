import { z } from 'zod';
import type { CloudEvent } from './cloudevents';
import { EVENT_TYPES } from './events';
import {
  ACTIVITIES_PAGE_MAX,
  ScheduleResultSchema,
  ScheduleSummarySchema,
  type ScheduleOut,
} from './rest/schedules';
import { CE_CONTENT_TYPE_HEADER, CE_HEADER_PREFIX } from './kafka';
import { ComparisonOutSchema } from './rest/comparisons';

/**
 * The plans themselves on Kafka (services/events-bridge, docs/events.md "Results topic"): a
 * compacted topic with ONE record per completed schedule, key `schedule.<id>` (the lifecycle
 * topic's key), whose value is the gzip-compressed JSON of the schedule document exactly as
 * `GET /api/v1/schedule/{id}` answers it for a completed schedule — the summary fields and
 * `result` with every activity — and one per completed comparison (`comparison.<id>`, the
 * `GET /compare/{id}` document). One record, never chunks: compaction keeps the latest record per
 * key, so chunks sharing a key would erase each other. The topic's `max.message.bytes` is raised
 * to a configured bound instead (a 20,000-lot plan, 40,400 activities, is 0.84 MB gzipped).
 */
export const KAFKA_RESULTS_DEFAULTS = {
  topic: 'fillsched.results',
  /** Topic `max.message.bytes`: the largest compressed plan (with key and headers) the topic takes. */
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

/**
 * What a results record holds: a completed schedule's plan, or a completed comparison's document
 * (small: per-strategy KPIs, no activities) under `comparison.<id>`.
 */
export interface ResultTarget {
  kind: 'schedule' | 'comparison';
  id: number;
}

/** CloudEvents type and id of a results record (binary mode: `ce_*` headers, the document as value). */
export const RESULT_RECORD_TYPES = {
  schedule: 'com.fillsched.schedule.result',
  comparison: 'com.fillsched.comparison.result',
} as const;
export const RESULT_RECORD_TYPE = RESULT_RECORD_TYPES.schedule;
export const resultRecordId = (t: ResultTarget): string => `${t.kind}.result:${t.id}`;
/** The lifecycle topic's key of the same schedule or comparison. */
export const resultRecordKey = (t: ResultTarget): string => `${t.kind}.${t.id}`;
/** The value is gzip (RFC 1952) of the UTF-8 JSON document; a consumer gunzips, then parses. */
export const CONTENT_ENCODING_HEADER = 'content-encoding';
export const RESULT_CONTENT_ENCODING = 'gzip';

/** A record of the results topic; `value: null` is a tombstone (the schedule was deleted). */
export interface KafkaResultRecord {
  key: string;
  headers: Record<string, string>;
  value: Buffer | null;
}

const positiveId = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;

/**
 * What a stream event puts on the results topic: the owner's `com.fillsched.schedule.completed`
 * (published once its store holds the result) → that schedule; `com.fillsched.comparison.finished`
 * with status `completed` → that comparison; anything else → null.
 */
export function resultTargetOf(event: Pick<CloudEvent, 'type' | 'data'>): ResultTarget | null {
  const data = event.data as { schedule_id?: unknown; comparison_id?: unknown; status?: unknown } | null;
  if (event.type === EVENT_TYPES.scheduleCompleted) {
    const id = positiveId(data?.schedule_id);
    return id === null ? null : { kind: 'schedule', id };
  }
  if (event.type === EVENT_TYPES.comparisonFinished && data?.status === 'completed') {
    const id = positiveId(data?.comparison_id);
    return id === null ? null : { kind: 'comparison', id };
  }
  return null;
}

/**
 * Headers of the results record announced by `completed`: every attribute derives from that event
 * (never the bridge's clock or instance), so a redelivery re-produces the very same record.
 */
export function resultRecordHeaders(completed: CloudEvent, target: ResultTarget): Record<string, string> {
  const h: Record<string, string> = {
    [`${CE_HEADER_PREFIX}specversion`]: '1.0',
    [`${CE_HEADER_PREFIX}id`]: resultRecordId(target),
    [`${CE_HEADER_PREFIX}source`]: completed.source,
    [`${CE_HEADER_PREFIX}type`]: RESULT_RECORD_TYPES[target.kind],
    [`${CE_HEADER_PREFIX}subject`]: resultRecordKey(target),
    [`${CE_HEADER_PREFIX}time`]: completed.time,
  };
  if (completed.correlationid) h[`${CE_HEADER_PREFIX}correlationid`] = completed.correlationid;
  h[CE_CONTENT_TYPE_HEADER] = 'application/json';
  h[CONTENT_ENCODING_HEADER] = RESULT_CONTENT_ENCODING;
  return h;
}

// ---------------------------------------------------------------- the owner's export operation

/** Activities per `RPC.schedule.resultExport` page: the public page bound, well under max_payload. */
export const RESULT_EXPORT_PAGE_MAX = ACTIVITIES_PAGE_MAX;

/** Request: `{ params: { id }, query: { offset, limit } }` (no user: an internal operation). */
export const ResultExportQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(RESULT_EXPORT_PAGE_MAX).default(RESULT_EXPORT_PAGE_MAX),
});

/**
 * One page of the export: the schedule as GET shows it (without `result`), its result without
 * activities (with `activity_count`, as `include_activities=false`), and activities
 * [offset, offset + items.length) of `total`.
 */
export const ResultExportPageSchema = z.object({
  schedule: ScheduleSummarySchema,
  result: ScheduleResultSchema,
  items: z.array(z.unknown()),
  total: z.number().int().min(0),
  offset: z.number().int().min(0),
});
export type ResultExportPage = z.infer<typeof ResultExportPageSchema>;

/** The value of a `schedule.<id>` record once decompressed: the GET body of a completed schedule. */
export type ScheduleResultDocument = ScheduleOut & { result: NonNullable<ScheduleOut['result']> };
/** The value of a `comparison.<id>` record: `GET /compare/{id}` of a completed comparison. */
export type ComparisonResultDocument = z.infer<typeof ComparisonOutSchema>;
/** Reply of `RPC.comparison.resultExport` (`{ params: { id } }`): the comparison as GET shows it. */
export const ComparisonExportSchema = ComparisonOutSchema;
export type ResultRecordValue = ScheduleResultDocument | ComparisonResultDocument;

/** The document from the first page and every activity, in order (what GET's `result` holds). */
export function assembleResultDocument(
  first: ResultExportPage,
  activities: unknown[],
): ScheduleResultDocument {
  const { activity_count: _count, activities: _none, ...summary } = first.result;
  return {
    ...first.schedule,
    result: { ...summary, activities },
  } as ScheduleResultDocument;
}
