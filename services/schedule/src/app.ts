import {
  loadOwnedRecord,
  readSolveLifecycleEvent,
  resolveJobConfig,
  solveRequestedEvent,
  jobsLimitExceeded,
  type EventDecision,
  type UserWorkload,
} from '@fillsched/job-owner';
import type { z } from 'zod';
import {
  ActivitiesQuerySchema,
  CreateScheduleBodySchema,
  EVENT_TYPES,
  eventSource,
  ExportQuerySchema,
  MESSAGES,
  ScheduleGetQuerySchema,
  ScheduleListQuerySchema,
  SolveCompletedSchema,
  SolveFailedSchema,
  ValidateLotsBodySchema,
  jobId as makeJobId,
  prefixDetail,
  requestWarnings,
  strategiesResponse,
  zodToDetail,
  type ErrorDetailItem,
  type ScheduleOut,
  type ScheduleSummary,
} from '@fillsched/contracts';
import { parseLotsCsv, validateInput } from '@fillsched/engine';
import {
  failureReply,
  serviceInstance,
  type Logger,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import { activitiesToCsv } from './export-csv';
import { scheduleCreates } from './metrics';
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
  type StoredResult,
} from './ports';

/** At most this many pending + running schedules per user; the next create is refused with 429. */
export const ACTIVE_SCHEDULE_LIMIT = 10;
export const TOO_MANY_SCHEDULES = `Too many concurrent schedules: at most ${ACTIVE_SCHEDULE_LIMIT} may be pending or running per user`;
/** Collection name handed to the IdAllocator. */
export const SCHEDULE_ID_SEQUENCE = 'schedules';
/** CloudEvents source of this process's events (see docs/events.md, "Sources and ids"). */
export const EVENT_SOURCE = eventSource('schedule', serviceInstance());
/** A `completed` whose result the solver pool does not know is retried this often before failing the schedule. */
export const RESULT_NOT_FOUND_ATTEMPTS = 5;

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
}

export type ScheduleOp =
  'create' | 'get' | 'list' | 'delete' | 'export' | 'activities' | 'validate' | 'strategies';
export type Handler = (req: RpcRequest) => Promise<RpcReply>;

/** What the lifecycle consumer does with a message once the handler is done. */
export type { EventDecision };

export interface ScheduleApp {
  handlers: Record<ScheduleOp, Handler>;
  handleEvent(raw: unknown, meta?: { deliveryCount?: number }): Promise<EventDecision>;
}

// ---------------------------------------------------------------- reply helpers

const reply = (status: number, body: unknown, headers?: Record<string, string>): RpcReply =>
  headers ? { status, body, headers } : { status, body };
const detail = (status: number, message: string): RpcReply => reply(status, { detail: message });
const invalid = (items: ErrorDetailItem[]): RpcReply => reply(422, { detail: items });
const unauthorized = (): RpcReply => detail(401, MESSAGES.credentials);

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSummary(r: ScheduleRecord): ScheduleSummary {
  return {
    id: r.id,
    name: r.name,
    strategy: r.strategy,
    status: r.status,
    created_at: r.created_at.toISOString(),
    started_at: iso(r.started_at),
    completed_at: iso(r.completed_at),
    error_message: r.error_message,
  };
}

/** The create reply and GET add what the request had ignored (lists keep the guide's summary shape). */
const withWarnings = (r: ScheduleRecord): ScheduleSummary => ({ ...toSummary(r), warnings: r.warnings });

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

// ---------------------------------------------------------------- CSV upload

