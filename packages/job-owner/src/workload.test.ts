import { ACTIVE_JOBS_LIMIT } from '@fillsched/contracts';
import { MemoryUserWorkload, jobsLimitExceeded, type UserWorkload } from './workload';

describe('jobsLimitExceeded: the per-user limit over schedules and comparison strategies', () => {
  it('refuses what would take the user past the limit, naming the count', async () => {
    const workload = new MemoryUserWorkload();
    workload.counts.set(7, ACTIVE_JOBS_LIMIT - 1);
    expect(await jobsLimitExceeded(workload, 7, 1)).toBeNull();
    expect(await jobsLimitExceeded(workload, 7, 2)).toMatch(String(ACTIVE_JOBS_LIMIT));
    expect(await jobsLimitExceeded(workload, 8, ACTIVE_JOBS_LIMIT)).toBeNull();
  });

  it('fails open when the count cannot be read (a JetStream leader change must not refuse every create)', async () => {
    const unreadable: UserWorkload = { activeJobs: () => Promise.reject(new Error('timeout')) };
    expect(await jobsLimitExceeded(unreadable, 7, ACTIVE_JOBS_LIMIT + 5)).toBeNull();
  });
});
