/** Test helpers of the contracts (imported as `@fillsched/contracts/testing`). */
import type { ResultActivity, ResultDocument } from './result-document';

/**
 * What the engine makes of 20,000 lots on 100 lines with two downtimes each: per lot a changeover
 * (or clean) and a fill, the downtimes, and idle gaps — ~50,000 activities, ~8 MB of JSON.
 */
export function inputLimitDocument(lots = 20_000, lines = 100): ResultDocument {
  const base = Date.UTC(2026, 0, 1, 8);
  const iso = (h: number) => new Date(base + h * 3_600_000).toISOString().replace('.000Z', '');
  const activities: ResultActivity[] = [];
  const perLine = lots / lines;
  for (let k = 1; k <= lines; k++) {
    let t = 0;
    const push = (a: Omit<ResultActivity, 'start' | 'end' | 'duration' | 'duration_hours'>, h: number) => {
      activities.push({ ...a, start: iso(t), end: iso(t + h), duration: h * 60, duration_hours: h });
      t += h;
    };
    push({ kind: 'DOWNTIME', line: k, reason: 'maintenance' }, 4);
    for (let j = 0; j < perLine; j++) {
      const lot = (k - 1) * perLine + j + 1;
      push({ kind: j % 7 ? 'CHANGEOVER' : 'CLEAN', line: k, lot_id: `L${lot}`, type: `P${lot % 400}` }, 0.5);
      push({ kind: 'FILL', line: k, lot_id: `L${lot}`, type: `P${lot % 400}` }, 2.345678);
      if (j === perLine / 2) push({ kind: 'DOWNTIME', line: k, reason: 'cleaning validation' }, 2);
      if (j % 2 === 0) push({ kind: 'IDLE', line: k }, 1.25);
    }
  }
  return {
    summary: {
      makespan: 120.5,
      utilization: 0.8,
      changeovers: lots,
      lots_scheduled: lots,
      window_violations: 0,
      kpis: { total_production_time: 120.5, lower_bound: 10, gap: 0.2 },
      per_line: Array.from({ length: lines }, (_, k) => ({
        line: k + 1,
        line_id: `line-${k + 1}`,
        makespan: 120.5,
        fill_hours: 100,
        utilization: 0.8,
        changeovers: perLine - 1,
        cleans: 1,
        lots: perLine,
      })),
      lower_bound: 10,
      gap: 0.2,
      execution_time: 1.5,
      activity_count: activities.length,
    },
    activities,
  };
}
