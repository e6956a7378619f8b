import {
  CancelRequestSchema,
  ResultChunkRequestSchema,
  SOLVER_CONSUMER_SPEC,
  toChunks,
  zodToDetail,
} from '@fillsched/contracts';
import { attachReplan, type SolveOutput, type SolveProgress } from '@fillsched/engine';
import {
  CORRELATION_HEADER,
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
import { systemClock } from './adapters/memory';
import { parseJobMessage } from './job-parse';
import { announceStored, handOver } from './hand-over';
import { createLifecyclePublisher } from './lifecycle-publisher';
import { jobsInFlight, jobsProcessed, solveDuration } from './metrics';
import { ack, createOutcomes, errorMessage, safely, type JobOutcome } from './outcomes';
import type { CancellationRegistry, Clock, Engine, EventPublisher, JobMessage, ResultStore } from './ports';
import { ProgressThrottle } from './progress-throttle';
import { resultDocumentOf } from './result-document';
import { RunRegistry, type AbortReason } from './runs';

export { DLQ_HEADERS, type JobOutcome } from './outcomes';
export const RESULT_NOT_FOUND = 'Result not found';
export const RESULT_CHUNK_NOT_FOUND = 'Result chunk not found';

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

export interface SolverWorker {
  /** Processes one JetStream job message to its end (ack, nak or term); never throws. */
  handleJob(msg: JobMessage): Promise<JobOutcome>;
  /** Aborts a job running here; returns how many runs were aborted. */
  cancel(jobId: string): number;
  /** A message of CANCEL_SUBJECT (`{job_id}`); anything else is ignored. */
  handleCancelMessage(data: Uint8Array): void;
  /**
   * A job whose deliveries are exhausted without an outcome (every worker that took it died): told
   * to its owner as `failed`, copied to the dead-letter stream, and removed (via `msg.term`).
   */
  handleExhausted(msg: JobMessage): Promise<JobOutcome>;
  /** RPC.solver.result: one chunk of a stored result, as stored (the owner stores it as it is). */
  resultChunk(req: RpcRequest): Promise<RpcReply>;
  runningJobs(): string[];
  isStopping(): boolean;
  /** Stops taking jobs; running ones get graceMs to finish, then are aborted and nak'ed. */
  stop(graceMs: number): Promise<void>;
}

function finiteNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function createSolverWorker(
  ports: SolverWorkerPorts,
  options: SolverWorkerOptions = {},
): SolverWorker {
  const { store, publisher, cancellations, engine, logger } = ports;
  const clock = ports.clock ?? systemClock;
  const worker = options.instance ?? 'solver';
  const maxDeliver = options.maxDeliver ?? SOLVER_CONSUMER_SPEC.max_deliver;
  const defaultTimeLimitS = options.defaultTimeLimitS ?? 30;
  const maxTimeLimitS = options.maxTimeLimitS ?? 300;
  const workingIntervalMs = options.workingIntervalMs ?? 10_000;
  const progressIntervalMs = options.progressIntervalMs ?? 250;
  const watchdogMs = options.watchdogMs ?? ((s: number) => s * 2000 + 60_000);
  const retryDelayMs =
    options.retryDelayMs ?? ((n: number) => Math.min(1000 * 2 ** Math.max(0, n - 1), 30_000));

  const runs = new RunRegistry();
  let stopping = false;
  const lifecycle = createLifecyclePublisher({ publisher, worker, clock });
  const outcomes = createOutcomes({ publisher, lifecycle, maxDeliver, retryDelayMs });

  const processJob = async (msg: JobMessage, headerCid: string | undefined): Promise<JobOutcome> => {
    const attempt = msg.info.deliveryCount;
    const parsed = parseJobMessage(msg.data, headerCid);
    const { correlationId } = parsed;

    return withCorrelation(correlationId, async () => {
      const log = logger.child({ job_id: parsed.ident?.job_id, attempt });
      if (!parsed.ok) return outcomes.rejectPoison(msg, parsed.ident, parsed.reason, correlationId, log);
      const { job, ident: id } = parsed;

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
        return outcomes.rejectPoison(msg, id, `invalid input: ${shown.join('; ')}`, correlationId, log);
      }
      const instance = normalized.instance;

      // Registered before the KV lookup, so a cancel broadcast arriving meanwhile is not lost.
      const { run, finish } = runs.register(job.job_id);
      try {
        // Both reads at once: they are independent, and every job waits for them before it starts.
        const [cancelled, existing] = await Promise.all([
          run.reason === 'cancel' || cancellations.isCancelled(job.job_id),
          store.chunk(job.job_id, 0),
        ]);
        if (run.reason === 'cancel' || cancelled) {
          await lifecycle.publish('cancelled', id, attempt, correlationId, {});
          await ack(msg, log);
          log.info('job was cancelled before it started; skipped');
          return 'cancelled';
        }

        if (existing?.summary) {
          // A crash between store and ack: the work is done, announce it again (same event id).
          await announceStored(
            lifecycle,
            { ident: id, attempt, correlationId },
            { ...existing, summary: existing.summary },
          );
          await ack(msg, log);
          log.info('result already stored; completed re-published without solving');
          return 'republished';
        }

        if (stopping || run.reason === 'shutdown') {
          safely('nak', log, () => msg.nak());
          log.info('shutting down: job released before it started');
          return 'released';
        }

        // Published while the engine runs (not before it starts): awaited below before any later
        // stage, so `started` still precedes the outcome on the stream, and a failed publish still
        // fails the attempt (nak) as before.
        const startedPublished = lifecycle.publish('started', id, attempt, correlationId, {});
        startedPublished.catch(() => undefined); // handled where it is awaited
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

        const progress = new ProgressThrottle<SolveProgress>(
          progressIntervalMs,
          lifecycle.progress(id, attempt, correlationId, log),
        );

        const t0 = performance.now();
        const watchdog = setTimeout(() => runs.abort(run, 'watchdog'), watchdogMs(timeLimitS));
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
        await startedPublished;

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
          await lifecycle.publish('cancelled', id, attempt, correlationId, {});
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
          await lifecycle.publish('failed', id, attempt, correlationId, {
            error: { code: 'ENGINE_ERROR', message },
          });
          await ack(msg, log);
          return 'failed';
        }

        // The last progress goes out before `completed` (handed to the connection first), but its
        // confirmation is awaited beside the hand-over instead of before it: one round trip less
        // between the engine's end and `completed`.
        const lastProgress = progress.handOff();
        solveDuration.observe({ strategy: id.strategy, outcome: 'completed' }, seconds);
        if (abortReason() === 'cancel') {
          // Cancelled after the engine returned but before anything was stored: still nothing stored.
          await lastProgress.done;
          await lifecycle.publish('cancelled', id, attempt, correlationId, {});
          await ack(msg, log);
          log.info({ seconds }, 'job cancelled after solving; result discarded');
          return 'cancelled';
        }
        const doc = resultDocumentOf(output);
        await lastProgress.issued;
        // Both settle before the ack or nak (`done` never rejects: a progress failure is only logged).
        const [handed] = await Promise.allSettled([
          handOver(
            { store, lifecycle },
            {
              ident: id,
              attempt,
              correlationId,
              meta: { job_id: id.job_id, owner: id.owner, strategy: id.strategy, created_at: clock.now() },
            },
            toChunks(doc),
          ),
          lastProgress.done,
        ]);
        if (handed.status === 'rejected') throw handed.reason;
        const { created, inline } = handed.value;
        await ack(msg, log);
        log.info(
          {
            seconds,
            makespan: output.result.makespan,
            activities: output.result.activities.length,
            created,
            inline,
          },
          'job completed',
        );
        return 'completed';
      } catch (err) {
        return outcomes.transientFailure(msg, id, err, correlationId, log);
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

    async handleExhausted(msg) {
      const parsed = parseJobMessage(msg.data, msg.headers?.get(CORRELATION_HEADER) || undefined);
      const { correlationId } = parsed;
      return withCorrelation(correlationId, async () => {
        const log = logger.child({ job_id: parsed.ident?.job_id, deliveries: msg.info.deliveryCount });
        if (!parsed.ok) return outcomes.rejectPoison(msg, parsed.ident, parsed.reason, correlationId, log);
        const died = new Error(
          'every worker that took the job stopped before finishing it (crashed or killed); the job was not retried again',
        );
        // Seen as its last delivery, whatever the count the server reported.
        const last: JobMessage = {
          data: msg.data,
          subject: msg.subject,
          headers: msg.headers,
          info: { ...msg.info, deliveryCount: Math.max(maxDeliver, msg.info.deliveryCount) },
          ack: () => msg.ack(),
          nak: (delayMs) => msg.nak(delayMs),
          term: (reason) => msg.term(reason),
          working: () => msg.working(),
        };
        const outcome = await outcomes.transientFailure(last, parsed.ident, died, correlationId, log);
        jobsProcessed.inc({ outcome });
        return outcome;
      });
    },

    cancel(jobId) {
      const n = runs.cancel(jobId);
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

    async resultChunk(req) {
      const parsed = ResultChunkRequestSchema.safeParse(req.body ?? {});
      if (!parsed.success) return { status: 422, body: { detail: zodToDetail(parsed.error, 'body') } };
      const { job_id, index } = parsed.data;
      const chunk = await store.chunk(job_id, index);
      if (chunk) return { status: 200, body: { job_id, chunk } };
      const known = index > 0 && (await store.chunk(job_id, 0)) !== null;
      return { status: 404, body: { detail: known ? RESULT_CHUNK_NOT_FOUND : RESULT_NOT_FOUND } };
    },

    runningJobs: () => runs.jobIds(),
    isStopping: () => stopping,

    async stop(graceMs) {
      stopping = true;
      await runs.drain(graceMs, (jobs) =>
        logger.info({ jobs, grace_ms: graceMs }, 'waiting for running jobs'),
      );
    },
  };
}
