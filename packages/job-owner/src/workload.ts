import type { JetStreamManager } from '@nats-io/jetstream';
import { ACTIVE_JOBS_LIMIT, JOBS_STREAM, tooManyJobs, userJobsSubject } from '@fillsched/contracts';

/**
 * How many solve jobs of a user are queued or running in the whole pool, schedules and comparison
 * strategies alike: the messages on the user's subject of the WorkQueue stream (a job's message
 * stays there until its solver acks it at the end). One source for both owners, so a comparison's
 * jobs count toward the same per-user limit as schedules (issue 12 item 3).
 */
export interface UserWorkload {
  activeJobs(userId: number): Promise<number>;
}

export class JetStreamUserWorkload implements UserWorkload {
  private manager?: Promise<JetStreamManager>;

  constructor(private readonly open: () => Promise<JetStreamManager>) {}

  async activeJobs(userId: number): Promise<number> {
    const subject = userJobsSubject(userId);
    this.manager ??= this.open().catch((err: unknown) => {
      this.manager = undefined;
      throw err;
    });
    try {
      const info = await (await this.manager).streams.info(JOBS_STREAM, { subjects_filter: subject });
      return info.state.subjects?.[subject] ?? 0;
    } catch (err) {
      // No jobs stream (yet): no queued jobs; the publish that follows reports the missing stream.
      if (
        (err as { code?: unknown })?.code === 404 ||
        /stream not found/i.test(String((err as Error)?.message))
      )
        return 0;
      throw err;
    }
  }
}

/** In-memory workload for tests: counts set by hand. */
export class MemoryUserWorkload implements UserWorkload {
  readonly counts = new Map<number, number>();
  async activeJobs(userId: number): Promise<number> {
    return this.counts.get(userId) ?? 0;
  }
}

/**
 * The 429 detail when `adding` more jobs would take the user past ACTIVE_JOBS_LIMIT, else null.
 * Checked before anything is stored; when the count cannot be read, nothing is refused. Parallel creates of one user may pass together by a few jobs
 * (the count is read, not reserved), which the limit tolerates.
 */
export async function jobsLimitExceeded(
  workload: UserWorkload | undefined,
  userId: number,
  adding: number,
): Promise<string | null> {
  if (!workload) return null;
  // Fails open: a count JetStream cannot give right now (leader change, timeout) must not turn
  // every create into an error; the per-owner limits still apply and the job publish that follows
  // reports a JetStream that is really gone.
  const active = await workload.activeJobs(userId).catch(() => null);
  if (active === null) return null;
  return active + adding > ACTIVE_JOBS_LIMIT ? tooManyJobs(active, adding) : null;
}
