// Test doubles of the comparison service's ports (used by unit tests only).
import {
  LIFECYCLE,
  type SolverLifecycleStage,
  jobId,
  lifecycleSubject,
  makeEvent,
  type CloudEvent,
  type SolveJob,
} from '@fillsched/contracts';
import type { StrategyId } from '@fillsched/engine';
import type { RpcUser } from '@fillsched/service-kit';
import type { Canceller, ConfigResolver, JobPublisher, ResolveOutcome } from './ports';

export class FakePublisher implements JobPublisher {
  jobs: CloudEvent<SolveJob>[] = [];
  finished: { subject: string; event: CloudEvent }[] = [];
  /** Job publishes with these strategies throw. */
  failJobsFor = new Set<string>();
  failFinished = 0;

  async publishJob(event: CloudEvent<SolveJob>): Promise<{ duplicate: boolean }> {
    if (this.failJobsFor.has(event.data.strategy)) throw new Error('jetstream unavailable');
    // Like the stream's duplicate window: the same event id twice is dropped.
    const duplicate = this.jobs.some((e) => e.id === event.id) || this.seenIds.has(event.id);
    if (!duplicate) this.jobs.push(event);
    return { duplicate };
  }
  /** Event ids the "stream" already holds (e.g. from before a restart of non-durable storage). */
  seenIds = new Set<string>();

  async publishFinished(subject: string, event: CloudEvent): Promise<void> {
    if (this.failFinished > 0) {
      this.failFinished--;
      throw new Error('jetstream unavailable');
    }
    this.finished.push({ subject, event });
  }
}

export class FakeCanceller implements Canceller {
  cancelled: string[] = [];
  fail = false;
  async cancel(id: string): Promise<void> {
    if (this.fail) throw new Error('kv unavailable');
    this.cancelled.push(id);
  }
}

export class FakeResolver implements ConfigResolver {
  calls: { user: RpcUser; req: { config_id: number | null; config: Record<string, unknown> | null } }[] = [];
  outcome: ResolveOutcome | null = null;
  /** Default: no template, the request config as is. */
  async resolve(user: RpcUser, req: { config_id: number | null; config: Record<string, unknown> | null }) {
    this.calls.push({ user, req });
    return this.outcome ?? { kind: 'resolved' as const, config: req.config ?? {}, template_id: null };
  }
}

export const summary = (over: Record<string, unknown> = {}) => ({
  makespan: 100,
  utilization: 0.8,
  changeovers: 2,
  lots_scheduled: 3,
  window_violations: 0,
  kpis: {},
  lower_bound: 90,
  gap: 0.1,
  execution_time: 1,
  activity_count: 7,
  ...over,
});

type Stage = SolverLifecycleStage;
const TYPE = (stage: Stage): string => LIFECYCLE[stage].type;

/** A solver lifecycle event as the solver pool publishes it. */
export function lifecycleEvent(
  stage: Stage,
  comparisonId: number,
  strategy: StrategyId,
  opts: { userId?: number; summary?: Record<string, unknown>; error?: string; time?: Date } = {},
): { subject: string; event: CloudEvent } {
  const job_id = jobId('comparison', comparisonId, strategy);
  const data: Record<string, unknown> = {
    job_id,
    owner: { kind: 'comparison', id: comparisonId, user_id: opts.userId ?? 1 },
    strategy,
    worker: 'w1',
    attempt: 1,
  };
  if (stage === 'completed') data.summary = summary(opts.summary);
  if (stage === 'failed') data.error = { code: 'solver_error', message: opts.error ?? 'boom' };
  return {
    subject: lifecycleSubject('comparison', comparisonId, stage),
    event: makeEvent({
      type: TYPE(stage),
      source: 'fillsched/solver',
      subject: job_id,
      id: `solve.${stage}:${job_id}`,
      time: opts.time,
      data,
    }),
  };
}
