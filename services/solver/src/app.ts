import {
  CancelRequestSchema,
  CloudEventSchema,
  EVENT_TYPES,
  JobOwnerSchema,
  ResultPageRequestSchema,
  SOLVER_CONSUMER_SPEC,
  SolveJobSchema,
  StrategyIdSchema,
  eventId,
  eventSource,
  lifecycleSubject,
  makeEvent,
  progressSubject,
  zodToDetail,
  type JobOwner,
  type LifecycleStage,
  type ResultSummary,
  type SolveJob,
} from '@fillsched/contracts';
import { attachReplan, type SolveOutput, type SolveProgress, type StrategyId } from '@fillsched/engine';
import {
  CORRELATION_HEADER,
  correlationIdFrom,
  tryDecodeJson,
  withCorrelation,
  type Logger,
  type RpcReply,
  type RpcRequest,
  bindTraceContext,
  inSpan,
  SpanKind,
  traceContextFrom,
} from '@fillsched/service-kit';
import type { z } from 'zod';
import { systemClock } from './adapters/memory';
import { jobsInFlight, jobsProcessed, solveDuration } from './metrics';
import type {
  CancellationRegistry,
  Clock,
  Engine,
  EventPublisher,
  JobMessage,
  ResultPage,
  ResultStore,
} from './ports';
import { ProgressThrottle } from './progress-throttle';

export const RESULT_NOT_FOUND = 'Result not found';
/** Headers on the dead-letter copy of a job message. */
export const DLQ_HEADERS = {
  reason: 'Fillsched-Dead-Letter-Reason',
  subject: 'Fillsched-Original-Subject',
  deliveries: 'Fillsched-Deliveries',
  jobId: 'Fillsched-Job-Id',
} as const;

export type JobOutcome =
  | 'completed' // solved, stored, announced, acked
  | 'republished' // redelivery of a job whose result was already stored: `completed` sent again
  | 'failed' // the engine failed: `failed` published, acked
  | 'cancelled' // cancelled before or while solving: `cancelled` published, nothing stored, acked
  | 'poison' // unparseable/invalid: `failed` + dead letter + term
  | 'dead_lettered' // infrastructure failures on the last allowed delivery: `failed` + dead letter + term
  | 'requeued' // transient infrastructure failure: nak with backoff
  | 'released'; // shutdown: nak'ed at once so another worker takes it

export interface SolverWorkerPorts {
  store: ResultStore;
  publisher: EventPublisher;
  cancellations: CancellationRegistry;
  engine: Engine;
  logger: Logger;
  clock?: Clock;
}

export interface SolverWorkerOptions {
  /** Name of this worker in events (`worker`) and logs. */
  instance?: string;
  /** The consumer's max_deliver: the delivery after which a failing job is dead-lettered. */
  maxDeliver?: number;
  defaultTimeLimitS?: number;
  maxTimeLimitS?: number;
  /** msg.working() period; must stay well below the consumer's ack_wait. */
  workingIntervalMs?: number;
  /** Minimum spacing of progress events (250 ms = at most 4 per second). */
  progressIntervalMs?: number;
  /** A solve still running this long after its time limit is aborted and fails. */
  watchdogMs?: (timeLimitS: number) => number;
  /** nak delay after a transient failure on the given delivery. */
  retryDelayMs?: (deliveryCount: number) => number;
}

interface JobIdentity {
  job_id: string;
  owner: JobOwner;
  strategy: StrategyId;
}

type AbortReason = 'cancel' | 'shutdown' | 'watchdog';
interface Run {
  jobId: string;
  controller: AbortController;
  reason: AbortReason | null;
  done: Promise<void>;
}

export interface SolverWorker {
  /** Processes one JetStream job message to its end (ack, nak or term); never throws. */
  handleJob(msg: JobMessage): Promise<JobOutcome>;
  /** Aborts a job running here; returns how many runs were aborted. */
  cancel(jobId: string): number;
  /** A message of CANCEL_SUBJECT (`{job_id}`); anything else is ignored. */
  handleCancelMessage(data: Uint8Array): void;
  /** RPC.solver.result: one page of a stored result. */
  resultPage(req: RpcRequest): Promise<RpcReply>;
  runningJobs(): string[];
  isStopping(): boolean;
  /** Stops taking jobs; running ones get graceMs to finish, then are aborted and nak'ed. */
  stop(graceMs: number): Promise<void>;
}

