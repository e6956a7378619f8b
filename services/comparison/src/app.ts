import {
  loadOwnedRecord,
  readSolveLifecycleEvent,
  resolveJobConfig,
  solveRequestedEvent,
  jobsLimitExceeded,
  type EventDecision,
  type UserWorkload,
} from '@fillsched/job-owner';
import {
  ComparisonFinishedSchema,
  CreateComparisonBodySchema,
  EVENT_TYPES,
  LIFECYCLE,
  eventId,
  eventSource,
  MESSAGES,
  PageQuerySchema,
  RPC,
  comparisonFinishedSubject,
  jobId as makeJobId,
  makeEvent,
  prefixDetail,
  requestWarnings,
  zodToDetail,
  type ComparisonFinished,
} from '@fillsched/contracts';
import { STRATEGY_IDS, validateConfig, validateInput, type StrategyId } from '@fillsched/engine';
import {
  currentCorrelationId,
  detail,
  reply,
  serviceInstance,
  unauthorized,
  unprocessable as invalid,
  type Logger,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import {
  ENDED_STATUSES,
  UNFINISHED_STATUSES,
  type Canceller,
  type Clock,
  type Comparison,
  type ComparisonRepository,
  type ComparisonStatus,
  type ConfigResolver,
  type JobPublisher,
  type NewComparison,
  type StrategyEntry,
} from './ports';

/** CloudEvents source of this process's events (see docs/events.md, "Sources and ids"). */
export const EVENT_SOURCE = eventSource('comparison', serviceInstance());
export const COMPARISON_ID_SEQUENCE = 'comparisons';
export const DELETED_MESSAGE = 'Comparison deleted successfully';

export type ComparisonOp = keyof typeof RPC.comparison;
export type Handler = (req: RpcRequest) => Promise<RpcReply>;

/** What the lifecycle consumer does with a message once the handler is done. */
export type { EventDecision };

export interface ComparisonAppDeps {
  comparisons: ComparisonRepository;
  ids: { next(collection: string): Promise<number> };
  publisher: JobPublisher;
  canceller: Canceller;
  configResolver: ConfigResolver;
  clock: Clock;
  logger: Logger;
  /** Pool-wide queued + running jobs per user (job-owner JetStreamUserWorkload); absent = no limit. */
  workload?: UserWorkload;
}

export interface ComparisonApp {
  handlers: Record<ComparisonOp, Handler>;
  handleEvent(raw: unknown, meta?: { deliveryCount?: number }): Promise<EventDecision>;
}

// ---------------------------------------------------------------- helpers

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSummary(c: Comparison) {
  return {
    id: c.id,
    name: c.name,
    strategies: c.strategies,
    status: c.status,
    created_at: c.created_at.toISOString(),
    started_at: iso(c.started_at),
    completed_at: iso(c.completed_at),
  };
}

export function resultOut(e: StrategyEntry) {
  return {
    strategy: e.strategy,
    status: e.status,
    makespan: e.makespan,
    utilization: e.utilization,
    changeovers: e.changeovers,
    lots_scheduled: e.lots_scheduled,
    window_violations: e.window_violations,
    execution_time: e.execution_time,
    lower_bound: e.lower_bound,
    gap: e.gap,
    error_message: e.error_message,
  };
}

/** The create reply and GET add what the request had ignored (lists keep the guide's summary shape). */
const withWarnings = (c: Comparison) => ({ ...toSummary(c), warnings: c.warnings });

export function toOut(c: Comparison) {
  return { ...withWarnings(c), best_strategy: c.best_strategy, results: c.results.map(resultOut) };
}

const STRATEGY_ORDER = new Map<string, number>(STRATEGY_IDS.map((s, i) => [s, i]));
const num = (v: number | null) => v ?? Infinity;

/**
 * The documented rule: among completed strategies, the lowest makespan; ties go to fewer window
 * violations, then fewer changeovers, then the shorter execution time, then the strategy id
 * order of the catalogue. Null when none completed.
 */
export function pickBest(results: readonly StrategyEntry[]): StrategyId | null {
  const done = results.filter((r) => r.status === 'completed');
  if (done.length === 0) return null;
  const sorted = [...done].sort(
    (a, b) =>
      num(a.makespan) - num(b.makespan) ||
      num(a.window_violations) - num(b.window_violations) ||
      num(a.changeovers) - num(b.changeovers) ||
      num(a.execution_time) - num(b.execution_time) ||
      (STRATEGY_ORDER.get(a.strategy) ?? 99) - (STRATEGY_ORDER.get(b.strategy) ?? 99),
  );
  return sorted[0].strategy;
}

/** completed if any strategy completed; cancelled if all were cancelled; otherwise failed. */
export function finalStatus(results: readonly StrategyEntry[]): ComparisonStatus {
  if (results.some((r) => r.status === 'completed')) return 'completed';
  if (results.every((r) => r.status === 'cancelled')) return 'cancelled';
  return 'failed';
}

const allEnded = (c: Comparison) => c.results.every((r) => ENDED_STATUSES.includes(r.status));

// ---------------------------------------------------------------- the app

export function createComparisonApp(deps: ComparisonAppDeps): ComparisonApp {
  const { comparisons, ids, publisher, canceller, configResolver, clock, logger } = deps;

  const loadOwned = (req: RpcRequest) =>
    loadOwnedRecord<Comparison>(req, (id) => comparisons.findById(id), MESSAGES.comparisonNotFound);

  /** Publishes `comparison.finished` (deduplicated by its id) and remembers that it was sent. */
  async function publishFinished(c: Comparison): Promise<void> {
    const data: ComparisonFinished = ComparisonFinishedSchema.parse({
      comparison_id: c.id,
      user_id: c.user_id,
      status: c.status,
      best_strategy: c.best_strategy,
      results: c.results.map(resultOut),
    });
    const event = makeEvent({
      type: EVENT_TYPES.comparisonFinished,
      source: EVENT_SOURCE,
      subject: `comparison.${c.id}`,
      id: eventId(EVENT_TYPES.comparisonFinished, { comparison_id: c.id }),
      correlationid: currentCorrelationId(),
      time: c.completed_at ?? clock.now(),
      data,
    });
    await publisher.publishFinished(comparisonFinishedSubject(c.id), event);
    await comparisons.markFinishedPublished(c.id);
    logger.info(
      { comparison_id: c.id, status: c.status, best_strategy: c.best_strategy },
      'comparison finished',
    );
  }

  /**
   * Re-reads after an entry changed: when every entry has ended, exactly one caller wins the
   * conditional `finish` and publishes. A finished comparison whose event is not marked as sent
   * (crash in between) is published again; the stream drops the duplicate by event id.
   */
  async function settle(id: number): Promise<Comparison | null> {
    const c = await comparisons.findById(id);
    if (!c) return null;
    if (c.status === 'pending' || c.status === 'running') {
      if (!allEnded(c)) return c;
      const done = await comparisons.finish(id, {
        status: finalStatus(c.results),
        best_strategy: pickBest(c.results),
        completed_at: clock.now(),
      });
      if (done) {
        await publishFinished(done);
        return done;
      }
      return comparisons.findById(id);
    }
    if (!c.finished_published) await publishFinished(c);
    return c;
  }

  // ---------------- create
  async function create(req: RpcRequest): Promise<RpcReply> {
    const user = req.user;
    if (!user) return unauthorized();
    const raw = req.body ?? {};
    const parsed = CreateComparisonBodySchema.safeParse(raw);
    if (!parsed.success) return invalid(zodToDetail(parsed.error, 'body'));
    const body = parsed.data;
    const requestConfig = body.config ?? null;

    // Domain checks on the request alone first: precise errors without a round trip.
    const check = validateInput({
      lots_data: body.lots_data,
      config: requestConfig ?? undefined,
      start_time: body.start_time ?? undefined,
    });
    if (!check.valid) return invalid(prefixDetail(check.errors, 'body'));

    const resolved = await resolveJobConfig({ configResolver, logger }, user, body, 'comparing');
    if (resolved.kind === 'reply') return resolved.reply;
    const { config, template_id: templateId } = resolved;
    if (config !== requestConfig) {
      // The template's keys take part now: validate the merged config with the lots again.
      const merged = validateInput({
        lots_data: body.lots_data,
        config,
        start_time: body.start_time ?? undefined,
      });
      if (!merged.valid) return invalid(prefixDetail(merged.errors, 'body'));
    }
    // Unknown fields are accepted (zod dropped them) but reported and kept with the run.
    const warnings = requestWarnings(CreateComparisonBodySchema, raw, validateConfig(config).warnings);

    // Every strategy is a job that counts toward the user's limit, like a schedule.
    const overLimit = await jobsLimitExceeded(deps.workload, user.id, body.strategies.length);
    if (overLimit) return detail(429, overLimit);

    const id = await ids.next(COMPARISON_ID_SEQUENCE);
    const now = clock.now();
    const record: NewComparison = {
      id,
      user_id: user.id,
      name: body.name,
      strategies: body.strategies,
      status: 'pending',
      config,
      config_template_id: templateId,
      lots_data: body.lots_data as Record<string, unknown>[],
      start_time: body.start_time ?? null,
      seed: body.seed ?? null,
      time_limit_s: body.time_limit_s ?? null,
      results: body.strategies.map((strategy) => ({
        strategy,
        job_id: makeJobId('comparison', id, strategy),
        status: 'pending',
        makespan: null,
        utilization: null,
        changeovers: null,
        lots_scheduled: null,
        window_violations: null,
        execution_time: null,
        lower_bound: null,
        gap: null,
        error_message: null,
      })),
      best_strategy: null,
      created_at: now,
      started_at: null,
      completed_at: null,
      finished_published: false,
      warnings,
    };
    await comparisons.insert(record);

    // One job per strategy on the shared work queue, so idle solver workers take them in parallel.
    let enqueued = 0;
    for (const entry of record.results) {
      const event = solveRequestedEvent({
        source: EVENT_SOURCE,
        job_id: entry.job_id,
        owner: { kind: 'comparison', id, user_id: user.id },
        strategy: entry.strategy,
        input: { lots_data: body.lots_data, config, start_time: body.start_time },
        seed: body.seed,
        time_limit_s: body.time_limit_s,
        time: now,
      });
      let failure: string | null = null;
      try {
        const { duplicate } = await publisher.publishJob(event);
        // The stream dropped it as a duplicate: nothing would ever run this entry.
        if (duplicate) {
          failure = `Could not enqueue the job: job id ${entry.job_id} was already used (storage restarted?)`;
          logger.error({ comparison_id: id, job_id: entry.job_id }, 'solve.requested dropped as a duplicate');
        } else enqueued++;
      } catch (err) {
        failure = `Could not enqueue the job: ${(err as Error)?.message ?? String(err)}`;
        logger.error({ err, comparison_id: id, job_id: entry.job_id }, 'publishing solve.requested failed');
      }
      if (failure !== null)
        await comparisons.updateEntry(id, entry.strategy, ['pending'], {
          status: 'failed',
          error_message: failure,
        });
    }
    if (enqueued === 0) {
      // Nothing will ever run: the comparison fails now rather than staying pending forever.
      await settle(id).catch((err: unknown) =>
        logger.error({ err, comparison_id: id }, 'could not finish the unenqueued comparison'),
      );
      return detail(503, 'Could not enqueue the comparison jobs');
    }
    logger.info(
      { comparison_id: id, strategies: body.strategies, enqueued, lots: body.lots_data.length, warnings },
      'comparison created',
    );
    return reply(202, withWarnings(record));
  }

  // ---------------- get / list / delete
  async function get(req: RpcRequest): Promise<RpcReply> {
    const owned = await loadOwned(req);
    if (!owned.ok) return owned.reply;
    return reply(200, toOut(owned.record));
  }

  /**
   * Internal (`RPC.comparison.resultExport`, the events-bridge NATS identity only: no user): a
   * completed comparison as GET shows it, for the Kafka results topic. 404 unknown, 409 not completed.
   */
  async function resultExport(req: RpcRequest): Promise<RpcReply> {
    const id = Number(req.params?.id);
    if (!Number.isInteger(id) || id <= 0)
      return invalid([
        { loc: ['path', 'id'], msg: 'a positive integer comparison id', type: 'type_error.integer' },
      ]);
    const c = await comparisons.findById(id);
    if (!c) return detail(404, MESSAGES.comparisonNotFound);
    if (c.status !== 'completed') return detail(409, `Comparison is not completed (status: ${c.status})`);
    return reply(200, toOut(c));
  }

  async function list(req: RpcRequest): Promise<RpcReply> {
    const user = req.user;
    if (!user) return unauthorized();
    const q = PageQuerySchema.safeParse(req.query ?? {});
    if (!q.success) return invalid(zodToDetail(q.error, 'query'));
    const { page, page_size } = q.data;
    const { items, total } = await comparisons.list(
      user.is_superuser ? null : user.id,
      (page - 1) * page_size,
      page_size,
    );
    return reply(200, { comparisons: items.map(toSummary), total, page, page_size });
  }

  async function remove(req: RpcRequest): Promise<RpcReply> {
    const owned = await loadOwned(req);
    if (!owned.ok) return owned.reply;
    const c = owned.record;
    // Cancel before deleting: if cancelling fails the client can retry the delete.
    for (const entry of c.results) {
      if (!UNFINISHED_STATUSES.includes(entry.status)) continue;
      try {
        await canceller.cancel(entry.job_id);
      } catch (err) {
        logger.error(
          { err, comparison_id: c.id, job_id: entry.job_id },
          'cancelling a comparison job failed',
        );
        return detail(503, MESSAGES.serviceUnavailable('solver'));
      }
    }
    await comparisons.delete(c.id);
    logger.info({ comparison_id: c.id }, 'comparison deleted');
    return reply(200, { message: DELETED_MESSAGE });
  }

  // ---------------- lifecycle events
  async function handleEvent(raw: unknown, meta: { deliveryCount?: number } = {}): Promise<EventDecision> {
    const read = readSolveLifecycleEvent(raw, 'comparison');
    if (read.kind === 'settled') return read.decision;
    const { event: ev } = read;
    const { owner, strategy, job_id } = read.data;

    const c = await comparisons.findById(owner.id);
    if (!c) return { action: 'ack', note: 'comparison gone' };
    const entry = c.results.find((r) => r.strategy === strategy);
    if (!entry || entry.job_id !== job_id) return { action: 'ack', note: 'not a job of this comparison' };

    const eventTime = new Date(ev.time);
    const at = Number.isNaN(eventTime.getTime()) ? clock.now() : eventTime;
    // Any solver event means the comparison has started (events may arrive out of order).
    await comparisons.markStarted(c.id, at);

    // One case per solver stage of the LIFECYCLE table: an unknown type never reaches here
    // (the reader acks it as unknown), so nothing is taken for `cancelled` by default.
    const lc = read.lifecycle;
    const target = LIFECYCLE[lc.stage].ownerStatus;
    let applied: boolean;
    switch (lc.stage) {
      case 'started':
        applied = await comparisons.updateEntry(c.id, strategy, ['pending'], { status: target });
        break;
      case 'completed': {
        const s = lc.data.summary;
        applied = await comparisons.updateEntry(c.id, strategy, UNFINISHED_STATUSES, {
          status: target,
          makespan: s.makespan,
          utilization: s.utilization,
          changeovers: s.changeovers,
          lots_scheduled: s.lots_scheduled,
          window_violations: s.window_violations,
          execution_time: s.execution_time,
          lower_bound: s.lower_bound,
          gap: s.gap,
          error_message: null,
        });
        break;
      }
      case 'failed':
        applied = await comparisons.updateEntry(c.id, strategy, UNFINISHED_STATUSES, {
          status: target,
          error_message: lc.data.error.message,
        });
        break;
      case 'cancelled':
        applied = await comparisons.updateEntry(c.id, strategy, UNFINISHED_STATUSES, { status: target });
        break;
    }

    await settle(c.id);
    logger.debug(
      { comparison_id: c.id, strategy, type: ev.type, applied, delivery: meta.deliveryCount ?? 1 },
      'lifecycle event handled',
    );
    return { action: 'ack', note: applied ? 'applied' : 'no change' };
  }

  return {
    handlers: { create, get, list, delete: remove, resultExport },
    handleEvent,
  };
}
