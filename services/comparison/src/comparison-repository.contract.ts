import { AlreadyExistsError } from '@fillsched/service-kit';
import type { StrategyId } from '@fillsched/engine';
import type { Comparison, ComparisonRepository, NewComparison, StrategyEntry } from './ports';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

export function entry(strategy: StrategyId, id: number, over: Partial<StrategyEntry> = {}): StrategyEntry {
  return {
    strategy,
    job_id: `comparison.${id}.${strategy}`,
    status: 'pending',
    makespan: null,
    utilization: null,
    changeovers: null,
    lots_scheduled: null,
    window_violations: null,
    execution_time: null,
    lower_bound: null,
    gap: null,
    error_message: null,
    ...over,
  };
}

export function comparison(id: number, over: Partial<NewComparison> = {}): NewComparison {
  const strategies = over.strategies ?? (['smart-pack', 'lpt-pack', 'spt-pack'] as StrategyId[]);
  return {
    id,
    user_id: 1,
    name: `c${id}`,
    strategies,
    status: 'pending',
    config: { line_count: 2 },
    config_template_id: null,
    lots_data: [{ lot_id: 'L1', type: 'A', vials: 1000 }],
    start_time: null,
    seed: null,
    time_limit_s: null,
    results: strategies.map((s) => entry(s, id)),
    best_strategy: null,
    created_at: at(id),
    started_at: null,
    completed_at: null,
    finished_published: false,
    warnings: [],
    ...over,
  };
}

/** What reads return: everything but the lots. */
export function withoutLots(c: NewComparison): Comparison {
  const { lots_data: _lots, ...rest } = c;
  return rest;
}

const KPIS = {
  makespan: 100.5,
  utilization: 0.8,
  changeovers: 3,
  lots_scheduled: 1,
  window_violations: 0,
  execution_time: 0.25,
  lower_bound: 90,
  gap: 0.1,
};

