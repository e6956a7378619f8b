import fc from 'fast-check';
import {
  checkSchedule,
  normalizeInput,
  solve,
  validateConfig,
  type RawScheduleInput,
  type StrategyId,
} from '../index';
import { OBJECTIVE_TERMS, type ObjectiveConfig } from '../objective';
import { HEURISTICS, T0, at, run, vialsFor } from './helpers';

/**
 * One line, three 10 h lots after a 24 h CLEAN. A2 is due at 34 h (it must go first), B1 (priority
 * 2, tardiness weight 3) at 52 h. Keeping the A lots together needs 4 + 8 = 12 h of changeovers and
 * ends at 66 h, but somebody is late: at best B1, A2, A1 (A2 18 h late, weighted 18). Only A2, B1,
 * A1 is on time, and it ends at 70 h with 16 h of changeovers.
 */
const flip = (objective?: ObjectiveConfig): RawScheduleInput => ({
  lots_data: [
    { lot_id: 'A1', type: 'A', vials: vialsFor(10), priority: 0 },
    { lot_id: 'A2', type: 'A', vials: vialsFor(10), priority: 0, end_window: at(34) },
    { lot_id: 'B1', type: 'B', vials: vialsFor(10), priority: 2, end_window: at(52) },
  ],
  config: objective === undefined ? {} : { objective },
  start_time: T0,
});

/** hybrid-pack runs several searches per solve: generous for loaded machines (no timing is asserted) */
const SLOW = 60_000;

const order = (out: Awaited<ReturnType<typeof run>>): string[] =>
  out.result.activities.filter((a) => a.kind === 'FILL').map((a) => a.lot_id as string);

describe('objective: golden cases where the weights flip the answer', () => {
  const SEARCH: StrategyId[] = ['smart-pack', 'hybrid-pack'];

  it.each(SEARCH)(
    '%s: makespan weight groups the types, a tardiness weight keeps B1 on time',
    async (s) => {
      const mk = await run(flip({ makespan: 1 }), s);
      expect(mk.result.makespan).toBeCloseTo(66, 6);
      expect(mk.result.score).toMatchObject({ makespan: 66, changeover_hours: 12, stability: 0 });
      expect(mk.result.score?.tardiness).toBeGreaterThan(0);
      expect(mk.result.score?.objective).toBe('weighted');
      expect(mk.result.score?.value).toBeCloseTo(66, 6);

      const td = await run(flip({ makespan: 1, tardiness: 1 }), s);
      expect(td.result.makespan).toBeCloseTo(70, 6);
      expect(order(td)).toEqual(['A2', 'B1', 'A1']);
      expect(td.result.score).toMatchObject({ makespan: 70, tardiness: 0, changeover_hours: 16 });
      expect(td.result.score?.value).toBeCloseTo(70, 6);
    },
    SLOW,
  );

  it.each(SEARCH)(
    '%s: lexicographic levels — the higher level always wins',
    async (s) => {
      const t = await run(flip(['tardiness', 'makespan']), s);
      expect(t.result.score).toMatchObject({ tardiness: 0, makespan: 70, objective: 'lexicographic' });
      expect(t.result.score?.levels).toEqual(['tardiness', 'makespan']);
      expect(t.result.score?.value).toBeNull();
      const m = await run(flip(['makespan', 'tardiness']), s);
      expect(m.result.score).toMatchObject({ makespan: 66, tardiness: 18 });
      expect(order(m)).toEqual(['B1', 'A2', 'A1']);
      // changeovers first: a CLEAN before every lot avoids them all (3 blocks: 3 · 34 h)
      const c = await run(flip(['changeover_hours', 'makespan']), s);
      expect(c.result.score).toMatchObject({ changeover_hours: 0, makespan: 102 });
      expect(c.result.kpis.cleans).toBe(3);
    },
    SLOW,
  );

  it(
    'without the key every strategy keeps its historical objective and reports the default score',
    async () => {
      // smart-pack: makespan only; hybrid-pack: makespan + priority_weight (1) · weighted tardiness
      const smart = await run(flip(), 'smart-pack');
      expect(smart.result.makespan).toBeCloseTo(66, 6);
      expect(smart.result.score).toMatchObject({ objective: 'default', value: 66, levels: null });
      const hybrid = await run(flip(), 'hybrid-pack');
      expect(hybrid.result.makespan).toBeCloseTo(70, 6);
      expect(hybrid.result.score).toMatchObject({ objective: 'default', value: 70, tardiness: 0 });
    },
    SLOW,
  );

  it('the list rules choose among their candidates by the objective too', async () => {
    for (const s of ['lpt-pack', 'spt-pack', 'cfs-pack'] as StrategyId[]) {
      const out = await run(flip({ changeover_hours: 1 }), s);
      expect(out.result.score?.changeover_hours).toBeLessThanOrEqual(16 + 1e-9);
      expect(out.result.score?.value).toBeCloseTo(out.result.kpis.changeover_hours, 6);
    }
  });
});

