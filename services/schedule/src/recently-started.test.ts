import { RecentlyStarted } from './recently-started';
import { makeRecord } from './repos.contract';

const running = (id: number, job_id = `schedule.${id}`) => ({
  ...makeRecord(id),
  status: 'running' as const,
  job_id,
});

describe('RecentlyStarted', () => {
  let now = 0;
  const memo = () => new RecentlyStarted(5000, () => now);
  beforeEach(() => (now = 0));

  test('gives a running record back once, for its own job only', () => {
    const m = memo();
    m.remember(running(1));
    expect(m.take(1, 'schedule.1')).toMatchObject({ id: 1, status: 'running' });
    expect(m.take(1, 'schedule.1')).toBeNull(); // used once
    m.remember(running(2));
    expect(m.take(2, 'schedule.9')).toBeNull(); // another job: dropped, not given
    expect(m.take(2, 'schedule.2')).toBeNull();
  });

  test('keeps only running records, and none older than its TTL', () => {
    const m = memo();
    m.remember({ ...makeRecord(1), status: 'pending' });
    m.remember({ ...running(2), status: 'completed' });
    expect(m.size()).toBe(0);
    m.remember(running(3));
    now = 5001;
    expect(m.take(3, 'schedule.3')).toBeNull();
  });

  test('forget drops a record that left running', () => {
    const m = memo();
    m.remember(running(1));
    m.forget(1);
    expect(m.take(1, 'schedule.1')).toBeNull();
  });

  test('is bounded: the oldest record goes first', () => {
    const m = memo();
    for (let id = 1; id <= 1001; id++) m.remember(running(id));
    expect(m.size()).toBe(1000);
    expect(m.take(1, 'schedule.1')).toBeNull();
    expect(m.take(1001, 'schedule.1001')).not.toBeNull();
  });
});
