import type { ResultStore, StoredResult } from './ports';

/** A stored result with `n` activities whose start times encode their index (to check page cuts). */
export function makeStoredResult(jobId: string, n = 5, overrides: Partial<StoredResult> = {}): StoredResult {
  const base = Date.UTC(2025, 0, 1);
  const activities = Array.from({ length: n }, (_, i) => ({
    kind: 'FILL' as const,
    line: 1,
    lot_id: `L${i}`,
    type: i % 2 ? 'A' : 'B',
    start: new Date(base + i * 3_600_000).toISOString(),
    end: new Date(base + (i + 1) * 3_600_000).toISOString(),
    duration: 60,
    duration_hours: 1,
  }));
  return {
    job_id: jobId,
    owner: { kind: 'schedule', id: 7, user_id: 3 },
    strategy: 'smart-pack',
    result: {
      makespan: n,
      utilization: 0.5,
      changeovers: 0,
      lots_scheduled: n,
      window_violations: 0,
      kpis: { total_production_time: n, average_line_utilization: 0.5 } as StoredResult['result']['kpis'],
      per_line: [],
      activities,
    },
    lower_bound: n - 1,
    gap: 0.25,
    execution_time: 0.123,
    created_at: new Date('2026-11-22T10:00:00.000Z'),
    ...overrides,
  };
}

/** One behaviour for every ResultStore adapter; run by a test file per adapter. */
export function resultStoreContract(
  name: string,
  setup: () => Promise<{ store: ResultStore; teardown?: () => Promise<void> }>,
) {
  describe(`ResultStore contract: ${name}`, () => {
    let store: ResultStore;
    let teardown: (() => Promise<void>) | undefined;
    let seq = 0;
    const freshId = () => `schedule.${Date.now()}${seq++}`;

    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });

    test('an unknown job has no result', async () => {
      expect(await store.findPage('schedule.does-not-exist', 0, 10)).toBeNull();
      expect(await store.findPage('schedule.does-not-exist', 0, 0)).toBeNull();
    });

    test('save then read the summary and every field back', async () => {
      const id = freshId();
      const doc = makeStoredResult(id, 3);
      expect(await store.save(doc)).toEqual({ created: true });
      const page = await store.findPage(id, 0, 0);
      expect(page).not.toBeNull();
      expect(page!.job_id).toBe(id);
      expect(page!.owner).toEqual(doc.owner);
      expect(page!.strategy).toBe('smart-pack');
      expect(page!.lower_bound).toBe(2);
      expect(page!.gap).toBe(0.25);
      expect(page!.execution_time).toBe(0.123);
      expect(page!.created_at.toISOString()).toBe('2026-11-22T10:00:00.000Z');
      expect(page!.total_activities).toBe(3);
      expect(page!.activities).toEqual([]);
      expect(page!.result).not.toHaveProperty('activities');
      expect(page!.result.makespan).toBe(3);
      expect(page!.result.kpis.total_production_time).toBe(3);
    });

    test('a summary read (what a redelivered job does) leaves the stored activities whole', async () => {
      const id = freshId();
      await store.save(makeStoredResult(id, 3));
      await store.findPage(id, 0, 0);
      expect((await store.findPage(id, 0, 100))!.activities).toHaveLength(3);
    });

    test('pages cut the activities at offset/limit and past the end', async () => {
      const id = freshId();
      const doc = makeStoredResult(id, 10);
      await store.save(doc);
      const first = await store.findPage(id, 0, 4);
      expect(first!.activities.map((a) => a.lot_id)).toEqual(['L0', 'L1', 'L2', 'L3']);
      expect(first!.activities[0]).toEqual(doc.result.activities[0]);
      const middle = await store.findPage(id, 4, 4);
      expect(middle!.activities.map((a) => a.lot_id)).toEqual(['L4', 'L5', 'L6', 'L7']);
      const last = await store.findPage(id, 8, 4);
      expect(last!.activities.map((a) => a.lot_id)).toEqual(['L8', 'L9']);
      const beyond = await store.findPage(id, 50, 4);
      expect(beyond!.activities).toEqual([]);
      expect(beyond!.total_activities).toBe(10);
    });

    test('a second save of the same job keeps the first document (idempotent)', async () => {
      const id = freshId();
      expect((await store.save(makeStoredResult(id, 2))).created).toBe(true);
      const again = makeStoredResult(id, 6, { lower_bound: 99 });
      expect((await store.save(again)).created).toBe(false);
      const page = await store.findPage(id, 0, 100);
      expect(page!.total_activities).toBe(2);
      expect(page!.lower_bound).toBe(1);
    });

    test('concurrent saves of one job store exactly one document', async () => {
      const id = freshId();
      const outcomes = await Promise.all([1, 2, 3, 4].map((k) => store.save(makeStoredResult(id, k))));
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      const page = await store.findPage(id, 0, 100);
      const winner = outcomes.findIndex((o) => o.created) + 1;
      expect(page!.total_activities).toBe(winner);
    });

    test('results of different jobs do not mix', async () => {
      const a = freshId();
      const b = freshId();
      await store.save(makeStoredResult(a, 1));
      await store.save(makeStoredResult(b, 4, { strategy: 'lpt-pack' }));
      expect((await store.findPage(a, 0, 10))!.total_activities).toBe(1);
      expect((await store.findPage(b, 0, 10))!.strategy).toBe('lpt-pack');
    });

    test('delete removes a result once', async () => {
      const id = freshId();
      await store.save(makeStoredResult(id, 1));
      expect(await store.delete(id)).toBe(true);
      expect(await store.findPage(id, 0, 1)).toBeNull();
      expect(await store.delete(id)).toBe(false);
    });
  });
}