describe('objective: validation', () => {
  it('accepts weights and level lists', () => {
    expect(validateConfig({ objective: { makespan: 1, tardiness: 2.5 } }).errors).toEqual([]);
    expect(validateConfig({ objective: ['tardiness', 'makespan', 'changeover_hours'] }).errors).toEqual([]);
    expect(validateConfig({ objective: null }).errors).toEqual([]);
  });

  it.each([
    [{ speed: 1 }, ['config', 'objective', 'speed'], 'value_error.const'],
    [{ makespan: -1 }, ['config', 'objective', 'makespan'], 'value_error.number'],
    [{ makespan: '1' }, ['config', 'objective', 'makespan'], 'value_error.number'],
    [{ makespan: 0 }, ['config', 'objective'], 'value_error.objective'],
    [[], ['config', 'objective'], 'value_error.list.min_items'],
    [['makespan', 'fastest'], ['config', 'objective', 1], 'value_error.const'],
    [['makespan', 'makespan'], ['config', 'objective', 1], 'value_error.duplicate'],
    ['makespan', ['config', 'objective'], 'type_error.objective'],
  ])('rejects %j with loc %j', (objective, loc, type) => {
    const r = validateConfig({ objective });
    expect(r.valid).toBe(false);
    expect(r.errors[0]).toMatchObject({ loc, type });
    expect(r.errors[0].msg).toMatch(/objective/);
  });

  it('an invalid objective makes the whole input invalid, naming the field', () => {
    const r = normalizeInput({ ...flip(), config: { objective: { tardines: 1 } } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0].loc).toEqual(['config', 'objective', 'tardines']);
  });
});

const objectiveArb: fc.Arbitrary<ObjectiveConfig> = fc.oneof(
  fc
    .record({
      makespan: fc.integer({ min: 0, max: 5 }),
      tardiness: fc.integer({ min: 0, max: 5 }),
      changeover_hours: fc.integer({ min: 0, max: 5 }),
    })
    .map((w) => (w.makespan + w.tardiness + w.changeover_hours === 0 ? { ...w, makespan: 1 } : w)),
  fc.shuffledSubarray(
    [...OBJECTIVE_TERMS].filter((t) => t !== 'stability'),
    { minLength: 1 },
  ),
);

const smallArb: fc.Arbitrary<RawScheduleInput> = fc
  .record({
    n: fc.integer({ min: 1, max: 10 }),
    m: fc.integer({ min: 1, max: 3 }),
    types: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    objective: objectiveArb,
  })
  .map((p) => {
    let s = p.seed;
    const rnd = (): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    const lots = Array.from({ length: p.n }, (_, i) => ({
      lot_id: `L${i}`,
      type: `T${Math.floor(rnd() * p.types)}`,
      vials: vialsFor(1 + rnd() * 60),
      priority: Math.floor(rnd() * 3),
      ...(rnd() < 0.5 ? { end_window: at(30 + rnd() * 200) } : {}),
      ...(rnd() < 0.3 ? { start_window: at(rnd() * 60) } : {}),
    }));
    return { lots_data: lots, config: { line_count: p.m, objective: p.objective }, start_time: T0 };
  });

describe('property: with any objective every strategy stays valid and reports its score', () => {
  it.each(HEURISTICS)(
    '%s',
    async (strategy) => {
      await fc.assert(
        fc.asyncProperty(smallArb, async (raw) => {
          const norm = normalizeInput(raw);
          if (!norm.ok) throw new Error(JSON.stringify(norm.errors));
          const i = norm.instance;
          const out = await solve(i, { strategy, seed: 1, timeLimitS: 5 });
          const chk = checkSchedule(i, out.result);
          if (!chk.ok) throw new Error(chk.violations.slice(0, 3).join('; '));
          const sc = out.result.score;
          expect(sc).toBeDefined();
          expect(sc?.makespan).toBeCloseTo(out.result.makespan, 3);
          expect(sc?.tardiness).toBeCloseTo(out.result.kpis.weighted_tardiness as number, 3);
          expect(sc?.changeover_hours).toBeCloseTo(out.result.kpis.changeover_hours as number, 3);
          expect(sc?.stability).toBe(0);
        }),
        { numRuns: strategy === 'hybrid-pack' ? 8 : 20, seed: 20261129 },
      );
    },
    120_000,
  );

  it('a stability cost supplied by the caller is reported in the score and weighted into its value', async () => {
    const norm = normalizeInput(flip({ makespan: 1, stability: 10 }));
    if (!norm.ok) throw new Error('invalid');
    // cost: lots not at their position in a "parent" order A2, B1, A1
    const parent = ['A2', 'B1', 'A1'];
    const out = await solve(norm.instance, {
      strategy: 'smart-pack',
      seed: 1,
      stability: (inst, d) =>
        d.placements
          .slice()
          .sort((a, b) => a.fillStart - b.fillStart)
          .map((p) => inst.lots[p.lot].id)
          .filter((id, k) => parent[k] !== id).length,
    });
    const seq = out.result.activities.filter((a) => a.kind === 'FILL').map((a) => a.lot_id);
    const moved = seq.filter((id, k) => parent[k] !== id).length;
    expect(out.result.score?.stability).toBe(moved);
    expect(out.result.score?.value).toBeCloseTo(out.result.makespan + 10 * moved, 6);
    // without the hook the term is 0 even when weighted
    const plain = await solve(norm.instance, { strategy: 'smart-pack', seed: 1 });
    expect(plain.result.score?.stability).toBe(0);
  });
});