/** The engine's CSV errors carry their position either as `loc` or as row/column fields. */
function csvIssueToDetail(issue: unknown): ErrorDetailItem {
  const o = (isPlainObject(issue) ? issue : {}) as {
    loc?: unknown;
    row?: unknown;
    column?: unknown;
    msg?: unknown;
    message?: unknown;
    type?: unknown;
  };
  let tail: (string | number)[] = [];
  if (Array.isArray(o.loc))
    tail = o.loc.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  else {
    if (typeof o.row === 'number' || typeof o.row === 'string') tail.push(o.row);
    if (typeof o.column === 'number' || typeof o.column === 'string') tail.push(o.column);
  }
  // The engine reports ['csv', line, column]; the REST layer names the upload 'file'.
  if (tail[0] === 'csv' || tail[0] === 'file') tail = tail.slice(1);
  const msg = typeof o.msg === 'string' ? o.msg : typeof o.message === 'string' ? o.message : String(issue);
  return {
    loc: ['body', 'file', ...tail],
    msg,
    type: typeof o.type === 'string' ? o.type : 'value_error.csv',
  };
}

const NUMERIC = /^\s*[+-]?\d+(\.\d+)?\s*$/;

/**
 * A multipart upload arrives as `lots_csv` text plus form fields, all strings: parse the CSV into
 * lots_data, `config` from JSON text, and numeric fields into numbers, then validate like JSON.
 */
