import {
  loadOwnedRecord,
  type EventDecision,
  type EventHeaders,
  type UserWorkload,
} from '@fillsched/job-owner';
import {
  ActivitiesQuerySchema,
  eventSource,
  ExportQuerySchema,
  IdParamSchema,
  MESSAGES,
  RPC,
  ScheduleGetQuerySchema,
  ScheduleListQuerySchema,
  ValidateLotsBodySchema,
  strategiesResponse,
  zodToDetail,
  type ScheduleOut,
  resultView,
} from '@fillsched/contracts';
import { validateInput } from '@fillsched/engine';
import {
  detail,
  failureReply,
  reply,
  serviceInstance,
  unauthorized,
  unprocessable as invalid,
  type Logger,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import type { CompletedScheduleCache } from './completed-cache';
import { createScheduleHandler } from './create';
import { activitiesToCsv } from './export-csv';
import { scheduleToSvg } from './export-svg';
import { createAnnouncer, createLifecycleHandler, createResultPrefetch } from './lifecycle';
import { RecentlyStarted } from './recently-started';
import { scheduleCreates } from './metrics';
import { PerUserQueue } from './admissions';
import { createReplanHandler } from './replan';
import { createResultExportHandler } from './result-export';
import {
  ACTIVE_STATUSES,
  type Canceller,
  type Clock,
  type ConfigResolver,
  type IdAllocator,
  type JobPublisher,
  type ResultFetcher,
  type ResultRepository,
  type ScheduleRecord,
  type ScheduleRepository,
} from './ports';
import { toSummary, withWarnings } from './replies';

export { ACTIVE_SCHEDULE_LIMIT, SCHEDULE_ID_SEQUENCE, TOO_MANY_SCHEDULES } from './create';
export { RESULT_NOT_FOUND_ATTEMPTS } from './lifecycle';
export { toSummary } from './replies';

/** CloudEvents source of this process's events (see docs/events.md, "Sources and ids"). */
export const EVENT_SOURCE = eventSource('schedule', serviceInstance());

export interface ScheduleAppDeps {
  schedules: ScheduleRepository;
  results: ResultRepository;
  ids: IdAllocator;
  publisher: JobPublisher;
  canceller: Canceller;
  configResolver: ConfigResolver;
  resultFetcher: ResultFetcher;
  clock: Clock;
  logger: Logger;
  /** Pool-wide queued + running jobs per user, comparisons' included; absent = only the schedule count. */
  workload?: UserWorkload;
  /** Completed schedules' GET bodies (absent: every GET reads the store). */
  completedCache?: CompletedScheduleCache<ScheduleOut>;
  /** Tells the other replicas a schedule was deleted (they drop their cached copy); before the reply. */
  announceDeleted?: (id: number) => Promise<void>;
}

export type ScheduleOp = keyof typeof RPC.schedule;
export type Handler = (req: RpcRequest) => Promise<RpcReply>;

/** What the lifecycle consumer does with a message once the handler is done. */
export type { EventDecision };

export interface ScheduleApp {
  handlers: Record<ScheduleOp, Handler>;
  handleEvent(
    raw: unknown,
    meta?: { deliveryCount?: number; prepared?: unknown; headers?: EventHeaders },
  ): Promise<EventDecision>;
  /** On arrival of an event, before its record's earlier events are done: starts a `completed` one's result fetch. */
  prepareEvent(raw: unknown, headers?: EventHeaders): unknown;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** ['lots_data', 2, 'vials'] → "lots_data[2].vials", the readable form /schedule/validate returns. */
export function locToPath(loc: readonly (string | number)[]): string {
  let out = '';
  for (const part of loc) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

function createOutcome(status: number): string {
  if (status === 202) return 'accepted';
  if (status === 422) return 'invalid';
  if (status === 429) return 'limited';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'rejected' : 'error';
}

// ---------------------------------------------------------------- the app

export function createScheduleApp(deps: ScheduleAppDeps): ScheduleApp {
  const { schedules, results, ids, publisher, canceller, configResolver, resultFetcher, clock, logger } =
    deps;
  const announcer = createAnnouncer({ publisher, clock, source: EVENT_SOURCE });
  const admissions = new PerUserQueue();
  const create = createScheduleHandler({
    schedules,
    ids,
    publisher,
    configResolver,
    announcer,
    clock,
    logger,
    source: EVENT_SOURCE,
    workload: deps.workload,
    admissions,
  });
  const recentlyStarted = new RecentlyStarted();
  const handleEvent = createLifecycleHandler({
    schedules,
    results,
    resultFetcher,
    announcer,
    clock,
    logger,
    recentlyStarted,
  });

  const loadOwned = (req: RpcRequest) =>
    loadOwnedRecord<ScheduleRecord>(req, (id) => schedules.get(id), MESSAGES.scheduleNotFound);

  /**
   * The schedule with its result. Without activities only the stored summary is read, and
   * `activity_count` tells the client how many it can page through.
   */
  async function scheduleOut(record: ScheduleRecord, includeActivities = true): Promise<ScheduleOut> {
    let result: ScheduleOut['result'] = null;
    if (record.status === 'completed') {
      if (includeActivities) {
        const doc = await results.get(record.id);
        result = doc && resultView(doc.summary, doc.activities);
      } else {
        const summary = await results.summary(record.id);
        result = summary && resultView(summary);
      }
    }
    return { ...withWarnings(record), result };
  }

  /** 404 unless owned, 409 unless completed with a stored result (as export answers). */
  async function loadCompleted(
    req: RpcRequest,
  ): Promise<{ ok: true; record: ScheduleRecord } | { ok: false; reply: RpcReply }> {
    const owned = await loadOwned(req);
    if (!owned.ok) return owned;
    if (owned.record.status !== 'completed')
      return { ok: false, reply: detail(409, `Schedule is not completed (status: ${owned.record.status})`) };
    return owned;
  }

  // ---------------- get / list
  async function get(req: RpcRequest): Promise<RpcReply> {
    const query = ScheduleGetQuerySchema.safeParse(req.query ?? {});
    if (!query.success) return invalid(zodToDetail(query.error, 'query'));
    const withActivities = query.data.include_activities;
    const cache = deps.completedCache;
    const id = IdParamSchema.safeParse(req.params ?? {});
    if (cache && req.user && id.success) {
      const hit = cache.get(id.data.id, withActivities);
      // The same answers as loadOwned: the owner (or a superuser) gets it, anyone else a 404.
      if (hit)
        return req.user.is_superuser || hit.user_id === req.user.id
          ? reply(200, hit.body)
          : detail(404, MESSAGES.scheduleNotFound);
    }
    const since = cache?.mark() ?? 0;
    const owned = await loadOwned(req);
    if (!owned.ok) return owned.reply;
    const body = await scheduleOut(owned.record, withActivities);
    if (cache && owned.record.status === 'completed' && body.result) {
      const activities = (body.result as { activities?: unknown }).activities;
      const weight = Array.isArray(activities) ? activities.length : 1;
      cache.set(owned.record.id, withActivities, { user_id: owned.record.user_id, body }, weight, since);
    }
    return reply(200, body);
  }

  async function list(req: RpcRequest): Promise<RpcReply> {
    const user = req.user;
    if (!user) return unauthorized();
    const parsed = ScheduleListQuerySchema.safeParse(req.query ?? {});
    if (!parsed.success) return invalid(zodToDetail(parsed.error, 'query'));
    const q = parsed.data;
    const { items, total } = await schedules.list({
      user_id: user.is_superuser ? undefined : user.id,
      status: q.status,
      strategy: q.strategy,
      sort: q.sort,
      skip: (q.page - 1) * q.page_size,
      limit: q.page_size,
    });
    return reply(200, { schedules: items.map(toSummary), total, page: q.page, page_size: q.page_size });
  }

  // ---------------- delete
  async function remove(req: RpcRequest): Promise<RpcReply> {
    const owned = await loadOwned(req);
    if (!owned.ok) return owned.reply;
    const { record } = owned;
    if (ACTIVE_STATUSES.includes(record.status)) {
      try {
        await canceller.cancel(record.job_id);
      } catch (err) {
        // Deleting without a cancellation would let the solver run on and store an orphan result.
        logger.error({ err, schedule_id: record.id }, 'cancellation failed');
        return detail(503, `Could not cancel the schedule: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    await schedules.delete(record.id);
    await results.delete(record.id);
    deps.completedCache?.forget(record.id);
    await deps
      .announceDeleted?.(record.id)
      .catch((err: unknown) =>
        logger.warn({ err, schedule_id: record.id }, 'could not tell the other replicas about the delete'),
      );
    logger.info({ schedule_id: record.id, status: record.status }, 'schedule deleted');
    if (ACTIVE_STATUSES.includes(record.status)) {
      // Its clients learn that the run ended: the store no longer shows it.
      await announcer
        .announce({ ...record, status: 'cancelled', completed_at: clock.now() })
        .catch((err: unknown) =>
          logger.warn({ err, schedule_id: record.id }, 'could not announce the cancel'),
        );
    }
    return reply(200, { message: 'Schedule deleted successfully' });
  }

  // ---------------- export
  async function exportSchedule(req: RpcRequest): Promise<RpcReply> {
    if (!req.user) return unauthorized();
    const query = ExportQuerySchema.safeParse(req.query ?? {});
    if (!query.success) return invalid(zodToDetail(query.error, 'query'));
    const completed = await loadCompleted(req);
    if (!completed.ok) return completed.reply;
    const { record } = completed;
    const out = await scheduleOut(record);
    if (!out.result) return detail(409, 'Schedule result is not available');
    if (query.data.format === 'csv') {
      return reply(200, activitiesToCsv(out.result.activities ?? []), {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="schedule-${record.id}.csv"`,
      });
    }
    if (query.data.format === 'svg') {
      const activities = out.result.activities ?? [];
      return reply(200, scheduleToSvg(record.name, activities, record.lots_data ?? []), {
        'Content-Type': 'image/svg+xml; charset=utf-8',
        'Content-Disposition': `attachment; filename="schedule-${record.id}.svg"`,
      });
    }
    return reply(200, out, { 'Content-Disposition': `attachment; filename="schedule-${record.id}.json"` });
  }

  // ---------------- activities, page by page
  async function activities(req: RpcRequest): Promise<RpcReply> {
    if (!req.user) return unauthorized();
    const query = ActivitiesQuerySchema.safeParse(req.query ?? {});
    if (!query.success) return invalid(zodToDetail(query.error, 'query'));
    const completed = await loadCompleted(req);
    if (!completed.ok) return completed.reply;
    const { offset, limit, line } = query.data;
    const page = await results.activities(completed.record.id, { offset, limit, line });
    if (!page) return detail(409, 'Schedule result is not available');
    return reply(200, { items: page.items, total: page.total, offset, limit });
  }

  // ---------------- validate
  async function validate(req: RpcRequest): Promise<RpcReply> {
    const body = req.body;
    const lotsShape = Array.isArray(body) || (isPlainObject(body) && Array.isArray(body.lots_data));
    if (!lotsShape)
      return invalid([
        {
          loc: ['body'],
          msg: 'body must be {"lots_data": [...]} or an array of lots',
          type: isPlainObject(body) ? 'value_error.missing' : 'type_error',
        },
      ]);
    const errors = new Map<string, string>();
    const add = (loc: readonly (string | number)[], msg: string) => {
      const path = locToPath(loc);
      if (!errors.has(path)) errors.set(path, path ? `${path}: ${msg}` : msg);
    };
    // The engine's messages name the lot, so they win over the schema's for the same field.
    const parsed = ValidateLotsBodySchema.safeParse(body);
    const input = Array.isArray(body) ? { lots_data: body } : (body as Record<string, unknown>);
    const report = validateInput({
      lots_data: input.lots_data,
      config: input.config ?? undefined,
      start_time: input.start_time ?? undefined,
    });
    for (const e of report.errors) add(e.loc, e.msg);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // A union failure carries each branch's issues: report the branch matching the body's shape.
        const branchIssues =
          issue.code === 'invalid_union' ? (issue.errors[Array.isArray(body) ? 1 : 0] ?? []) : [issue];
        for (const bi of branchIssues) {
          const loc = [...issue.path, ...(bi === issue ? [] : bi.path)].filter(
            (p): p is string | number => typeof p !== 'symbol',
          );
          add(Array.isArray(body) ? ['lots_data', ...loc] : loc, bi.message);
        }
      }
    }
    const list = [...errors.values()];
    return reply(200, { valid: list.length === 0, errors: list, warnings: report.warnings });
  }

  const guard =
    (name: ScheduleOp, fn: Handler): Handler =>
    async (req) => {
      try {
        return await fn(req ?? {});
      } catch (err) {
        logger.error({ err, op: name }, 'schedule request failed');
        // 503 e.g. for the id counter's KV bucket while a cluster elects its leader, else 500
        return failureReply(err);
      }
    };

  return {
    handlers: {
      create: guard('create', async (req) => {
        const r = await create(req);
        scheduleCreates.inc({ outcome: createOutcome(r.status) });
        return r;
      }),
      get: guard('get', get),
      list: guard('list', list),
      delete: guard('delete', remove),
      export: guard('export', exportSchedule),
      activities: guard('activities', activities),
      validate: guard('validate', validate),
      strategies: guard('strategies', async () => reply(200, strategiesResponse())),
      replan: guard(
        'replan',
        createReplanHandler({
          ...deps,
          admissions,
          announcer,
          eventSource: EVENT_SOURCE,
          summary: toSummary,
        }),
      ),
      resultExport: guard('resultExport', createResultExportHandler({ schedules, results })),
    },
    handleEvent,
    prepareEvent: createResultPrefetch({ resultFetcher, schedules, results, logger, recentlyStarted }),
  };
}
