import { readSolveLifecycleEvent, type EventDecision, type EventHeaders } from '@fillsched/job-owner';
import {
  LIFECYCLE,
  RESULT_INLINE_HEADER,
  jobId as makeJobId,
  readInlineResult,
  SCHEDULE_STATUS_EVENTS,
  eventId,
  makeEvent,
  ownerStatusSubject,
  type AnnouncedScheduleStatus,
  type ResultSummary,
  type ScheduleStatusEvent,
} from '@fillsched/contracts';
import { currentCorrelationId, type Logger } from '@fillsched/service-kit';
import {
  ACTIVE_STATUSES,
  type Clock,
  type JobPublisher,
  type FetchOutcome,
  type ResultFetcher,
  type ResultRepository,
  type ScheduleRecord,
  type ScheduleRepository,
} from './ports';
import type { RecentlyStarted } from './recently-started';

/** A `completed` whose result the solver pool does not know is retried this often before failing the schedule. */
export const RESULT_NOT_FOUND_ATTEMPTS = 5;

/** What the schedule service tells its clients: a status its store already shows. */
export interface Announcer {
  announce(
    record: ScheduleRecord,
    extra?: { summary?: ResultSummary | null; error_code?: string | null },
  ): Promise<void>;
}

const isAnnounced = (status: string): status is AnnouncedScheduleStatus => status in SCHEDULE_STATUS_EVENTS;

/**
 * Publishes `com.fillsched.schedule.<status>` for a stored record (deduplicated by schedule id and
 * status): called only after the store shows that status, so a client reacting to it reads it.
 */
export function createAnnouncer(deps: { publisher: JobPublisher; clock: Clock; source: string }): Announcer {
  return {
    async announce(record, extra = {}) {
      const status = record.status;
      if (!isAnnounced(status)) return;
      const type = SCHEDULE_STATUS_EVENTS[status];
      const data: ScheduleStatusEvent = {
        schedule_id: record.id,
        user_id: record.user_id,
        job_id: record.job_id,
        status,
        started_at: record.started_at?.toISOString() ?? null,
        completed_at: record.completed_at?.toISOString() ?? null,
        error_message: record.error_message,
        error_code: status === 'failed' ? (extra.error_code ?? null) : null,
        summary: status === 'completed' ? (extra.summary ?? null) : null,
      };
      const event = makeEvent({
        type,
        source: deps.source,
        subject: record.job_id,
        id: eventId(type, { schedule_id: record.id }),
        correlationid: currentCorrelationId(),
        time: record.completed_at ?? record.started_at ?? deps.clock.now(),
        data,
      });
      await deps.publisher.announce(ownerStatusSubject('schedule', record.id, status), event);
    },
  };
}

/**
 * The result of a `completed` event: the one that rode with the event (RESULT_INLINE_HEADER, a
 * small result: no request at all), else fetched from the solver pool chunk by chunk. An inline
 * header that is not one whole document is logged and the result fetched instead.
 */
export function takeOverResult(
  resultFetcher: ResultFetcher,
  jobId: string,
  headers: EventHeaders | undefined,
  logger?: Logger,
): Promise<FetchOutcome> {
  const inline = readInlineResult(headers?.get(RESULT_INLINE_HEADER));
  if (inline.kind === 'ok') return Promise.resolve({ kind: 'ok', chunks: inline.chunks });
  if (inline.kind === 'invalid')
    logger?.warn(
      { job_id: jobId, reason: inline.reason },
      'inline result unusable; fetching it from the solver',
    );
  return resultFetcher.fetch(jobId).catch((err: unknown): FetchOutcome => ({
    kind: 'unavailable',
    reason: (err as Error)?.message ?? String(err),
  }));
}

/**
 * The result of a `completed` event, taken over as soon as the event arrives rather than after the
 * events before it (its `started`) have been applied, and — when its schedule is still pending or
 * running — already stored (`staged`). Stored chunks change nothing a client sees: every reader
 * reads a result only once the status says `completed`. The status change and the announcement
 * still happen in order when the event's turn comes, after the chunks are stored.
 */
export class PrefetchedResult {
  constructor(
    readonly jobId: string,
    readonly outcome: Promise<FetchOutcome>,
    /** The schedule as read before its chunks were stored; null when nothing was stored. */
    readonly staged: Promise<ScheduleRecord | null> = Promise.resolve(null),
  ) {}
}

