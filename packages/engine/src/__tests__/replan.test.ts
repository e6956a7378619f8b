import fc from 'fast-check';
import {
  attachReplan,
  checkReplan,
  checkSchedule,
  normalizeInput,
  prepareReplan,
  solve,
  type RawScheduleInput,
  type ReplanRequest,
  type SolveOutput,
  type StrategyId,
} from '../index';
import { generateInstance } from '../bench/generate';
import { T0, at, inst, vialsFor } from './helpers';

async function parentOf(raw: RawScheduleInput, strategy: StrategyId = 'smart-pack'): Promise<SolveOutput> {
  const out = await solve(inst(raw), { strategy, seed: 1, timeLimitS: 10 });
  expect(checkSchedule(inst(raw), out.result).violations).toEqual([]);
  return out;
}

async function replan(
  raw: RawScheduleInput,
  parent: SolveOutput,
  req: ReplanRequest,
  strategy: StrategyId = 'smart-pack',
) {
  const prep = prepareReplan(
    {
      id: 7,
      input: raw as { lots_data: unknown[] },
      activities: parent.result.activities,
      kpis: parent.result.kpis,
      makespan: parent.result.makespan,
      utilization: parent.result.utilization,
      window_violations: parent.result.window_violations,
    },
    req,
    new Date(T0),
  );
  if (!prep.ok) throw new Error('prepare failed: ' + JSON.stringify(prep.errors));
  const norm = attachReplan(normalizeInput(prep.input), prep.context);
  if (!norm.ok) throw new Error('attach failed: ' + JSON.stringify(norm.errors));
  const out = await solve(norm.instance, { strategy, seed: 3, timeLimitS: 10 });
  const chk = checkReplan(norm.instance, out.result);
  expect(chk.violations).toEqual([]);
  return { out, instance: norm.instance, context: prep.context };
}

const small = (n: number, m: number): RawScheduleInput => ({
  lots_data: Array.from({ length: n }, (_, i) => ({
    lot_id: `L${i}`,
    type: `T${i % 3}`,
    vials: vialsFor(4 + (i % 5)),
    priority: i % 2,
    ...(i % 4 === 0 ? { end_window: at(20 + i * 3) } : {}),
  })),
  config: { line_count: m },
  start_time: T0,
});

const frozenActs = (r: SolveOutput, ids: Set<string>) =>
  r.result.activities
    .filter((a) => a.lot_id !== undefined && ids.has(a.lot_id))
    .map((a) => ({ kind: a.kind, line: a.line, lot: a.lot_id, start: a.start, end: a.end }));

