import {
  LIFECYCLE,
  eventId,
  eventSource,
  lifecycleSubject,
  makeEvent,
  progressSubject,
  type SolverLifecycleStage,
  type StageData,
} from '@fillsched/contracts';
import type { SolveProgress } from '@fillsched/engine';
import type { Logger } from '@fillsched/service-kit';
import type { JobIdentity } from './job-parse';
import type { Clock, EventPublisher } from './ports';

/** What a stage adds to the identity fields every lifecycle event carries. */
type StageExtra<S extends SolverLifecycleStage> = Omit<
  StageData<S>,
  'job_id' | 'owner' | 'strategy' | 'worker' | 'attempt'
>;

export interface LifecyclePublisher {
  /** One stage of a job, typed and named by the LIFECYCLE table; the id makes re-publication a duplicate. */
  publish<S extends SolverLifecycleStage>(
    stage: S,
    ident: JobIdentity,
    attempt: number,
    correlationId: string,
    extra: StageExtra<S>,
    /** NATS headers beside the event (the inline result of `completed`); not part of the event. */
    headers?: Record<string, string>,
  ): Promise<void>;
  /** A progress sender for one attempt (numbers its events); never throws. */
  progress(
    ident: JobIdentity,
    attempt: number,
    correlationId: string,
    log: Logger,
  ): (p: SolveProgress) => Promise<void>;
}

const finiteNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;

export function createLifecyclePublisher(deps: {
  publisher: EventPublisher;
  worker: string;
  clock: Clock;
}): LifecyclePublisher {
  const { publisher, worker, clock } = deps;
  const source = eventSource('solver', worker);
  return {
    async publish(stage, ident, attempt, correlationId, extra, headers) {
      const { type } = LIFECYCLE[stage];
      // Ids derived from the job make re-publication after a crash a duplicate the stream drops;
      // `started` is per delivery, so each attempt is visible.
      const data = {
        job_id: ident.job_id,
        owner: ident.owner,
        strategy: ident.strategy,
        worker,
        attempt,
        ...extra,
      };
      const event = makeEvent({
        type,
        source,
        subject: ident.job_id,
        id: eventId(type, { job_id: ident.job_id, attempt }),
        correlationid: correlationId,
        time: clock.now(),
        data,
      });
      await publisher.publish(lifecycleSubject(ident.owner.kind, ident.owner.id, stage), event, headers);
    },

    progress(ident, attempt, correlationId, log) {
      let seq = 0;
      const { type } = LIFECYCLE.progress;
      return async (p) => {
        const data: StageData<'progress'> = {
          job_id: ident.job_id,
          owner: ident.owner,
          strategy: ident.strategy,
          worker,
          attempt,
          phase: String(p.phase ?? ''),
          percent: Math.max(0, Math.min(100, finiteNumber(p.percent) ?? 0)),
          best_makespan: finiteNumber(p.best_makespan) ?? null,
          lower_bound: finiteNumber(p.lower_bound) ?? null,
          message: String(p.message ?? ''),
        };
        const event = makeEvent({
          type,
          source,
          subject: ident.job_id,
          id: eventId(type, { job_id: ident.job_id, attempt, seq: ++seq }),
          correlationid: correlationId,
          time: clock.now(),
          data,
        });
        try {
          await publisher.publish(progressSubject(ident.owner.kind, ident.owner.id), event);
        } catch (err) {
          log.warn({ err }, 'progress not published');
        }
      };
    },
  };
}