/** Starts the result take-over (and storing) of a `completed` schedule event; null for any other event. */
export function createResultPrefetch(deps: {
  resultFetcher: ResultFetcher;
  schedules: ScheduleRepository;
  results: ResultRepository;
  logger?: Logger;
  /** Schedules this process just moved to running: their `completed` needs no read first. */
  recentlyStarted?: RecentlyStarted;
}): (raw: unknown, headers?: EventHeaders) => PrefetchedResult | null {
  const { resultFetcher, schedules, results, logger, recentlyStarted } = deps;
  return (raw, headers) => {
    const read = readSolveLifecycleEvent(raw, 'schedule');
    if (read.kind !== 'event' || read.stage !== 'completed') return null;
    const { job_id: jobId, owner } = read.data;
    const outcome = takeOverResult(resultFetcher, jobId, headers, logger);
    const staged = outcome
      .then(async (fetched) => {
        if (fetched.kind !== 'ok') return null;
        const record = recentlyStarted?.take(owner.id, jobId) ?? (await schedules.get(owner.id));
        // Only for a schedule this job still runs for: a finished one keeps the result it has.
        if (!record || record.job_id !== jobId || !ACTIVE_STATUSES.includes(record.status)) return null;
        await results.upsert(record.id, fetched.chunks);
        return record;
      })
      .catch((err: unknown) => {
        logger?.warn({ err, job_id: jobId }, 'result not stored ahead; storing it in the event turn');
        return null;
      });
    return new PrefetchedResult(jobId, outcome, staged);
  };
}

export interface LifecycleDeps {
  schedules: ScheduleRepository;
  results: ResultRepository;
  resultFetcher: ResultFetcher;
  announcer: Announcer;
  clock: Clock;
  logger: Logger;
  /** Told of every schedule this handler moves to running, and of every one that left it. */
  recentlyStarted?: RecentlyStarted;
}

