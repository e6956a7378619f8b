/** Seeded generator of multi-line instances with start/end windows, priorities and downtime (bench and tests). */
import { makeRng } from '../context';
import type { RawScheduleInput } from '../types';

export interface GenerateOptions {
  lots: number;
  lines: number;
  seed: number;
  types?: number;
  windows?: boolean;
  downtime?: boolean;
  /** mean vials per lot (default 400k ≈ 20 h at 19,920 vials/h) */
  meanVials?: number;
}

const START = Date.UTC(2025, 0, 6, 6, 0, 0);
const iso = (h: number): string =>
  new Date(START + Math.round(h * 3600) * 1000).toISOString().replace('.000Z', '');

export function generateInstance(o: GenerateOptions): RawScheduleInput {
  const rng = makeRng(o.seed);
  const types = o.types ?? Math.min(8, 2 + Math.floor(o.lots / 20));
  const mean = o.meanVials ?? 400_000;
  const lots = [];
  let totalH = 0;
  for (let i = 0; i < o.lots; i++) {
    const vials = Math.max(1000, Math.round(mean * (0.1 + 1.8 * rng())));
    totalH += vials / 19920;
    lots.push({
      lot_id: `G${String(i + 1).padStart(5, '0')}`,
      product: `P${1 + Math.floor(rng() * types)}`,
      quantity: vials,
      priority: Math.floor(rng() * 4),
    });
  }
  const horizon = (totalH * 1.35) / o.lines + 48;
  const withWindows = o.windows ?? true;
  const out = lots.map((l) => {
    const x: Record<string, unknown> = { ...l };
    if (withWindows) {
      if (rng() < 0.3) x.start_window = iso(rng() * horizon * 0.6);
      if (rng() < 0.5) {
        const sw = x.start_window ? (Date.parse(x.start_window + 'Z') - START) / 3.6e6 : 0;
        x.end_window = iso(sw + 24 + rng() * horizon);
      }
    }
    return x;
  });
  const lines = [];
  for (let k = 0; k < o.lines; k++) {
    const downtime = [];
    if (o.downtime ?? true) {
      const count = 1 + Math.floor(rng() * 2);
      for (let d = 0; d < count; d++) {
        const s = rng() * horizon;
        downtime.push({ start: iso(s), end: iso(s + 8 + rng() * 16), reason: 'planned maintenance' });
      }
    }
    lines.push({
      id: k + 1,
      name: `Line ${k + 1}`,
      fill_rate_vph: Math.round(19920 * (0.85 + 0.3 * rng())),
      downtime,
    });
  }
  return { lots_data: out, config: { lines }, start_time: iso(0) };
}