/** Behaviour every ComparisonRepository must have; run against the memory and mongoose adapters. */
export function comparisonRepositoryContract(
  make: () => Promise<ComparisonRepository>,
  // false where racing conditional updates are not atomic (FerretDB 1.24, see MongoTarget)
  opts: { atomicUpdates: boolean } = { atomicUpdates: true },
): void {
  const race = opts.atomicUpdates ? it : it.skip;
  let repo: ComparisonRepository;
  beforeEach(async () => {
    repo = await make();
  });

  it('stores and finds a comparison with entries in strategy order, nulls and dates intact', async () => {
    const c = comparison(1, {
      strategies: ['spt-pack', 'smart-pack'],
      results: [entry('spt-pack', 1), entry('smart-pack', 1)],
      config: {},
      config_template_id: 7,
      start_time: '2026-01-01T00:00:00Z',
      seed: 3,
      time_limit_s: 5,
    });
    await repo.insert(c);
    expect(await repo.findById(1)).toEqual(withoutLots(c));
    expect(await repo.findById(1)).not.toHaveProperty('lots_data');
    expect(await repo.findById(2)).toBeNull();
  });

  // Product types and unknown lot fields are user data and may contain '.' or start with '$'.
  it("keeps config and lot keys with '.' and '$' intact", async () => {
    const c = comparison(1, {
      config: { changeover_matrix: { 'Vial.E': { 'Vial.H': 3 } } },
      lots_data: [{ lot_id: 'L1', type: 'Vial.E', vials: 10, 'odd.key': 1, $weird: true }],
    });
    await repo.insert(c);
    expect(await repo.findById(1)).toEqual(withoutLots(c));
    expect((await repo.list(1, 0, 10)).items[0].config).toEqual(c.config);
  });

  it('refuses a second comparison with the same id with the domain AlreadyExistsError', async () => {
    await repo.insert(comparison(1));
    const err = await repo.insert(comparison(1, { name: 'dup' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(err).toMatchObject({ entity: 'comparison', key: { id: 1 } });
    expect((await repo.findById(1))?.name).toBe('c1');
  });

  it('returns copies', async () => {
    await repo.insert(comparison(1));
    const got = await repo.findById(1);
    got!.results[0].status = 'completed';
    expect((await repo.findById(1))?.results[0].status).toBe('pending');
  });

  it("lists a user's comparisons newest first with paging; null lists everyone's", async () => {
    for (let i = 1; i <= 4; i++) await repo.insert(comparison(i));
    await repo.insert(comparison(5, { user_id: 2 }));
    const p = await repo.list(1, 1, 2);
    expect(p.total).toBe(4);
    expect(p.items.map((c) => c.id)).toEqual([3, 2]);
    expect((await repo.list(null, 0, 10)).items.map((c) => c.id)).toEqual([5, 4, 3, 2, 1]);
    expect(await repo.list(1, 10, 2)).toEqual({ items: [], total: 4 });
    expect(await repo.list(3, 0, 2)).toEqual({ items: [], total: 0 });
  });

  it('deletes once', async () => {
    await repo.insert(comparison(1));
    expect(await repo.delete(1)).toBe(true);
    expect(await repo.delete(1)).toBe(false);
    expect(await repo.findById(1)).toBeNull();
  });

  it('markStarted moves pending → running once and keeps the first started_at', async () => {
    await repo.insert(comparison(1));
    expect(await repo.markStarted(1, at(10))).toBe(true);
    expect(await repo.markStarted(1, at(20))).toBe(false);
    expect(await repo.findById(1)).toMatchObject({ status: 'running', started_at: at(10) });
    expect(await repo.markStarted(99, at(10))).toBe(false);
  });

  it('updateEntry changes one entry only from the allowed statuses', async () => {
    await repo.insert(comparison(1));
    expect(await repo.updateEntry(1, 'lpt-pack', ['pending'], { status: 'running' })).toBe(true);
    expect(await repo.updateEntry(1, 'lpt-pack', ['pending'], { status: 'running' })).toBe(false);
    expect(
      await repo.updateEntry(1, 'lpt-pack', ['pending', 'running'], { status: 'completed', ...KPIS }),
    ).toBe(true);
    // Ended entries never move again (a late `failed` or `started` is a no-op).
    expect(
      await repo.updateEntry(1, 'lpt-pack', ['pending', 'running'], { status: 'failed', error_message: 'x' }),
    ).toBe(false);
    const c = await repo.findById(1);
    expect(c?.results.map((r) => r.status)).toEqual(['pending', 'completed', 'pending']);
    expect(c?.results[1]).toEqual({ ...entry('lpt-pack', 1), status: 'completed', ...KPIS });
    expect(await repo.updateEntry(1, 'milp-opt', ['pending'], { status: 'running' })).toBe(false);
    expect(await repo.updateEntry(2, 'lpt-pack', ['pending'], { status: 'running' })).toBe(false);
    expect(await repo.updateEntry(1, 'lpt.pack$', ['pending'], { status: 'running' })).toBe(false);
  });

  race('concurrent updates of different entries all apply', async () => {
    await repo.insert(comparison(1));
    await Promise.all(
      (['smart-pack', 'lpt-pack', 'spt-pack'] as const).map((s, i) =>
        repo.updateEntry(1, s, ['pending', 'running'], { status: 'completed', ...KPIS, makespan: 10 + i }),
      ),
    );
    const c = await repo.findById(1);
    expect(c?.results.map((r) => [r.status, r.makespan])).toEqual([
      ['completed', 10],
      ['completed', 11],
      ['completed', 12],
    ]);
  });

  race('concurrent updates of the same entry: exactly one wins', async () => {
    await repo.insert(comparison(1));
    const wins = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        repo.updateEntry(1, 'smart-pack', ['pending', 'running'], {
          status: 'completed',
          ...KPIS,
          makespan: n,
        }),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect((await repo.findById(1))?.results[0].makespan).toBe(wins.indexOf(true) + 1);
  });

  it('finish applies once and returns the finished comparison; later calls get null', async () => {
    await repo.insert(comparison(1));
    await repo.markStarted(1, at(5));
    const done = await repo.finish(1, {
      status: 'completed',
      best_strategy: 'lpt-pack',
      completed_at: at(9),
    });
    expect(done).toMatchObject({
      id: 1,
      status: 'completed',
      best_strategy: 'lpt-pack',
      completed_at: at(9),
    });
    expect(await repo.finish(1, { status: 'failed', best_strategy: null, completed_at: at(10) })).toBeNull();
    expect(await repo.findById(1)).toMatchObject({ status: 'completed', best_strategy: 'lpt-pack' });
    expect(await repo.finish(2, { status: 'failed', best_strategy: null, completed_at: at(10) })).toBeNull();
  });

  race('concurrent finish: exactly one caller wins', async () => {
    await repo.insert(comparison(1));
    const results = await Promise.all(
      [0, 1, 2].map(() => repo.finish(1, { status: 'completed', best_strategy: null, completed_at: at(9) })),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it('markFinishedPublished sets the flag', async () => {
    await repo.insert(comparison(1));
    await repo.markFinishedPublished(1);
    expect((await repo.findById(1))?.finished_published).toBe(true);
    await repo.markFinishedPublished(2); // gone: no error
  });
}