describe('replan', () => {
  it('keeps the frozen prefix, honours a new downtime with a CLEAN after it, and reports a diff', async () => {
    const raw = small(24, 3);
    const parent = await parentOf(raw);
    const { out, context } = await replan(raw, parent, {
      at: at(30),
      disruptions: [{ type: 'line_down', line: 2, start: at(40), end: at(60), reason: 'pump failure' }],
    });
    expect(context.frozen.length).toBeGreaterThan(0);
    const ids = new Set(context.frozen.map((f) => f[0]));
    expect(frozenActs(out, ids)).toEqual(frozenActs(parent, ids));
    const down = out.result.activities.filter((a) => a.kind === 'DOWNTIME' && a.line === 2);
    expect(down.some((a) => a.reason?.includes('pump failure'))).toBe(true);
    const diff = out.result.replan!;
    expect(diff.parent_id).toBe(7);
    expect(diff.frozen_lots).toBe(context.frozen.length);
    expect(diff.kpi_deltas.makespan).toBeCloseTo(out.result.makespan - parent.result.makespan, 3);
    expect(out.result.explanations!.score.terms.map((t) => t.term)).toContain('stability');
  });

  it('adds, removes and changes lots', async () => {
    const raw = small(16, 2);
    const parent = await parentOf(raw);
    const { out } = await replan(raw, parent, {
      at: at(10),
      disruptions: [
        { type: 'lot_added', lot: { lot_id: 'NEW1', type: 'T1', vials: vialsFor(5), priority: 3 } },
        { type: 'lot_removed', lot_id: 'L15' },
        { type: 'lot_changed', lot_id: 'L14', priority: 5, end_window: at(30) },
      ],
    });
    const ids = out.result.activities.filter((a) => a.kind === 'FILL').map((a) => a.lot_id);
    expect(ids).toContain('NEW1');
    expect(ids).not.toContain('L15');
    expect(out.result.replan!.added).toEqual(['NEW1']);
    expect(out.result.replan!.removed).toEqual(['L15']);
    expect(out.result.replan!.changed).toEqual(['L14']);
  });

  it('re-plans a replan (its stored input carries the first downtime)', async () => {
    const raw = small(20, 3);
    const parent = await parentOf(raw);
    const first = await replan(raw, parent, {
      at: at(30),
      disruptions: [{ type: 'line_down', line: 3, start: at(80), end: at(110), reason: 'first' }],
    });
    const prep1 = prepareReplan(
      { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
      {
        at: at(30),
        disruptions: [{ type: 'line_down', line: 3, start: at(80), end: at(110), reason: 'first' }],
      },
      new Date(T0),
    );
    if (!prep1.ok) throw new Error('prep1');
    const second = await replan(prep1.input, first.out, {
      at: at(60),
      disruptions: [
        { type: 'line_down', line: 1, start: at(150), end: at(170), reason: 'second' },
        { type: 'lot_changed', lot_id: 'L19', priority: 7 },
      ],
    });
    expect(second.context.frozen.length).toBeGreaterThan(first.context.frozen.length);
    // both downtimes are in the second replan's instance (the first one through the stored input)
    expect(second.instance.lines[2].downtime.map((d) => d.reason)).toEqual(['first']);
    expect(second.instance.lines[0].downtime.map((d) => d.reason)).toEqual(['second']);
    expect(second.out.result.replan!.changed).toEqual(['L19']);
  });

  it("late in the plan the frozen prefix binds the replan's lower bound", async () => {
    const raw = small(12, 2);
    const parent = await parentOf(raw);
    const { out } = await replan(raw, parent, {
      at: at(parent.result.makespan - 1),
      disruptions: [{ type: 'lot_added', lot: { lot_id: 'LATE', type: 'T0', vials: vialsFor(3) } }],
    });
    const lb = out.result.explanations!.lower_bound;
    expect(lb.binding).toBe('frozen-prefix');
    expect(lb.candidates.map((c) => c.bound)).toEqual(
      expect.arrayContaining([
        'single-lot',
        'total-work',
        'frozen-prefix',
        'frozen-single-lot',
        'frozen-load',
      ]),
    );
    expect(lb.value).toBeGreaterThan(parent.result.makespan - 1);
    expect(lb.value).toBeLessThanOrEqual(out.result.makespan);
  });

  it('freezes everything before an ISO freeze time', async () => {
    const raw = small(20, 2);
    const parent = await parentOf(raw);
    const { context: a } = await replan(raw, parent, { at: at(5) });
    const { context: b } = await replan(raw, parent, { at: at(5), freeze: at(40) });
    expect(b.frozen.length).toBeGreaterThan(a.frozen.length);
  });

  it.each([
    [{ at: '2020-01-01T00:00:00Z' }, ['at']],
    [{ at: 'yesterday' }, ['at']],
    [{ freeze: 'soon' }, ['freeze']],
    [
      { disruptions: [{ type: 'line_down', line: 9, start: at(40), end: at(50) }] },
      ['disruptions', 0, 'line'],
    ],
    [
      { disruptions: [{ type: 'line_down', line: 1, start: at(50), end: at(40) }] },
      ['disruptions', 0, 'end'],
    ],
    [
      { at: at(30), disruptions: [{ type: 'line_down', line: 1, start: at(1), end: at(50) }] },
      ['disruptions', 0, 'start'],
    ],
    [{ disruptions: [{ type: 'lot_removed', lot_id: 'NOPE' }] }, ['disruptions', 0, 'lot_id']],
    [{ disruptions: [{ type: 'lot_changed', lot_id: 'NOPE', priority: 1 }] }, ['disruptions', 0, 'lot_id']],
    [
      { disruptions: [{ type: 'lot_added', lot: { lot_id: 'L1', type: 'T0', vials: 10 } }] },
      ['disruptions', 0, 'lot', 'lot_id'],
    ],
    [
      { disruptions: [{ type: 'lot_added', lot: { lot_id: 'X', type: 'T0', vials: -5 } }] },
      ['disruptions', 0, 'lot', 'vials'],
    ],
    [{ disruptions: [{ type: 'explode' }] }, ['disruptions', 0, 'type']],
    [{ config: { clean_hours: 1 } }, ['config', 'clean_hours']],
  ] as Array<[ReplanRequest, (string | number)[]]>)('rejects %j at %j', async (req, loc) => {
    const raw = small(12, 2);
    const parent = await parentOf(raw);
    const prep = prepareReplan(
      { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
      { at: at(2), ...req },
      new Date(T0),
    );
    expect(prep.ok).toBe(false);
    if (!prep.ok) expect(prep.errors.map((e) => e.loc)).toContainEqual(loc);
  });
});

describe('stability weight', () => {
  it('flips the answer: a high weight keeps the parent as it is, none re-optimises the makespan', async () => {
    const raw = small(16, 2);
    const parent = await parentOf(raw, 'spt-pack');
    const req = (weight: number): ReplanRequest => ({
      at: at(1),
      stability: { weight, tolerance_hours: 1 },
      disruptions: [{ type: 'lot_added', lot: { lot_id: 'EXTRA', type: 'T0', vials: vialsFor(2) } }],
    });
    const stable = await replan(raw, parent, req(1000));
    const free = await replan(raw, parent, req(0));
    expect(stable.out.result.replan!.moved_count).toBe(0);
    expect(stable.out.result.replan!.candidate).toBe('repair');
    expect(free.out.result.replan!.moved_count).toBeGreaterThan(0);
    expect(free.out.result.makespan).toBeLessThan(stable.out.result.makespan);
    const term = (o: SolveOutput) => o.result.explanations!.score.terms.find((t) => t.term === 'stability')!;
    expect(term(stable.out)).toMatchObject({ weight: 1000, value: 0, contribution: 0 });
    expect(term(free.out).weight).toBe(0);
    expect(free.out.result.kpis.stability_cost).toBe(0);
  });
});

describe('replan properties', () => {
  const arb = fc.record({
    n: fc.integer({ min: 2, max: 30 }),
    m: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 1e6 }),
    atFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    down: fc.boolean(),
    downLen: fc.integer({ min: 2, max: 40 }),
    line: fc.integer({ min: 1, max: 4 }),
  });

  it('frozen activities stay identical and the new downtime is respected', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async (p) => {
        const raw = generateInstance({ lots: p.n, lines: p.m, seed: p.seed, meanVials: 120_000 });
        const parent = await solve(inst(raw), { strategy: 'lpt-pack', seed: 0, timeLimitS: 5 });
        const atH = p.atFrac * parent.result.makespan * 0.8;
        const I = inst(raw);
        const atIso = new Date(I.startMs + atH * 3.6e6).toISOString();
        // the downtime starts after everything that could be frozen on its line
        const line = Math.min(p.line, p.m);
        const prep0 = prepareReplan(
          { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
          { at: atIso },
          new Date(T0),
        );
        if (!prep0.ok) throw new Error(JSON.stringify(prep0.errors));
        const frozenEnd = Math.max(
          atH,
          ...prep0.context.frozen.filter((f) => f[1] === line).map((f) => f[5]),
        );
        const ds = new Date(I.startMs + (frozenEnd + 1) * 3.6e6).toISOString();
        const de = new Date(I.startMs + (frozenEnd + 1 + p.downLen) * 3.6e6).toISOString();
        const req: ReplanRequest = {
          at: atIso,
          disruptions: p.down ? [{ type: 'line_down', line, start: ds, end: de }] : [],
        };
        const prep = prepareReplan(
          { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
          req,
          new Date(T0),
        );
        if (!prep.ok) throw new Error(JSON.stringify(prep.errors));
        const norm = attachReplan(normalizeInput(prep.input), prep.context);
        if (!norm.ok) throw new Error(JSON.stringify(norm.errors));
        const out = await solve(norm.instance, { strategy: 'lpt-pack', seed: 0, timeLimitS: 5 });
        const chk = checkReplan(norm.instance, out.result);
        if (!chk.ok) throw new Error(chk.violations.slice(0, 5).join('; '));
        const ids = new Set(prep.context.frozen.map((f) => f[0]));
        expect(frozenActs(out, ids)).toEqual(frozenActs(parent, ids));
        if (!p.down) {
          // no disruption: the parent's lots on the parent's lines
          const lines = (r: SolveOutput) =>
            new Map(r.result.activities.filter((a) => a.kind === 'FILL').map((a) => [a.lot_id, a.line]));
          expect(lines(out)).toEqual(lines(parent));
          expect(out.result.replan!.line_changes).toBe(0);
        }
      }),
      { numRuns: 25, seed: 42 },
    );
  }, 120_000);
});