function fromCsvUpload(
  body: Record<string, unknown>,
): { ok: true; body: Record<string, unknown> } | { ok: false; reply: RpcReply } {
  const { lots_csv: csv, filename, ...rest } = body;
  if (typeof csv !== 'string')
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: 'the uploaded file must be CSV text', type: 'type_error.str' },
      ]),
    };
  if (rest.lots_data !== undefined)
    return {
      ok: false,
      reply: invalid([
        {
          loc: ['body', 'file'],
          msg: 'send either lots_data (JSON) or a CSV file, not both',
          type: 'value_error',
        },
      ]),
    };
  for (const key of Object.keys(rest)) if (rest[key] === '') delete rest[key];
  if (typeof rest.config === 'string') {
    try {
      rest.config = JSON.parse(rest.config) as unknown;
    } catch (err) {
      return {
        ok: false,
        reply: invalid([
          {
            loc: ['body', 'config'],
            msg: `config must be a JSON object: ${(err as Error).message}`,
            type: 'value_error.jsondecode',
          },
        ]),
      };
    }
  }
  for (const key of ['config_id', 'seed', 'time_limit_s']) {
    const v = rest[key];
    if (typeof v === 'string' && NUMERIC.test(v)) rest[key] = Number(v);
  }
  if (rest.name === undefined && typeof filename === 'string' && filename.trim()) rest.name = filename.trim();

  let parsed: { lots: unknown[]; errors: unknown[] };
  try {
    parsed = parseLotsCsv(csv) as unknown as { lots: unknown[]; errors: unknown[] };
  } catch (err) {
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: `unreadable CSV: ${(err as Error).message}`, type: 'value_error.csv' },
      ]),
    };
  }
  if (parsed.errors.length > 0) return { ok: false, reply: invalid(parsed.errors.map(csvIssueToDetail)) };
  if (parsed.lots.length === 0)
    return {
      ok: false,
      reply: invalid([
        { loc: ['body', 'file'], msg: 'the CSV file contains no lots', type: 'value_error.list.min_items' },
      ]),
    };
  return { ok: true, body: { ...rest, lots_data: parsed.lots } };
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

  const loadOwned = (req: RpcRequest) =>
    loadOwnedRecord<ScheduleRecord>(req, (id) => schedules.get(id), MESSAGES.scheduleNotFound);

  /**
   * The schedule with its result. Without activities only the stored summary is read, and
   * `activity_count` tells the client how many it can page through.
   */
  async function scheduleOut(record: ScheduleRecord, includeActivities = true): Promise<ScheduleOut> {
    let result: unknown = null;
    if (record.status === 'completed')
      result = includeActivities ? await results.get(record.id) : await results.summary(record.id);
    return { ...withWarnings(record), result: (result as ScheduleOut['result']) ?? null };
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

  // ---------------- create
  async function create(req: RpcRequest): Promise<RpcReply> {
    const user = req.user;
    if (!user) return unauthorized();
    let raw = req.body;
    if (isPlainObject(raw) && 'lots_csv' in raw) {
      const converted = fromCsvUpload(raw);
      if (!converted.ok) return converted.reply;
      raw = converted.body;
    }
    const parsed = CreateScheduleBodySchema.safeParse(raw);
    if (!parsed.success) return invalid(zodToDetail(parsed.error, 'body'));
    const body = parsed.data;

    // Resolve first, validate after: a template may make lots valid (lines, windows) that the
    // request's config alone would reject, or invalid (min_batch_size).
    // Always ask: without config_id the user's default template (if any) applies under the request's keys.
    const resolved = await resolveJobConfig({ configResolver, logger }, user, body, 'scheduling');
    if (resolved.kind === 'reply') return resolved.reply;
    const { config, template_id: templateId } = resolved;
    // Unknown fields are accepted (zod dropped them) but reported and kept with the run.
    const warnings = requestWarnings(CreateScheduleBodySchema, raw, config);

    const check = validateInput({
      lots_data: body.lots_data,
      config,
      start_time: body.start_time ?? undefined,
    });
    if (!check.valid) return invalid(prefixDetail(check.errors, 'body'));

    if ((await schedules.countActive(user.id)) >= ACTIVE_SCHEDULE_LIMIT)
      return detail(429, TOO_MANY_SCHEDULES);
    const overLimit = await jobsLimitExceeded(deps.workload, user.id, 1); // comparisons' jobs count too
    if (overLimit) return detail(429, overLimit);

    const id = await ids.next(SCHEDULE_ID_SEQUENCE);
    const job_id = makeJobId('schedule', id);
    const record: ScheduleRecord = {
      id,
      user_id: user.id,
      name: body.name,
      strategy: body.strategy,
      status: 'pending',
      config,
      config_template_id: templateId,
      lots_data: body.lots_data as Record<string, unknown>[],
      start_time: body.start_time ?? null,
      seed: body.seed ?? null,
      time_limit_s: body.time_limit_s ?? null,
      job_id,
      created_at: clock.now(),
      started_at: null,
      completed_at: null,
      error_message: null,
      warnings,
    };
    await schedules.create(record);
    // Re-count after inserting, counting only schedules allocated before this one: two replicas
    // racing past the first check cannot both admit the 11th.
    if ((await schedules.countActive(user.id, { maxId: id })) > ACTIVE_SCHEDULE_LIMIT) {
      await schedules.delete(id);
      return detail(429, TOO_MANY_SCHEDULES);
    }

    const event = solveRequestedEvent({
      source: EVENT_SOURCE,
      job_id,
      owner: { kind: 'schedule', id, user_id: user.id },
      strategy: body.strategy,
      input: { lots_data: body.lots_data, config, start_time: body.start_time },
      seed: body.seed,
      time_limit_s: body.time_limit_s,
      time: record.created_at,
    });
    try {
      await publisher.publish(event);
    } catch (err) {
      const message = `Could not enqueue the schedule: ${(err as Error)?.message ?? String(err)}`;
      logger.error({ err, schedule_id: id }, 'publishing solve.requested failed');
      await schedules
        .transition(id, { to: 'failed', error_message: message, completed_at: clock.now() })
        .catch((e: unknown) =>
          logger.error({ err: e, schedule_id: id }, 'could not mark the schedule failed'),
        );
      return detail(503, message);
    }
    logger.info(
      { schedule_id: id, job_id, strategy: body.strategy, lots: body.lots_data.length, warnings },
      'schedule created',
    );
    return reply(202, withWarnings(record));
  }

  // ---------------- get / list
  async function get(req: RpcRequest): Promise<RpcReply> {
    const query = ScheduleGetQuerySchema.safeParse(req.query ?? {});
    if (!query.success) return invalid(zodToDetail(query.error, 'query'));
    const owned = await loadOwned(req);
    if (!owned.ok) return owned.reply;
    return reply(200, await scheduleOut(owned.record, query.data.include_activities));
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
    logger.info({ schedule_id: record.id, status: record.status }, 'schedule deleted');
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
      return reply(200, activitiesToCsv((out.result as StoredResult).activities), {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="schedule-${record.id}.csv"`,
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

  // ---------------- lifecycle events
  const backoff = (deliveryCount: number) => Math.min(1000 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

  async function handleEvent(raw: unknown, meta: { deliveryCount?: number } = {}): Promise<EventDecision> {
    const deliveryCount = meta.deliveryCount ?? 1;
    const read = readSolveLifecycleEvent(raw, 'schedule');
    if (read.kind === 'settled') return read.decision;
    const { event: ev, data: d } = read;

    try {
      const record = await schedules.get(d.owner.id);
      if (!record) {
        // Deleted while the solver ran: nothing to update; make sure no result is left behind.
        await results.delete(d.owner.id);
        return { action: 'ack', note: 'schedule deleted' };
      }
      if (record.job_id !== d.job_id) return { action: 'ack', note: 'job id does not match the schedule' };
      const evTime = Date.parse(ev.time);
      const at = new Date(
        Number.isFinite(evTime) ? Math.max(evTime, record.created_at.getTime()) : clock.now().getTime(),
      );

      switch (ev.type) {
        case EVENT_TYPES.solveStarted: {
          const moved = await schedules.transition(record.id, { to: 'running', started_at: at });
          return { action: 'ack', note: moved ? 'running' : `stays ${record.status}` };
        }
        case EVENT_TYPES.solveFailed: {
          const message = (d as z.infer<typeof SolveFailedSchema>).error.message;
          const moved = await schedules.transition(record.id, {
            to: 'failed',
            error_message: message,
            completed_at: at,
            ...(record.started_at ? {} : { started_at: at }),
          });
          return { action: 'ack', note: moved ? 'failed' : `stays ${record.status}` };
        }
        case EVENT_TYPES.solveCancelled: {
          const moved = await schedules.transition(record.id, { to: 'cancelled', completed_at: at });
          return { action: 'ack', note: moved ? 'cancelled' : `stays ${record.status}` };
        }
        default:
          break;
      }

      // completed
      if (!ACTIVE_STATUSES.includes(record.status))
        return { action: 'ack', note: `already ${record.status}` };
      const summary = (d as z.infer<typeof SolveCompletedSchema>).summary;
      const fetched = await resultFetcher.fetch(record.job_id);
      if (fetched.kind === 'unavailable')
        return { action: 'nak', delayMs: backoff(deliveryCount), reason: `result fetch: ${fetched.reason}` };
      if (fetched.kind === 'not_found') {
        if (deliveryCount < RESULT_NOT_FOUND_ATTEMPTS)
          return { action: 'nak', delayMs: backoff(deliveryCount), reason: 'result not found yet' };
        await schedules.transition(record.id, {
          to: 'failed',
          error_message: 'The solver reported completion but its result could not be found',
          completed_at: at,
        });
        return { action: 'ack', note: 'failed: result not found' };
      }
      const r = fetched.result;
      const kpis = isPlainObject(r.kpis) ? r.kpis : {};
      const num = (...vals: unknown[]) => vals.find((v): v is number => typeof v === 'number') ?? null;
      const stored: StoredResult = {
        ...r,
        lower_bound: num(r.lower_bound, summary.lower_bound, kpis.lower_bound),
        gap: num(r.gap, summary.gap, kpis.gap),
        execution_time: num(r.execution_time, summary.execution_time),
        per_line: Array.isArray(r.per_line) ? r.per_line : [],
      };
      await results.upsert(record.id, stored);
      const moved = await schedules.transition(record.id, {
        to: 'completed',
        completed_at: at,
        error_message: null,
        ...(record.started_at ? {} : { started_at: at }),
      });
      if (!moved && !(await schedules.get(record.id))) {
        // Deleted while we fetched: the result we just stored would be an orphan.
        await results.delete(record.id);
        return { action: 'ack', note: 'schedule deleted' };
      }
      return { action: 'ack', note: moved ? 'completed' : 'status moved meanwhile' };
    } catch (err) {
      logger.warn({ err, event_id: ev.id }, 'lifecycle event processing failed; will retry');
      return {
        action: 'nak',
        delayMs: backoff(deliveryCount),
        reason: (err as Error)?.message ?? String(err),
      };
    }
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
    },
    handleEvent,
  };
}