const backoff = (deliveryCount: number) => Math.min(1000 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

/**
 * Applies the solver's lifecycle events to schedules (stage → status from the LIFECYCLE table),
 * then announces the status the store shows. A redelivered event whose status is already stored
 * announces again (same event id, dropped by the stream as a duplicate), so a crash between
 * storing and announcing loses nothing.
 */
export function createLifecycleHandler(
  deps: LifecycleDeps,
): (
  raw: unknown,
  meta?: { deliveryCount?: number; prepared?: unknown; headers?: EventHeaders },
) => Promise<EventDecision> {
  const { schedules, results, resultFetcher, announcer, clock, logger, recentlyStarted } = deps;

  /** Takes the result over (inline or from the solver pool) and stores its chunks, then marks the schedule completed. */
  async function complete(
    record: ScheduleRecord,
    at: Date,
    deliveryCount: number,
    prefetched: unknown,
    headers: EventHeaders | undefined,
  ): Promise<{ decision: EventDecision } | { moved: ScheduleRecord | null }> {
    const fetched =
      prefetched instanceof PrefetchedResult && prefetched.jobId === record.job_id
        ? await prefetched.outcome
        : await takeOverResult(resultFetcher, record.job_id, headers, logger);
    if (fetched.kind === 'unavailable')
      return {
        decision: {
          action: 'nak',
          delayMs: backoff(deliveryCount),
          reason: `result fetch: ${fetched.reason}`,
        },
      };
    if (fetched.kind === 'not_found') {
      if (deliveryCount < RESULT_NOT_FOUND_ATTEMPTS)
        return {
          decision: { action: 'nak', delayMs: backoff(deliveryCount), reason: 'result not found yet' },
        };
      const failed = await schedules.transition(record.id, {
        to: 'failed',
        error_message: 'The solver reported completion but its result could not be found',
        completed_at: at,
      });
      if (failed) await announcer.announce(failed, { error_code: 'RESULT_NOT_FOUND' });
      return { decision: { action: 'ack', note: 'failed: result not found' } };
    }
    // The solver's chunks, stored as they are: the one result document, not a reshaped copy.
    await results.upsert(record.id, fetched.chunks);
    const moved = await schedules.transition(record.id, {
      to: LIFECYCLE.completed.ownerStatus,
      completed_at: at,
      error_message: null,
      ...(record.started_at ? {} : { started_at: at }),
    });
    if (!moved && !(await schedules.get(record.id))) {
      // Deleted while we fetched: the result we just stored would be an orphan.
      await results.delete(record.id);
      return { decision: { action: 'ack', note: 'schedule deleted' } };
    }
    return { moved };
  }

  /** When the event was (not before its schedule was created: clocks differ between hosts). */
  const eventTime = (time: string, record: ScheduleRecord): Date => {
    const evTime = Date.parse(time);
    return new Date(
      Number.isFinite(evTime) ? Math.max(evTime, record.created_at.getTime()) : clock.now().getTime(),
    );
  };

  /**
   * `completed` whose chunks were stored on arrival (PrefetchedResult.staged): only the status
   * change is left, then the announcement. Null when the schedule did not move (deleted, or
   * finished meanwhile): the general path then sorts it out.
   */
  async function completeStaged(staged: ScheduleRecord, time: string): Promise<ScheduleRecord | null> {
    const at = eventTime(time, staged);
    const moved = await schedules.transition(staged.id, {
      to: LIFECYCLE.completed.ownerStatus,
      completed_at: at,
      error_message: null,
    });
    if (!moved || moved.started_at) return moved;
    // No `started` was applied (read before it, or never came): it started when it completed.
    return (
      (await schedules.transition(staged.id, { to: 'completed', from: ['completed'], started_at: at })) ??
      moved
    );
  }

  /**
   * `started` of a pending schedule in one write, without reading it first: the transition is
   * conditional (pending → running) and the job id is the schedule's by construction. A completed
   * of a fast job waits for its started to be applied, so this read was on the way to `complete`.
   * Null when it did not move (missing, already running or finished, an unreadable time): the
   * general path then reads the schedule and sorts it out.
   */
  async function startPending(jobIdOf: string, scheduleId: number, time: string) {
    const evTime = Date.parse(time);
    if (jobIdOf !== makeJobId('schedule', scheduleId) || !Number.isFinite(evTime)) return null;
    const moved = await schedules.transition(scheduleId, {
      to: LIFECYCLE.started.ownerStatus,
      started_at: new Date(evTime),
    });
    if (!moved || !moved.started_at || moved.started_at >= moved.created_at) return moved;
    // Clock skew (an event time before the schedule's creation): clamped as the general path does.
    return (
      (await schedules.transition(scheduleId, {
        to: 'running',
        from: ['running'],
        started_at: moved.created_at,
      })) ?? moved
    );
  }

  return async function handleEvent(raw, meta = {}) {
    const deliveryCount = meta.deliveryCount ?? 1;
    const read = readSolveLifecycleEvent(raw, 'schedule');
    if (read.kind === 'settled') return read.decision;
    const { event: ev, lifecycle: lc } = read;
    const d = lc.data;
    const target = LIFECYCLE[lc.stage].ownerStatus;
    // An outcome (applied now or by an earlier delivery) ends the schedule's running.
    if (lc.stage !== 'started') recentlyStarted?.forget(d.owner.id);

    try {
      if (lc.stage === 'started') {
        const moved = await startPending(d.job_id, d.owner.id, ev.time);
        if (moved) {
          recentlyStarted?.remember(moved);
          await announcer.announce(moved);
          return { action: 'ack', note: target };
        }
      }
      if (
        lc.stage === 'completed' &&
        meta.prepared instanceof PrefetchedResult &&
        meta.prepared.jobId === d.job_id
      ) {
        const staged = await meta.prepared.staged;
        const moved = staged && (await completeStaged(staged, ev.time));
        if (moved) {
          await announcer.announce(moved, { summary: lc.data.summary });
          return { action: 'ack', note: target };
        }
      }
      const record = await schedules.get(d.owner.id);
      if (!record) {
        // Deleted while the solver ran: nothing to update; make sure no result is left behind.
        await results.delete(d.owner.id);
        return { action: 'ack', note: 'schedule deleted' };
      }
      if (record.job_id !== d.job_id) return { action: 'ack', note: 'job id does not match the schedule' };
      const at = eventTime(ev.time, record);

      let moved: ScheduleRecord | null;
      let extra: { summary?: ResultSummary; error_code?: string } = {};
      switch (lc.stage) {
        case 'started':
          moved = await schedules.transition(record.id, { to: target, started_at: at });
          if (moved) recentlyStarted?.remember(moved);
          break;
        case 'failed':
          extra = { error_code: lc.data.error.code };
          moved = await schedules.transition(record.id, {
            to: target,
            error_message: lc.data.error.message,
            completed_at: at,
            ...(record.started_at ? {} : { started_at: at }),
          });
          break;
        case 'cancelled':
          moved = await schedules.transition(record.id, { to: target, completed_at: at });
          break;
        case 'completed': {
          extra = { summary: lc.data.summary };
          if (!ACTIVE_STATUSES.includes(record.status)) {
            moved = null;
            break;
          }
          const done = await complete(record, at, deliveryCount, meta.prepared, meta.headers);
          if ('decision' in done) return done.decision;
          moved = done.moved;
          break;
        }
      }

      // Announce what the store now shows for this stage, whether moved now or by an earlier delivery.
      const current = moved ?? (await schedules.get(record.id));
      if (current && current.status === target) await announcer.announce(current, extra);
      return { action: 'ack', note: moved ? target : `already ${current?.status ?? 'deleted'}` };
    } catch (err) {
      logger.warn({ err, event_id: ev.id }, 'lifecycle event processing failed; will retry');
      return {
        action: 'nak',
        delayMs: backoff(deliveryCount),
        reason: (err as Error)?.message ?? String(err),
      };
    }
  };
}
