import type { ScheduleOut } from '@fillsched/contracts';
import { CompletedScheduleCache } from './completed-cache';
import { chunksOf, makeRecord, makeResult } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };
const root = { id: 99, email: 'root@example.com', is_superuser: true };

let h: TestHarness;
let cache: CompletedScheduleCache<ScheduleOut>;
let announced: number[];
beforeEach(() => {
  cache = new CompletedScheduleCache<ScheduleOut>();
  announced = [];
  h = makeHarness({ completedCache: cache, announceDeleted: async (id) => void announced.push(id) });
});

async function seedCompleted(id: number, userId = alice.id) {
  await h.schedules.create(
    makeRecord(id, { user_id: userId, status: 'completed', completed_at: new Date('2026-01-01T00:02:00Z') }),
  );
  await h.results.upsert(id, chunksOf(makeResult(4)));
}

/** Counts store reads from now on. */
function countReads(): { reads: () => number } {
  let n = 0;
  for (const [repo, methods] of [
    [h.schedules, ['get']],
    [h.results, ['get', 'summary']],
  ] as const) {
    for (const m of methods) {
      const target = repo as unknown as Record<string, (...a: unknown[]) => unknown>;
      const orig = target[m].bind(repo);
      target[m] = (...a: unknown[]) => {
        n++;
        return orig(...a);
      };
    }
  }
  return { reads: () => n };
}

describe('GET of a completed schedule from the cache', () => {
  test('the second GET answers the same body without reading the store', async () => {
    await seedCompleted(1);
    const first = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    const counter = countReads();
    const second = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(second).toEqual(first);
    expect(counter.reads()).toBe(0);
    // with and without activities are kept apart
    const summary = await h.app.handlers.get({
      user: alice,
      params: { id: '1' },
      query: { include_activities: 'false' },
    });
    expect((summary.body as { result: { activities?: unknown } }).result.activities).toBeUndefined();
    expect(counter.reads()).toBeGreaterThan(0);
  });

  test('ownership is checked on a hit: another user gets 404, a superuser the schedule', async () => {
    await seedCompleted(1);
    await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(cache.size()).toBe(1);
    const other = await h.app.handlers.get({ user: bob, params: { id: '1' } });
    expect(other).toEqual({ status: 404, body: { detail: 'Schedule not found' } });
    expect((await h.app.handlers.get({ user: root, params: { id: '1' } })).status).toBe(200);
    expect((await h.app.handlers.get({ params: { id: '1' } })).status).toBe(401);
  });

  test('pending and running schedules are never kept (their status still changes)', async () => {
    await h.schedules.create(makeRecord(2, { user_id: alice.id, status: 'running' }));
    await h.app.handlers.get({ user: alice, params: { id: '2' } });
    expect(cache.size()).toBe(0);
  });

  test('a delete drops the copy and tells the other replicas; the next GET is a 404', async () => {
    await seedCompleted(1);
    await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect((await h.app.handlers.delete({ user: alice, params: { id: '1' } })).status).toBe(200);
    expect(announced).toEqual([1]);
    expect(cache.size()).toBe(0);
    expect((await h.app.handlers.get({ user: alice, params: { id: '1' } })).status).toBe(404);
  });
});

describe('CompletedScheduleCache', () => {
  const body = (n: number) => ({ n }) as unknown as ScheduleOut;
  test('least recently used out first, by entries and by activities held', () => {
    const c = new CompletedScheduleCache<ScheduleOut>({ maxEntries: 2, maxActivities: 10 });
    c.set(1, true, { user_id: 1, body: body(1) }, 3, c.mark());
    c.set(2, true, { user_id: 1, body: body(2) }, 3, c.mark());
    c.get(1, true); // 1 is now the most recently used
    c.set(3, true, { user_id: 1, body: body(3) }, 3, c.mark());
    expect([1, 2, 3].map((id) => c.get(id, true) !== undefined)).toEqual([true, false, true]);
    c.set(4, false, { user_id: 1, body: body(4) }, 8, c.mark()); // 3 + 3 + 8 > 10 activities
    expect(c.size()).toBe(1);
    expect(c.get(4, false)?.body).toEqual(body(4));
    c.set(5, true, { user_id: 1, body: body(5) }, 11, c.mark()); // alone above the bound: not kept
    expect(c.get(5, true)).toBeUndefined();
  });

  test('a body read before a delete is not kept (the delete may have raced the read)', () => {
    const c = new CompletedScheduleCache<ScheduleOut>();
    const since = c.mark();
    c.forget(7);
    c.set(7, true, { user_id: 1, body: body(7) }, 1, since);
    expect(c.get(7, true)).toBeUndefined();
  });
});
