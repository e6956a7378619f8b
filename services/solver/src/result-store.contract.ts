import { fromChunks, toChunks, type ResultChunk, type ResultDocument } from '@fillsched/contracts';
import type { ResultMeta, ResultStore } from './ports';

/** A chunk bound small enough that a handful of activities spans several chunks. */
export const SMALL_CHUNK_BYTES = 1_200;

/** A result document with `n` activities whose start times encode their index. */
export function makeResultDocument(n = 5, summary: Partial<ResultDocument['summary']> = {}): ResultDocument {
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
    summary: {
      makespan: n,
      utilization: 0.5,
      changeovers: 0,
      lots_scheduled: n,
      window_violations: 0,
      kpis: { total_production_time: n, average_line_utilization: 0.5 },
      per_line: [
        {
          line: 1,
          line_id: 'line-1',
          makespan: n,
          fill_hours: n,
          utilization: 0.5,
          changeovers: 0,
          cleans: 0,
          lots: n,
        },
      ],
      lower_bound: n - 1,
      gap: 0.25,
      execution_time: 0.123,
      activity_count: n,
      ...summary,
    },
    activities,
  };
}

export function makeMeta(jobId: string, overrides: Partial<ResultMeta> = {}): ResultMeta {
  return {
    job_id: jobId,
    owner: { kind: 'schedule', id: 7, user_id: 3 },
    strategy: 'smart-pack',
    created_at: new Date('2026-11-22T10:00:00.000Z'),
    ...overrides,
  };
}

/** A stored result's chunks, read back one by one the way the owner takes them over. */
export async function readAll(store: ResultStore, jobId: string): Promise<ResultChunk[] | null> {
  const head = await store.chunk(jobId, 0);
  if (!head) return null;
  const chunks = [head];
  for (let i = 1; i < head.count; i++) {
    const c = await store.chunk(jobId, i);
    if (!c) throw new Error(`chunk ${i} missing`);
    chunks.push(c);
  }
  return chunks;
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
    const save = (id: string, n: number, meta: Partial<ResultMeta> = {}, summary = {}) =>
      store.save(makeMeta(id, meta), toChunks(makeResultDocument(n, summary), SMALL_CHUNK_BYTES));

    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown?.();
    });

    test('an unknown job has no result', async () => {
      expect(await store.chunk('schedule.does-not-exist', 0)).toBeNull();
      expect(await store.chunk('schedule.does-not-exist', 1)).toBeNull();
    });

    test('save then read every chunk back as it was cut: the document round-trips', async () => {
      const id = freshId();
      const doc = makeResultDocument(12);
      const chunks = toChunks(doc, SMALL_CHUNK_BYTES);
      expect(chunks.length).toBeGreaterThan(2);
      expect(await store.save(makeMeta(id), chunks)).toEqual({ created: true });
      const back = await readAll(store, id);
      expect(back).toEqual(chunks);
      expect(fromChunks(back!)).toEqual(doc);
    });

    test('the head carries the summary; a chunk past the count is not there', async () => {
      const id = freshId();
      await save(id, 12);
      const head = await store.chunk(id, 0);
      expect(head!.summary).toEqual(makeResultDocument(12).summary);
      expect(head!.index).toBe(0);
      expect(await store.chunk(id, 1)).not.toHaveProperty('summary');
      expect(await store.chunk(id, head!.count)).toBeNull();
    });

    test('an empty result is one head chunk', async () => {
      const id = freshId();
      await save(id, 0);
      expect(await readAll(store, id)).toEqual(toChunks(makeResultDocument(0)));
    });

    test('a second save of the same job keeps the first result (idempotent)', async () => {
      const id = freshId();
      expect((await save(id, 2)).created).toBe(true);
      expect((await save(id, 9, {}, { lower_bound: 99 })).created).toBe(false);
      const doc = fromChunks((await readAll(store, id))!);
      expect(doc.activities).toHaveLength(2);
      expect(doc.summary.lower_bound).toBe(1);
    });

    test('concurrent saves of one job store exactly one result, whole', async () => {
      const id = freshId();
      const outcomes = await Promise.all([3, 6, 9, 12].map((k) => save(id, k)));
      expect(outcomes.filter((o) => o.created)).toHaveLength(1);
      const winner = [3, 6, 9, 12][outcomes.findIndex((o) => o.created)];
      expect(fromChunks((await readAll(store, id))!)).toEqual(makeResultDocument(winner));
    });

    test('results of different jobs do not mix', async () => {
      const a = freshId();
      const b = freshId();
      await save(a, 1);
      await save(b, 12, { strategy: 'lpt-pack' }, { makespan: 77 });
      expect((await store.chunk(a, 0))!.summary!.activity_count).toBe(1);
      expect((await store.chunk(b, 0))!.summary!.makespan).toBe(77);
      expect(fromChunks((await readAll(store, b))!).activities).toHaveLength(12);
    });

    test('chunks read are copies: changing one does not change the stored result', async () => {
      const id = freshId();
      await save(id, 3);
      const head = await store.chunk(id, 0);
      head!.activities[0].lot_id = 'changed';
      expect((await store.chunk(id, 0))!.activities[0].lot_id).toBe('L0');
    });

    test('delete removes a result once', async () => {
      const id = freshId();
      await save(id, 12);
      expect(await store.delete(id)).toBe(true);
      expect(await store.chunk(id, 0)).toBeNull();
      expect(await store.chunk(id, 1)).toBeNull();
      expect(await store.delete(id)).toBe(false);
    });
  });
}
