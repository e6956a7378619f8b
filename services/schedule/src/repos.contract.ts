/**
 * One behavioural contract for every storage adapter of this service. Run by
 * memory.contract.test.ts and mongoose.contract.test.ts; `makeRepos` must return empty stores.
 */
import { toChunks, type ResultChunk, type ResultDocument } from '@fillsched/contracts';
import { AlreadyExistsError } from '@fillsched/service-kit';
import type { ResultActivity, ResultRepository, ScheduleRecord, ScheduleRepository } from './ports';

export interface Repos {
  schedules: ScheduleRepository;
  results: ResultRepository;
}

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export function makeRecord(id: number, over: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id,
    user_id: 1,
    name: `Schedule ${id}`,
    strategy: 'smart-pack',
    status: 'pending',
    config: { line_count: 2, changeover_matrix: { 'Vial.E': { 'Vial.H': 3 } } },
    config_template_id: null,
    lots_data: [{ lot_id: `L${id}`, type: 'Vial.E', vials: 1000, 'odd.key': 1, $weird: true }],
    start_time: null,
    seed: null,
    time_limit_s: null,
    job_id: `schedule.${id}`,
    created_at: new Date(T0 + id * 1000),
    started_at: null,
    completed_at: null,
    error_message: null,
    warnings: [],
    ...over,
  };
}

export function makeActivities(n: number): ResultActivity[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: i % 3 === 0 ? 'CLEAN' : 'FILL',
    line: 1 + (i % 2),
    ...(i % 3 === 0 ? {} : { lot_id: `L${i}`, type: 'A' }),
    start: new Date(T0 + i * 3_600_000).toISOString(),
    end: new Date(T0 + (i + 1) * 3_600_000).toISOString(),
    duration: 60,
    duration_hours: 1,
  }));
}

export function makeResult(
  activities: number,
  summary: Partial<ResultDocument['summary']> = {},
): ResultDocument {
  return {
    summary: {
      makespan: 497.16,
      utilization: 0.81,
      changeovers: 4,
      lots_scheduled: 10,
      window_violations: 0,
      kpis: { total_production_time: 497.16, average_line_utilization: 0.81, on_time_delivery_rate: 1 },
      lower_bound: 480,
      gap: 0.0357,
      per_line: [
        {
          line: 1,
          line_id: '1',
          makespan: 497.16,
          fill_hours: 400,
          utilization: 0.81,
          changeovers: 4,
          cleans: 1,
          lots: 10,
        },
      ],
      execution_time: 0.12,
      activity_count: activities,
      ...summary,
    },
    activities: makeActivities(activities),
  };
}

/** A chunk bound that cuts a few thousand activities into a dozen or more chunks. */
export const TEST_CHUNK_BYTES = 40_000;
/** A document's chunks as the solver cuts them (small, so tests cross chunk borders). */
export const chunksOf = (doc: ResultDocument): ResultChunk[] => toChunks(doc, TEST_CHUNK_BYTES);