function summarizeZod(error: z.ZodError): string {
  const parts = error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
  if (error.issues.length > 5) parts.push(`and ${error.issues.length - 5} more`);
  return parts.join('; ');
}

/** Whatever can be read of a job that failed to parse, so its owner can still be told. */
function partialIdentity(raw: unknown): JobIdentity | null {
  const data = (raw as { data?: Record<string, unknown> } | null)?.data;
  if (!data || typeof data !== 'object') return null;
  const jobId = SolveJobSchema.shape.job_id.safeParse(data.job_id);
  const owner = JobOwnerSchema.safeParse(data.owner);
  const strategy = StrategyIdSchema.safeParse(data.strategy);
  // The failed event's schema needs a valid strategy; without one only the dead letter records it.
  if (!jobId.success || !owner.success || !strategy.success) return null;
  return { job_id: jobId.data, owner: owner.data, strategy: strategy.data };
}

function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function summaryOfOutput(out: SolveOutput): ResultSummary {
  const r = out.result;
  return {
    makespan: r.makespan,
    utilization: r.utilization,
    changeovers: r.changeovers,
    lots_scheduled: r.lots_scheduled,
    window_violations: r.window_violations,
    kpis: r.kpis,
    lower_bound: out.lower_bound,
    gap: out.gap,
    execution_time: out.execution_time,
    activity_count: r.activities.length,
  };
}

