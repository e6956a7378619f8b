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

/**
 * The plans themselves on Kafka (services/events-bridge, docs/events.md "Results topic"): a
 * compacted topic with ONE record per completed schedule, key `schedule.<id>` (the lifecycle
 * topic's key), whose value is the gzip-compressed JSON of the schedule document exactly as
 * `GET /api/v1/schedule/{id}` answers it for a completed schedule — the summary fields and
 * `result` with every activity. One record, never chunks: compaction keeps the latest record per
 * key, so chunks sharing a key would erase each other. The topic's `max.message.bytes` is raised
 * to a configured bound instead (a 20,000-lot plan is ~1 MB compressed).
 */
export const KAFKA_RESULTS_DEFAULTS = {
  topic: 'fillsched.results',
  /** Topic `max.message.bytes`: the largest compressed plan (with key and headers) the topic takes. */
  maxMessageBytes: 16 * 1024 * 1024,
} as const;

/** CloudEvents type and id of a results record (binary mode: `ce_*` headers, the document as value). */
export const RESULT_RECORD_TYPE = 'com.fillsched.schedule.result';
export const resultRecordId = (scheduleId: number): string => `schedule.result:${scheduleId}`;
export const resultRecordKey = (scheduleId: number): string => `schedule.${scheduleId}`;
/** The value is gzip (RFC 1952) of the UTF-8 JSON document; a consumer gunzips, then parses. */
export const CONTENT_ENCODING_HEADER = 'content-encoding';
export const RESULT_CONTENT_ENCODING = 'gzip';

/** A record of the results topic; `value: null` is a tombstone (the schedule was deleted). */
export interface KafkaResultRecord {
  key: string;
  headers: Record<string, string>;
  value: Buffer | null;
}

/**
 * The schedule whose plan a stream event announces: the owner's `com.fillsched.schedule.completed`
 * (published once its store shows the result), else null.
 */
export function completedScheduleOf(event: Pick<CloudEvent, 'type' | 'data'>): number | null {
  if (event.type !== EVENT_TYPES.scheduleCompleted) return null;
  const id = (event.data as { schedule_id?: unknown } | null)?.schedule_id;
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : null;
}

/**
 * Headers of the results record announced by `completed`: every attribute derives from that event
 * (never the bridge's clock or instance), so a redelivery re-produces the very same record.
 */
export function resultRecordHeaders(completed: CloudEvent, scheduleId: number): Record<string, string> {
  const h: Record<string, string> = {
    [`${CE_HEADER_PREFIX}specversion`]: '1.0',
    [`${CE_HEADER_PREFIX}id`]: resultRecordId(scheduleId),
    [`${CE_HEADER_PREFIX}source`]: completed.source,
    [`${CE_HEADER_PREFIX}type`]: RESULT_RECORD_TYPE,
    [`${CE_HEADER_PREFIX}subject`]: resultRecordKey(scheduleId),
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

/** The value of a results record once decompressed: the GET body of a completed schedule. */
export type ResultDocument = ScheduleOut & { result: NonNullable<ScheduleOut['result']> };

/** The document from the first page and every activity, in order (what GET's `result` holds). */
export function assembleResultDocument(first: ResultExportPage, activities: unknown[]): ResultDocument {
  const { activity_count: _count, activities: _none, ...summary } = first.result;
  return {
    ...first.schedule,
    result: { ...summary, activities },
  } as ResultDocument;
}