describe('prepareReplan robustness', () => {
  it('never throws: any request is either accepted or answered with issues that have a loc', async () => {
    const raw = small(8, 2);
    const parent = await solve(inst(raw), { strategy: 'lpt-pack', seed: 0 });
    const disruption = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom('line_down', 'lot_added', 'lot_removed', 'lot_changed', 'x'),
        line: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.string(), fc.constant(null)),
        start: fc.oneof(fc.constant(at(30)), fc.string()),
        end: fc.oneof(fc.constant(at(50)), fc.string()),
        lot_id: fc.oneof(fc.constantFrom('L1', 'L7', 'nope'), fc.integer(), fc.anything()),
        lot: fc.oneof(
          fc.anything(),
          fc.record({ lot_id: fc.string(), type: fc.string(), vials: fc.double() }),
        ),
        vials: fc.oneof(fc.double(), fc.anything()),
        priority: fc.oneof(fc.integer(), fc.anything()),
        end_window: fc.oneof(fc.constant(at(40)), fc.constant(null), fc.anything()),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          at: fc.oneof(fc.constant(at(5)), fc.string(), fc.constant(null)),
          freeze: fc.oneof(fc.constant('started'), fc.constant(at(20)), fc.string()),
          disruptions: fc.array(disruption, { maxLength: 4 }),
          config: fc.oneof(fc.constant(null), fc.dictionary(fc.string(), fc.anything())),
          stability: fc.oneof(
            fc.constant(null),
            fc.record({ weight: fc.anything(), tolerance_hours: fc.double() }),
          ),
        }),
        async (req) => {
          const out = prepareReplan(
            { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
            req as ReplanRequest,
            new Date(T0),
          );
          if (!out.ok) {
            expect(out.errors.length).toBeGreaterThan(0);
            for (const e of out.errors) expect(Array.isArray(e.loc)).toBe(true);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it('refuses to remove a lot that already started (whichever lot the strategy put first)', async () => {
    const raw = small(12, 2);
    const parent = await parentOf(raw);
    const first = [...parent.result.activities]
      .filter((a) => a.kind === 'FILL')
      .sort((a, b) => a.start.localeCompare(b.start))[0];
    const atMs = Date.parse(first.end) - 1;
    const prep = prepareReplan(
      { input: raw as { lots_data: unknown[] }, activities: parent.result.activities },
      { at: new Date(atMs).toISOString(), disruptions: [{ type: 'lot_removed', lot_id: first.lot_id! }] },
      new Date(T0),
    );
    expect(prep.ok).toBe(false);
    if (!prep.ok) expect(prep.errors.map((e) => e.loc)).toContainEqual(['disruptions', 0, 'lot_id']);
  });
});
