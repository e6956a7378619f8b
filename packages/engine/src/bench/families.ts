/**
 * Generated lot families for the quality bench (issue 9): many small-to-medium lots of a few types,
 * fill hours uniform in [0.5, 20] at the default 19,920 vials/h, no windows or downtime (the
 * reference implementation's setting), on one line or several identical lines. Fixed seeds, so the
 * reference figures in `reference-figures.json` were measured on exactly these lots.
 */
import { makeRng } from '../context';
import type { RawScheduleInput } from '../types';

export interface FamilyLot {
  lot_id: string;
  type: string;
  vials: number;
}

export interface Family {
  name: string;
  lots: number;
  types: number;
  lines: number;
  seed: number;
}

const RATE = 19920;

export const FAMILIES: Family[] = [
  ...[100, 1000, 5000].flatMap((lots) =>
    [2, 8, 12].map((types) => ({ lots, types, lines: 1, seed: 9000 + lots + types })),
  ),
  { lots: 2000, types: 8, lines: 1, seed: 9208 },
  { lots: 1000, types: 8, lines: 4, seed: 9408 },
  { lots: 5000, types: 12, lines: 10, seed: 9512 },
].map((f) => ({ ...f, name: `fam-${f.lots}-t${f.types}-l${f.lines}` }));

/** The lots of a family (`Lot ID,Type,Vials` semantics). */
export function familyLots(f: Family): FamilyLot[] {
  const rng = makeRng(f.seed);
  const out: FamilyLot[] = [];
  for (let i = 0; i < f.lots; i++) {
    const hours = 0.5 + 19.5 * rng();
    out.push({
      lot_id: `F${String(i + 1).padStart(5, '0')}`,
      type: `T${1 + Math.floor(rng() * f.types)}`,
      vials: Math.max(1, Math.round(hours * RATE)),
    });
  }
  return out;
}

export function familyInput(f: Family): RawScheduleInput {
  return { lots_data: familyLots(f), config: { line_count: f.lines } };
}

/** The family as a `Lot ID,Type,Vials` CSV (what the reference reads). */
export function familyCsv(f: Family): string {
  return (
    ['Lot ID,Type,Vials', ...familyLots(f).map((l) => `${l.lot_id},${l.type},${l.vials}`)].join('\n') + '\n'
  );
}