function summaryOfPage(p: ResultPage): ResultSummary {
  const r = p.result;
  return {
    makespan: r.makespan,
    utilization: r.utilization,
    changeovers: r.changeovers,
    lots_scheduled: r.lots_scheduled,
    window_violations: r.window_violations,
    kpis: r.kpis,
    lower_bound: p.lower_bound,
    gap: p.gap,
    execution_time: p.execution_time,
    activity_count: p.total_activities,
  };
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createSolverWorker(
  ports: SolverWorkerPorts,
  options: SolverWorkerOptions = {},
): SolverWorker {
  const { store, publisher, cancellations, engine, logger } = ports;
  const clock = ports.clock ?? systemClock;
  const worker = options.instance ?? 'solver';
  const source = eventSource('solver', worker);
  const maxDeliver = options.maxDeliver ?? SOLVER_CONSUMER_SPEC.max_deliver;
  const defaultTimeLimitS = options.defaultTimeLimitS ?? 30;
  const maxTimeLimitS = options.maxTimeLimitS ?? 300;
  const workingIntervalMs = options.workingIntervalMs ?? 10_000;
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const watchdogMs = options.watchdogMs ?? ((s: number) => s * 2000 + 60_000);
  const retryDelayMs =
    options.retryDelayMs ?? ((n: number) => Math.min(1000 * 2 ** Math.max(0, n - 1), 30_000));

  const runs = new Set<Run>();
  let stopping = false;

  const publishLifecycle = async (
    stage: Exclude<LifecycleStage, 'requested'>,
    ident: JobIdentity,
    attempt: number,
    correlationId: string,
    extra: Record<string, unknown> = {},
  ): Promise<void> => {
    const type = {
      started: EVENT_TYPES.solveStarted,
      completed: EVENT_TYPES.solveCompleted,
      failed: EVENT_TYPES.solveFailed,
      cancelled: EVENT_TYPES.solveCancelled,
    }[stage];
    // Ids derived from the job make re-publication after a crash a duplicate the stream drops;
    // `started` is per delivery, so each attempt is visible.
    const id = eventId(type, { job_id: ident.job_id, attempt });
    const event = makeEvent({
      type,
      source,
      subject: ident.job_id,
      id,
      correlationid: correlationId,
      time: clock.now(),
      data: { job_id: ident.job_id, owner: ident.owner, strategy: ident.strategy, worker, attempt, ...extra },
    });
    await publisher.publish(lifecycleSubject(ident.owner.kind, ident.owner.id, stage), event);
  };

  const ack = async (msg: JobMessage, log: Logger) => {
    try {
      await msg.ack();
    } catch (err) {
      // Everything is stored and announced; a lost ack means a redelivery that only re-publishes.
      log.warn({ err }, 'ack not confirmed');
    }
  };

  const safely = (what: string, log: Logger, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.warn({ err }, `${what} failed`);
    }
  };

  const deadLetter = async (msg: JobMessage, jobId: string | undefined, reason: string) => {
    const headers: Record<string, string> = {
      [DLQ_HEADERS.reason]: reason.slice(0, 1024).replace(/[\r\n]+/g, ' '),
      [DLQ_HEADERS.subject]: msg.subject,
      [DLQ_HEADERS.deliveries]: String(msg.info.deliveryCount),
    };
    if (jobId) headers[DLQ_HEADERS.jobId] = jobId;
    const seq = msg.info.streamSequence;
    const msgId = `dlq:${seq ?? jobId ?? 'unknown'}:${msg.info.deliveryCount}`;
    await publisher.deadLetter({ data: msg.data, headers, msgId });
  };

  /** Unparseable or invalid: tell the owner (if known), keep a copy, and never redeliver. */
  const rejectPoison = async (
    msg: JobMessage,
    ident: JobIdentity | null,
    reason: string,
    correlationId: string,
    log: Logger,
  ): Promise<JobOutcome> => {
    log.warn({ reason, deliveries: msg.info.deliveryCount }, 'poison job: failed + dead letter');
    try {
      if (ident)
        await publishLifecycle('failed', ident, msg.info.deliveryCount, correlationId, {
          error: { code: 'VALIDATION_ERROR', message: reason },
        });
      await deadLetter(msg, ident?.job_id, reason);
    } catch (err) {
      if (msg.info.deliveryCount < maxDeliver) {
        log.warn({ err }, 'could not record the poison job; retrying later');
        safely('nak', log, () => msg.nak(retryDelayMs(msg.info.deliveryCount)));
        return 'requeued';
      }
      log.error({ err }, 'could not record the poison job on its last delivery; terminating it anyway');
    }
    safely('term', log, () => msg.term(reason.slice(0, 256)));
    return 'poison';
  };

  /** Store or NATS trouble: retry with backoff, or give up on the last delivery. */
  const transientFailure = async (
    msg: JobMessage,
    ident: JobIdentity,
    err: unknown,
    correlationId: string,
    log: Logger,
  ): Promise<JobOutcome> => {
    const deliveries = msg.info.deliveryCount;
    if (deliveries < maxDeliver) {
      const delay = retryDelayMs(deliveries);
      log.warn({ err, deliveries, retry_in_ms: delay }, 'transient failure; job will be redelivered');
      safely('nak', log, () => msg.nak(delay));
      return 'requeued';
    }
    const reason = `gave up after ${deliveries} deliveries: ${errorMessage(err)}`;
    log.error({ err, deliveries }, 'job failed on its last delivery: failed + dead letter');
    try {
      await publishLifecycle('failed', ident, deliveries, correlationId, {
        error: { code: 'INTERNAL_ERROR', message: reason },
      });
    } catch (pubErr) {
      log.error({ err: pubErr }, 'could not publish failed');
    }
    try {
      await deadLetter(msg, ident.job_id, reason);
    } catch (dlqErr) {
      log.error({ err: dlqErr }, 'could not dead-letter the job');
    }
    safely('term', log, () => msg.term(reason.slice(0, 256)));
    return 'dead_lettered';
  };

  const register = (jobId: string): { run: Run; finish: () => void } => {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const run: Run = { jobId, controller: new AbortController(), reason: null, done };
    runs.add(run);
    return {
      run,
      finish: () => {
        runs.delete(run);
        finish();
      },
    };
  };

  const abortRun = (run: Run, reason: AbortReason) => {
    if (run.reason === null) run.reason = reason;
    run.controller.abort(new Error(`job ${reason}`));
  };

  const processJob = async (msg: JobMessage, headerCid: string | undefined): Promise<JobOutcome> => {
    const attempt = msg.info.deliveryCount;
    const decoded = tryDecodeJson(msg.data);
    let reason: string | null = null;
    let job: SolveJob | null = null;
    let eventCid: string | undefined;
    if (!decoded.ok) reason = `job payload is not JSON: ${decoded.error.message}`;
    else {
      const envelope = CloudEventSchema.safeParse(decoded.value);
      if (!envelope.success) reason = `job is not a CloudEvent: ${summarizeZod(envelope.error)}`;
      else {
        eventCid = envelope.data.correlationid;
        if (envelope.data.type !== EVENT_TYPES.solveRequested)
          reason = `unexpected event type ${envelope.data.type} (expected ${EVENT_TYPES.solveRequested})`;
        else {
          const parsed = SolveJobSchema.safeParse(envelope.data.data);
          if (!parsed.success) reason = `invalid solve job: ${summarizeZod(parsed.error)}`;
          else job = parsed.data;
        }
      }
    }
    const correlationId = correlationIdFrom(eventCid ?? headerCid);

    return withCorrelation(correlationId, async () => {
      const ident: JobIdentity | null = job
        ? { job_id: job.job_id, owner: job.owner, strategy: job.strategy }
        : partialIdentity(decoded.ok ? decoded.value : null);
      const log = logger.child({ job_id: ident?.job_id, attempt });
      if (!job || reason) return rejectPoison(msg, ident, reason ?? 'invalid job', correlationId, log);
      const id = ident!;

      let normalized: ReturnType<Engine['normalize']>;
      try {
        // a replan job carries its parent's frozen prefix: the engine keeps it (attachReplan checks it)
        normalized = attachReplan(
          engine.normalize({
            lots_data: job.input.lots_data,
            config: job.input.config,
            start_time: job.input.start_time ?? undefined,
          }),
          job.input.replan,
        );
      } catch (err) {
        normalized = {
          ok: false,
          errors: [{ loc: [], msg: errorMessage(err), type: 'value_error' }],
          warnings: [],
        };
      }
      if (!normalized.ok) {
        const shown = normalized.errors
          .slice(0, 10)
          .map((e) => (e.loc.length ? `${e.loc.join('.')}: ${e.msg}` : e.msg));
        if (normalized.errors.length > 10) shown.push(`and ${normalized.errors.length - 10} more`);
        return rejectPoison(msg, id, `invalid input: ${shown.join('; ')}`, correlationId, log);
      }
      const instance = normalized.instance;

      // Registered before the KV lookup, so a cancel broadcast arriving meanwhile is not lost.
      const { run, finish } = register(job.job_id);
      try {
        if (run.reason === 'cancel' || (await cancellations.isCancelled(job.job_id))) {
          await publishLifecycle('cancelled', id, attempt, correlationId);
          await ack(msg, log);
          log.info('job was cancelled before it started; skipped');
          return 'cancelled';
        }

        const existing = await store.findPage(job.job_id, 0, 0);
        if (existing) {
          // A crash between store and ack: the work is done, announce it again (same event id).
          await publishLifecycle('completed', id, attempt, correlationId, {
            summary: summaryOfPage(existing),
          });
          await ack(msg, log);
          log.info('result already stored; completed re-published without solving');
          return 'republished';
        }

        if (stopping || run.reason === 'shutdown') {
          safely('nak', log, () => msg.nak());
          log.info('shutting down: job released before it started');
          return 'released';
        }

        await publishLifecycle('started', id, attempt, correlationId);
        const configLimit = finiteNumber(job.input.config.time_limit_s);
        const requested =
          job.time_limit_s ?? (configLimit && configLimit > 0 ? configLimit : defaultTimeLimitS);
        const timeLimitS = Math.min(requested, maxTimeLimitS);
        const configSeed = finiteNumber(job.input.config.seed);
        const seed =
          job.seed ?? (configSeed !== undefined && Number.isInteger(configSeed) ? configSeed : undefined);
        log.info(
          { strategy: job.strategy, lots: instance.lots.length, time_limit_s: timeLimitS, seed },
          'solving',
        );

        let seq = 0;
        const progress = new ProgressThrottle<SolveProgress>(progressIntervalMs, async (p) => {
          const data = {
            job_id: id.job_id,
            owner: id.owner,
            strategy: id.strategy,
            worker,
            attempt,
            phase: String(p.phase ?? ''),
            percent: Math.max(0, Math.min(100, finiteNumber(p.percent) ?? 0)),
            best_makespan: finiteNumber(p.best_makespan) ?? null,
            lower_bound: finiteNumber(p.lower_bound) ?? null,
            message: String(p.message ?? ''),
          };
          const event = makeEvent({
            type: EVENT_TYPES.solveProgress,
            source,
            subject: id.job_id,
            id: eventId(EVENT_TYPES.solveProgress, { job_id: id.job_id, attempt, seq: ++seq }),
            correlationid: correlationId,
            time: clock.now(),
            data,
          });
          try {
            await publisher.publish(progressSubject(id.owner.kind, id.owner.id), event);
          } catch (err) {
            log.warn({ err }, 'progress not published');
          }
        });

        const t0 = performance.now();
        const watchdog = setTimeout(() => abortRun(run, 'watchdog'), watchdogMs(timeLimitS));
        let output: SolveOutput | undefined;
        let engineError: unknown;
        try {
          const solveAttrs = { 'solver.strategy': id.strategy, 'solver.lots': instance.lots.length };
          output = await inSpan('solve', { attributes: solveAttrs }, () =>
            engine.solve(instance, {
              strategy: job.strategy,
              seed,
              timeLimitS,
              signal: run.controller.signal,
              // Engine messages arrive on the thread's listener: re-enter this job's log and trace context.
              onProgress: bindTraceContext((p) => withCorrelation(correlationId, () => progress.push(p))),
            }),
          );
        } catch (err) {
          engineError = err;
        } finally {
          clearTimeout(watchdog);
        }
        const seconds = (performance.now() - t0) / 1000;

        // Read through a call: the await above may have changed it (TS would keep the old narrowing).
        const abortReason = (): AbortReason | null => run.reason;
        if (abortReason() === 'cancel' || abortReason() === 'shutdown') {
          await progress.discard();
          solveDuration.observe(
            { strategy: id.strategy, outcome: abortReason() === 'cancel' ? 'cancelled' : 'released' },
            seconds,
          );
          if (abortReason() === 'shutdown') {
            safely('nak', log, () => msg.nak());
            log.info({ seconds }, 'shutting down: running job released for another worker');
            return 'released';
          }
          await publishLifecycle('cancelled', id, attempt, correlationId);
          await ack(msg, log);
          log.info({ seconds }, 'job cancelled while solving; nothing stored');
          return 'cancelled';
        }

        if (!output) {
          await progress.flush();
          solveDuration.observe({ strategy: id.strategy, outcome: 'failed' }, seconds);
          const message =
            abortReason() === 'watchdog'
              ? `engine did not finish within ${Math.round(watchdogMs(timeLimitS) / 1000)} s (time limit ${timeLimitS} s)`
              : errorMessage(engineError);
          log.error({ err: engineError, seconds }, 'engine failed');
          await publishLifecycle('failed', id, attempt, correlationId, {
            error: { code: 'ENGINE_ERROR', message },
          });
          await ack(msg, log);
          return 'failed';
        }

        await progress.flush();
        solveDuration.observe({ strategy: id.strategy, outcome: 'completed' }, seconds);
        if (abortReason() === 'cancel') {
          // Cancelled after the engine returned but before anything was stored: still nothing stored.
          await publishLifecycle('cancelled', id, attempt, correlationId);
          await ack(msg, log);
          log.info({ seconds }, 'job cancelled after solving; result discarded');
          return 'cancelled';
        }
        const { created } = await store.save({
          job_id: id.job_id,
          owner: id.owner,
          strategy: id.strategy,
          result: output.result,
          lower_bound: output.lower_bound,
          gap: output.gap,
          execution_time: output.execution_time,
          created_at: clock.now(),
        });
        await publishLifecycle('completed', id, attempt, correlationId, { summary: summaryOfOutput(output) });
        await ack(msg, log);
        log.info(
          { seconds, makespan: output.result.makespan, activities: output.result.activities.length, created },
          'job completed',
        );
        return 'completed';
      } catch (err) {
        return transientFailure(msg, id, err, correlationId, log);
      } finally {
        finish();
      }
    });
  };

  return {
    async handleJob(msg) {
      jobsInFlight.inc();
      const headerCid = msg.headers?.get(CORRELATION_HEADER) || undefined;
      const heartbeat = setInterval(() => {
        try {
          msg.working();
        } catch (err) {
          logger.warn({ err }, 'working() failed');
        }
      }, workingIntervalMs);
      try {
        let outcome: JobOutcome;
        if (stopping) {
          msg.nak();
          outcome = 'released';
        } else {
          // One CONSUMER span per delivery, continuing the trace of the request that published the job.
          const spanOpts = {
            kind: SpanKind.CONSUMER,
            parent: traceContextFrom(msg.headers),
            attributes: {
              'messaging.destination.name': msg.subject,
              'messaging.delivery_count': msg.info.deliveryCount,
            },
          };
          outcome = await inSpan(`process ${msg.subject}`, spanOpts, async (span) => {
            const result = await processJob(msg, headerCid);
            span.setAttribute('solver.outcome', result);
            return result;
          });
        }
        jobsProcessed.inc({ outcome });
        return outcome;
      } catch (err) {
        // Last resort: a bug above must not crash the worker or strand the message.
        logger.error({ err }, 'job handler failed unexpectedly');
        try {
          msg.nak(retryDelayMs(msg.info.deliveryCount));
        } catch {
          /* the redelivery after ack_wait covers it */
        }
        jobsProcessed.inc({ outcome: 'requeued' });
        return 'requeued';
      } finally {
        clearInterval(heartbeat);
        jobsInFlight.dec();
      }
    },

    cancel(jobId) {
      let n = 0;
      for (const run of runs) {
        if (run.jobId !== jobId) continue;
        abortRun(run, 'cancel');
        n++;
      }
      if (n) logger.info({ job_id: jobId }, 'cancel received for a running job');
      return n;
    },

    handleCancelMessage(data) {
      const decoded = tryDecodeJson(data);
      const parsed = decoded.ok ? CancelRequestSchema.safeParse(decoded.value) : null;
      if (!parsed?.success) {
        logger.warn('ignoring malformed cancel message');
        return;
      }
      this.cancel(parsed.data.job_id);
    },

    async resultPage(req) {
      const parsed = ResultPageRequestSchema.safeParse(req.body ?? {});
      if (!parsed.success) return { status: 422, body: { detail: zodToDetail(parsed.error, 'body') } };
      const { job_id, offset, limit } = parsed.data;
      const page = await store.findPage(job_id, offset, limit);
      if (!page) return { status: 404, body: { detail: RESULT_NOT_FOUND } };
      return {
        status: 200,
        body: {
          job_id: page.job_id,
          strategy: page.strategy,
          created_at: page.created_at.toISOString(),
          result: {
            ...page.result,
            lower_bound: page.lower_bound,
            gap: page.gap,
            execution_time: page.execution_time,
          },
          activities: page.activities,
          total_activities: page.total_activities,
          offset,
          limit,
        },
      };
    },

    runningJobs: () => [...runs].map((r) => r.jobId),
    isStopping: () => stopping,

    async stop(graceMs) {
      stopping = true;
      const pending = [...runs];
      if (pending.length === 0) return;
      logger.info({ jobs: pending.map((r) => r.jobId), grace_ms: graceMs }, 'waiting for running jobs');
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.all(pending.map((r) => r.done)).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (finished) return;
      for (const run of runs) abortRun(run, 'shutdown');
      await Promise.all(pending.map((r) => r.done));
    },
  };
}
