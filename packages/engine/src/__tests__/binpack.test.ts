import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseLotsCsv } from '../index';
import { decode, BREAK } from '../packer';
import { binPackApplies, binPackPlan } from '../strategies/binpack';
import { T0, at, inst, run, vialsFor } from './helpers';

const LOTS = join(__dirname, '../../../../../shared/data/lots');

/** Every lot exactly once; every block within the window (lots grouped by type). */
function checkPlan(i: ReturnType<typeof inst>, plan: number[][]): void {
  const seen = new Set<number>();
  for (const seq of plan) for (const j of seq) if (j !== BREAK) seen.add(j);
  expect(seen.size).toBe(i.lots.length);
  expect(plan.flat().filter((j) => j !== BREAK).length).toBe(i.lots.length);
  const d = decode(i, plan);
  // the packer opened no block the plan did not ask for: blocks = BREAKs + non-empty lines
  const planned = plan.reduce(
    (s, seq) => s + (seq.length > 0 ? 1 : 0) + seq.filter((j) => j === BREAK).length,
    0,
  );
  const opened = d.placements.filter((p) => p.coStart === null).length;
  expect(opened).toBe(planned);
}

describe('dedicated block packing (identical default lines)', () => {
  it('applies only without windows, downtime or matrices', () => {
    const lots = [
      { lot_id: 'A', type: 'X', vials: vialsFor(50) },
      { lot_id: 'B', type: 'Y', vials: vialsFor(30) },
    ];
    expect(binPackApplies(inst({ lots_data: lots, start_time: T0 }))).toBe(true);
    expect(binPackApplies(inst({ lots_data: lots, config: { line_count: 3 }, start_time: T0 }))).toBe(true);
    expect(
      binPackApplies(inst({ lots_data: [{ ...lots[0], start_window: at(5) }, lots[1]], start_time: T0 })),
    ).toBe(false);
    expect(binPackApplies(inst({ lots_data: lots, config: { window_hours: null }, start_time: T0 }))).toBe(
      false,
    );
    expect(
      binPackApplies(
        inst({ lots_data: lots, config: { changeover_matrix: { X: { Y: 1 } } }, start_time: T0 }),
      ),
    ).toBe(false);
    expect(
      binPackApplies(
        inst({
          lots_data: lots,
          config: { lines: [{ id: 1, downtime: [{ start: at(10), end: at(20) }] }] },
          start_time: T0,
        }),
      ),
    ).toBe(false);
  });

  it('lots_large.csv: 261 blocks (the two-lot matching of the 55–58 h lots forces 5 extra) and ≤ 36,362 h', async () => {
    const { lots } = parseLotsCsv(readFileSync(join(LOTS, 'lots_large.csv'), 'utf8'));
    const i = inst({ lots_data: lots });
    const plan = binPackPlan(i, { seed: 1, attempts: 20 })!;
    checkPlan(i, plan);
    const d = decode(i, plan);
    expect(d.makespan).toBeLessThanOrEqual(36_361.43 + 1e-6);
    expect(plan[0].filter((j) => j === BREAK).length + 1).toBe(261);
    const out = await run(i, 'smart-pack');
    expect(out.result.makespan).toBeLessThanOrEqual(36_361.43 + 1e-6);
  }, 30_000);

  it('random instances: a complete plan the packer follows block by block, deterministic per seed', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 2, max: 40 }),
          m: fc.integer({ min: 1, max: 3 }),
          types: fc.integer({ min: 1, max: 4 }),
          W: fc.integer({ min: 30, max: 150 }),
          ic: fc.boolean(),
          seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        (p) => {
          let s = p.seed;
          const rnd = (): number => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s / 2147483648;
          };
          const lots = Array.from({ length: p.n }, (_, k) => ({
            lot_id: `L${k}`,
            type: `T${Math.floor(rnd() * p.types)}`,
            vials: 1000 + Math.floor(rnd() * p.W * 0.95 * 19920),
          }));
          const i = inst({
            lots_data: lots,
            config: { line_count: p.m, window_hours: p.W, initial_clean: p.ic },
            start_time: T0,
          });
          const a = binPackPlan(i, { seed: 3, attempts: 30 })!;
          checkPlan(i, a);
          expect(binPackPlan(i, { seed: 3, attempts: 30 })).toEqual(a);
        },
      ),
      { numRuns: 60 },
    );
  });
});
