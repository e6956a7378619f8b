import { solve } from '../index';
import { T0, at, inst, vialsFor } from './helpers';

describe('explanations', () => {
  it('explains a lot late because of its window, one late because of a downtime, and the binding bound', async () => {
    const i = inst({
      lots_data: [
        { lot_id: 'A', type: 'X', vials: vialsFor(10), end_window: at(5) },
        { lot_id: 'B', type: 'X', vials: vialsFor(4) },
        { lot_id: 'C', type: 'Y', vials: vialsFor(4), end_window: at(30) },
      ],
      config: {
        lines: [{ id: 'L1', downtime: [{ start: at(0), end: at(40), reason: 'overhaul' }] }],
      },
      start_time: T0,
    });
    const out = await solve(i, { strategy: 'lpt-pack', timeLimitS: 5 });
    const ex = out.result.explanations!;
    expect(ex.late_lots_total).toBe(out.result.window_violations);
    const a = ex.late_lots.find((l) => l.lot_id === 'A')!;
    expect(a.reasons.join(' ')).toMatch(/window is too short/);
    expect(a.reasons.join(' ')).toMatch(/downtime on line 1 .*overhaul/);
    expect(a.capacity_before.downtime_hours).toBeCloseTo(40, 3);
    expect(a.window.end).toBe(at(5));
    const c = ex.late_lots.find((l) => l.lot_id === 'C')!;
    expect(c.reasons.join(' ')).toMatch(/overhaul/);
    expect(c.capacity_before.lots).toBeGreaterThan(0);
    // score per term adds up
    const sum = ex.score.terms.reduce((s, t) => s + t.contribution, 0);
    expect(ex.score.total).toBeCloseTo(sum, 3);
    expect(ex.score.terms.find((t) => t.term === 'makespan')!.value).toBeCloseTo(out.result.makespan, 3);
    // one line, three lots: the total work binds (downtime is not in the bound)
    expect(['total-work', 'single-lot']).toContain(ex.lower_bound.binding);
    expect(ex.lower_bound.value).toBe(out.result.kpis.lower_bound);
    expect(ex.lower_bound.argument).toMatch(/makespan ≥/);
  });

  it('names the single lot that binds the bound', async () => {
    const i = inst({
      lots_data: [
        { lot_id: 'BIG', type: 'X', vials: vialsFor(50) },
        { lot_id: 's1', type: 'X', vials: vialsFor(1) },
        { lot_id: 's2', type: 'X', vials: vialsFor(1) },
      ],
      config: { line_count: 3 },
      start_time: T0,
    });
    const out = await solve(i, { strategy: 'smart-pack', timeLimitS: 5 });
    const lb = out.result.explanations!.lower_bound;
    expect(lb.binding).toBe('single-lot');
    expect(lb.argument).toMatch(/lot BIG alone/);
    expect(out.result.explanations!.late_lots).toEqual([]);
  });
});