export function repositoryContract(
  label: string,
  makeRepos: () => Promise<Repos>,
  // false where racing conditional updates are not atomic (FerretDB 1.24, see MongoTarget)
  opts: { atomicUpdates: boolean } = { atomicUpdates: true },
): void {
  describe(`ScheduleRepository contract (${label})`, () => {
    let repos: Repos;
    beforeEach(async () => {
      repos = await makeRepos();
    });

    test('create then get returns the same record, dotted keys and dates intact', async () => {
      const rec = makeRecord(1, {
        seed: 7,
        time_limit_s: 30,
        start_time: '2026-01-01T00:00:00',
        config_template_id: 4,
      });
      await repos.schedules.create(rec);
      const got = await repos.schedules.get(1);
      expect(got).toEqual(rec);
      expect(got!.created_at).toBeInstanceOf(Date);
    });

    test('get of an unknown id is null', async () => {
      expect(await repos.schedules.get(999)).toBeNull();
    });

    test('a second create with the same id is the domain AlreadyExistsError', async () => {
      await repos.schedules.create(makeRecord(1));
      const err = await repos.schedules.create(makeRecord(1, { name: 'other' })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect(err).toMatchObject({ entity: 'schedule', key: { id: 1 } });
      expect((await repos.schedules.get(1))!.name).toBe('Schedule 1');
    });

    test('returned records are copies: mutating one does not change the store', async () => {
      await repos.schedules.create(makeRecord(1));
      const got = await repos.schedules.get(1);
      got!.lots_data[0].vials = 1;
      got!.status = 'failed';
      const again = await repos.schedules.get(1);
      expect(again!.lots_data[0].vials).toBe(1000);
      expect(again!.status).toBe('pending');
    });

    describe('list', () => {
      beforeEach(async () => {
        const specs: Array<Partial<ScheduleRecord>> = [
          { user_id: 1, name: 'charlie', status: 'completed', strategy: 'lpt-pack' },
          { user_id: 1, name: 'alpha', status: 'pending' },
          { user_id: 2, name: 'bravo', status: 'running' },
          { user_id: 1, name: 'alpha', status: 'failed', strategy: 'lpt-pack' },
          { user_id: 2, name: 'delta', status: 'completed' },
        ];
        for (const [i, s] of specs.entries()) await repos.schedules.create(makeRecord(i + 1, s));
      });

      test('filters by user and reports the total before paging', async () => {
        const r = await repos.schedules.list({ user_id: 1, sort: '-created_at', skip: 0, limit: 2 });
        expect(r.total).toBe(3);
        expect(r.items.map((x) => x.id)).toEqual([4, 2]);
        const p2 = await repos.schedules.list({ user_id: 1, sort: '-created_at', skip: 2, limit: 2 });
        expect(p2.items.map((x) => x.id)).toEqual([1]);
        expect(p2.total).toBe(3);
      });

      test('without a user filter lists everyone (superuser)', async () => {
        const r = await repos.schedules.list({ sort: 'id', skip: 0, limit: 100 });
        expect(r.items.map((x) => x.id)).toEqual([1, 2, 3, 4, 5]);
        expect(r.total).toBe(5);
      });

      test('filters by status and strategy together', async () => {
        const r = await repos.schedules.list({ status: 'completed', sort: 'id', skip: 0, limit: 10 });
        expect(r.items.map((x) => x.id)).toEqual([1, 5]);
        const s = await repos.schedules.list({
          strategy: 'lpt-pack',
          user_id: 1,
          sort: 'id',
          skip: 0,
          limit: 10,
        });
        expect(s.items.map((x) => x.id)).toEqual([1, 4]);
        const none = await repos.schedules.list({ status: 'cancelled', sort: 'id', skip: 0, limit: 10 });
        expect(none).toEqual({ items: [], total: 0 });
      });

      test('sorts by name both ways with ties broken by id', async () => {
        const asc = await repos.schedules.list({ sort: 'name', skip: 0, limit: 10 });
        expect(asc.items.map((x) => x.id)).toEqual([2, 4, 3, 1, 5]);
        const desc = await repos.schedules.list({ sort: '-name', skip: 0, limit: 10 });
        expect(desc.items.map((x) => x.id)).toEqual([5, 1, 3, 4, 2]);
        const created = await repos.schedules.list({ sort: 'created_at', skip: 0, limit: 10 });
        expect(created.items.map((x) => x.id)).toEqual([1, 2, 3, 4, 5]);
        const idDesc = await repos.schedules.list({ sort: '-id', skip: 1, limit: 2 });
        expect(idDesc.items.map((x) => x.id)).toEqual([4, 3]);
      });

      test('a page past the end is empty but keeps the total', async () => {
        const r = await repos.schedules.list({ user_id: 2, sort: 'id', skip: 20, limit: 20 });
        expect(r).toEqual({ items: [], total: 2 });
      });
    });

    test('countActive counts pending and running of one user', async () => {
      await repos.schedules.create(makeRecord(1, { status: 'pending' }));
      await repos.schedules.create(makeRecord(2, { status: 'running' }));
      await repos.schedules.create(makeRecord(3, { status: 'completed' }));
      await repos.schedules.create(makeRecord(4, { status: 'pending', user_id: 2 }));
      await repos.schedules.create(makeRecord(5, { status: 'pending' }));
      expect(await repos.schedules.countActive(1)).toBe(3);
      expect(await repos.schedules.countActive(2)).toBe(1);
      expect(await repos.schedules.countActive(3)).toBe(0);
    });

    describe('transition', () => {
      const at = new Date(T0 + 3_600_000);
      beforeEach(async () => {
        await repos.schedules.create(makeRecord(1));
      });

      test('moves forward and sets the given fields only', async () => {
        const r = await repos.schedules.transition(1, { to: 'running', started_at: at });
        expect(r).toMatchObject({
          id: 1,
          status: 'running',
          started_at: at,
          completed_at: null,
          error_message: null,
        });
        const done = await repos.schedules.transition(1, { to: 'completed', completed_at: at });
        expect(done).toMatchObject({ status: 'completed', started_at: at, completed_at: at });
        expect(await repos.schedules.get(1)).toEqual(done);
      });

      test('never moves backwards or sideways out of a final status', async () => {
        await repos.schedules.transition(1, { to: 'running', started_at: at });
        expect(await repos.schedules.transition(1, { to: 'running', started_at: new Date(0) })).toBeNull();
        await repos.schedules.transition(1, { to: 'failed', error_message: 'boom', completed_at: at });
        for (const to of ['pending', 'running', 'completed', 'cancelled'] as const)
          expect(await repos.schedules.transition(1, { to })).toBeNull();
        expect(await repos.schedules.get(1)).toMatchObject({
          status: 'failed',
          error_message: 'boom',
          started_at: at,
        });
      });

      test('honours an explicit from-list', async () => {
        expect(await repos.schedules.transition(1, { to: 'completed', from: ['running'] })).toBeNull();
        expect((await repos.schedules.get(1))!.status).toBe('pending');
      });

      test('unknown id gives null', async () => {
        expect(await repos.schedules.transition(42, { to: 'running' })).toBeNull();
      });

      (opts.atomicUpdates ? test : test.skip)(
        'of two racing final transitions exactly one wins',
        async () => {
          await repos.schedules.transition(1, { to: 'running', started_at: at });
          const [a, b] = await Promise.all([
            repos.schedules.transition(1, { to: 'completed', completed_at: at }),
            repos.schedules.transition(1, { to: 'cancelled', completed_at: at }),
          ]);
          expect([a, b].filter((x) => x !== null)).toHaveLength(1);
          const final = await repos.schedules.get(1);
          expect(final!.status).toBe((a ?? b)!.status);
        },
      );
    });

    test('warnings are kept with the schedule', async () => {
      const warnings = ["Unknown field 'stratgy' is ignored (did you mean 'strategy'?)"];
      await repos.schedules.create(makeRecord(1, { warnings }));
      expect((await repos.schedules.get(1))!.warnings).toEqual(warnings);
      expect((await repos.schedules.list({ sort: 'id', skip: 0, limit: 5 })).items[0].warnings).toEqual(
        warnings,
      );
    });

    test("a replan's lineage (parent_id, version) is kept; originals have none", async () => {
      await repos.schedules.create(makeRecord(1));
      await repos.schedules.create(makeRecord(2, { parent_id: 1, version: 2 }));
      expect(await repos.schedules.get(2)).toMatchObject({ parent_id: 1, version: 2 });
      const original = (await repos.schedules.get(1))!;
      expect(original.parent_id ?? null).toBeNull();
      expect(original.version ?? 1).toBe(1);
    });

    test('delete removes the schedule once', async () => {
      await repos.schedules.create(makeRecord(1));
      expect(await repos.schedules.delete(1)).toBe(true);
      expect(await repos.schedules.get(1)).toBeNull();
      expect(await repos.schedules.delete(1)).toBe(false);
    });
  });

  describe(`ResultRepository contract (${label})`, () => {
    let repos: Repos;
    beforeEach(async () => {
      repos = await makeRepos();
    });

    test('upsert then get round-trips the result with every activity in order', async () => {
      const r = makeResult(7);
      await repos.results.upsert(1, chunksOf(r));
      expect(await repos.results.get(1)).toEqual(r);
      expect(await repos.results.get(2)).toBeNull();
    });

    test('a large result (more activities than one storage chunk) round-trips', async () => {
      const r = makeResult(2_501);
      expect(chunksOf(r).length).toBeGreaterThan(5);
      await repos.results.upsert(3, chunksOf(r));
      const got = await repos.results.get(3);
      expect(got!.activities).toHaveLength(2_501);
      expect(got!.activities[2_500]).toEqual(r.activities[2_500]);
      expect(got).toEqual(r);
    }, 60_000);

    test('upserting again replaces: one copy, no stale activities', async () => {
      await repos.results.upsert(1, chunksOf(makeResult(2_501)));
      const small = makeResult(3, { makespan: 1 });
      await repos.results.upsert(1, chunksOf(small));
      await repos.results.upsert(1, chunksOf(small));
      expect(await repos.results.get(1)).toEqual(small);
    }, 60_000);

    test('summary is the head chunk’s, with the count of activities', async () => {
      const r = makeResult(2_501);
      await repos.results.upsert(1, chunksOf(r));
      expect(await repos.results.summary(1)).toEqual(r.summary);
      expect(await repos.results.summary(2)).toBeNull();
    }, 60_000);

    test('activities pages: offset/limit across chunk borders, a line filter, past the end', async () => {
      const r = makeResult(2_501);
      await repos.results.upsert(1, chunksOf(r));
      const page = (filter: { line?: number; offset: number; limit: number }) =>
        repos.results.activities(1, filter);
      expect(await page({ offset: 0, limit: 3 })).toEqual({ items: r.activities.slice(0, 3), total: 2_501 });
      expect(await page({ offset: 998, limit: 1_005 })).toEqual({
        items: r.activities.slice(998, 2_003),
        total: 2_501,
      });
      expect(await page({ offset: 2_499, limit: 10 })).toEqual({
        items: r.activities.slice(2_499),
        total: 2_501,
      });
      expect(await page({ offset: 5_000, limit: 10 })).toEqual({ items: [], total: 2_501 });
      const line2 = r.activities.filter((a) => a.line === 2);
      expect(await page({ line: 2, offset: 10, limit: 5 })).toEqual({
        items: line2.slice(10, 15),
        total: line2.length,
      });
      expect(await page({ line: 9, offset: 0, limit: 5 })).toEqual({ items: [], total: 0 });
      expect(await repos.results.activities(2, { offset: 0, limit: 5 })).toBeNull();
    }, 60_000);

    test('pages read by chunk: every offset/limit across every border matches the document', async () => {
      const r = makeResult(700);
      const chunks = chunksOf(r);
      expect(chunks.length).toBeGreaterThan(2);
      await repos.results.upsert(1, chunks);
      for (const c of chunks)
        for (const [offset, limit] of [
          [c.from, 1],
          [Math.max(0, c.from - 1), 2],
          [c.from + 3, c.activities.length],
        ])
          expect((await repos.results.activities(1, { offset, limit }))!.items).toEqual(
            r.activities.slice(offset, offset + limit),
          );
    }, 60_000);

    test('an incomplete chunk set is refused, and the stored result stays as it was', async () => {
      const r = makeResult(700);
      await repos.results.upsert(1, chunksOf(r));
      await expect(repos.results.upsert(1, chunksOf(makeResult(900)).slice(1))).rejects.toThrow(/chunks/);
      expect(await repos.results.get(1)).toEqual(r);
    }, 60_000);

    test('delete removes it; deleting again is harmless', async () => {
      await repos.results.upsert(1, chunksOf(makeResult(3)));
      await repos.results.upsert(2, chunksOf(makeResult(2)));
      await repos.results.delete(1);
      expect(await repos.results.get(1)).toBeNull();
      await repos.results.delete(1);
      expect(await repos.results.get(2)).toEqual(makeResult(2));
    });
  });
}
