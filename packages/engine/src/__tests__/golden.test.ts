import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lowerBound, parseLotsCsv, STRATEGY_IDS } from '../index';
import { HEURISTICS, T0, at, inst, run, vialsFor } from './helpers';

const LOTS = join(__dirname, '../../../../../shared/data/lots');

describe('golden cases (hand-computed)', () => {
  const three = {
    lots_data: [
      { lot_id: 'A1', type: 'A', vials: vialsFor(1), priority: 0 },
      { lot_id: 'A2', type: 'A', vials: vialsFor(2), priority: 0 },
      { lot_id: 'B1', type: 'B', vials: vialsFor(3), priority: 0 },
    ],
    start_time: T0,
  };

  // the first cases run every strategy (the MILP included): a longer timeout for loaded machines
  it('3 lots of 2 types on one line: 24 + fill + 4 + 8 hours, and the bound proves it', async () => {
    const out = await run(three, 'smart-pack');
    expect(out.result.makespan).toBeCloseTo(24 + 6 + 4 + 8, 4);
    expect(out.lower_bound).toBeCloseTo(42, 4);
    expect(out.gap).toBe(0);
    const kinds = out.result.activities.map((a) => a.kind);
    expect(kinds).toEqual(['CLEAN', 'FILL', 'CHANGEOVER', 'FILL', 'CHANGEOVER', 'FILL']);
    expect(out.result.activities[0]).toMatchObject({
      line: 1,
      start: '2025-03-03T00:00:00.000Z',
      end: '2025-03-04T00:00:00.000Z',
      duration: 1440,
      duration_hours: 24,
    });
    expect(out.result.changeovers).toBe(2);
    expect(out.result.kpis).toMatchObject({
      cleans: 1,
      clean_hours: 24,
      changeover_hours: 12,
      fill_hours: 6,
      on_time_delivery_rate: 1,
    });
    expect(out.result.utilization).toBeCloseTo(6 / 42, 4);
    for (const s of STRATEGY_IDS)
      expect((await run(three, s)).result.makespan).toBeGreaterThanOrEqual(42 - 1e-6);
  }, 60_000);

  it('without a cleaning regime a long changeover is paid, never dodged with a CLEAN', async () => {
    // A→B costs 50 h on the only line, far more than a 24 h CLEAN, but window_hours null means
    // there are no cleans after the first block: 2 + 50 + 3 hours (no initial clean)
    const input = {
      lots_data: [
        { lot_id: 'A1', type: 'A', vials: 1, fill_hours: 2 },
        { lot_id: 'B1', type: 'B', vials: 1, fill_hours: 3 },
      ],
      config: { window_hours: null, initial_clean: false, changeover_matrix: { A: { B: 50 }, B: { A: 50 } } },
      start_time: T0,
    };
    for (const s of STRATEGY_IDS) {
      const out = await run(input, s);
      expect(out.result.makespan).toBeCloseTo(55, 6);
      expect(out.result.activities.map((a) => a.kind)).toEqual(['FILL', 'CHANGEOVER', 'FILL']);
    }
  }, 60_000);

  it('lots.csv on one line with the defaults reaches the proven optimum 497.16 h', async () => {
    const { lots, errors } = parseLotsCsv(readFileSync(join(LOTS, 'lots.csv'), 'utf8'));
    expect(errors).toEqual([]);
    const i = inst({ lots_data: lots });
    const out = await run(i, 'smart-pack');
    expect(out.result.makespan).toBeCloseTo(497.16, 2);
    expect(out.result.kpis.cleans).toBe(4);
    expect(lowerBound(i)).toBeLessThanOrEqual(497.17);
    for (const s of HEURISTICS) expect((await run(i, s)).result.makespan).toBeGreaterThanOrEqual(497.16);
  }, 60_000);

  it('lots_large.csv: the bound counts the lots that need a block of their own', async () => {
    const { lots } = parseLotsCsv(readFileSync(join(LOTS, 'lots_large.csv'), 'utf8'));
    const i = inst({ lots_data: lots });
    // 256 lots exceed (120 − 4)/2 h and 84 more exceed (120 − 8)/3 h ("mid": two at most per block,
    // one at most beside a long lot). A block holds one long–mid or mid–mid pair that fits the window at
    // most; the maximum matching of those pairs has 79 edges, so 256 + 84 − 79 = 261 blocks, 239
    // changeovers of ≥ 4 h, Σ fill = 29,125.43 h. Per type the lots need 263 blocks of their own (K: 56
    // VialE by volume, 65 VialF and 69 VialH by the long/mid matching, 73 VialX by the bin-packing
    // function u_ε at ε = 24.15/124), so 261 blocks hold ≥ 2 type changes (+4 h each); 262 blocks
    // would cost 20 h − 4 h more. 36,353.43 h: above the 36,349.43 h the README argued before.
    expect(lowerBound(i)).toBeCloseTo(29125.4268 + 261 * 24 + 239 * 4 + 2 * 4, 3);
    const out = await run(i, 'smart-pack');
    expect(out.result.makespan).toBeLessThan(36_400);
    expect(out.gap).toBeLessThan(0.005);
  }, 30_000);

  it('waits for a start window (IDLE, then a CLEAN that ends when the lot may start)', async () => {
    const out = await run(
      { lots_data: [{ lot_id: 'L', type: 'A', vials: vialsFor(1), start_window: at(30) }], start_time: T0 },
      'smart-pack',
    );
    expect(out.result.activities.map((a) => [a.kind, a.duration_hours])).toEqual([
      ['IDLE', 6],
      ['CLEAN', 24],
      ['FILL', 1],
    ]);
    expect(out.result.makespan).toBeCloseTo(31, 6);
  });

  it('default start time is the earliest start window', async () => {
    const out = await run(
      { lots_data: [{ lot_id: 'L', type: 'A', vials: vialsFor(1), start_window: '2024-10-14T08:00:00' }] },
      'lpt-pack',
    );
    expect(out.result.activities[0].start).toBe('2024-10-14T08:00:00.000Z');
    expect(out.result.makespan).toBeCloseTo(25, 6);
  });

  it('moves work after a downtime and opens the next block with a CLEAN', async () => {
    const raw = {
      lots_data: [
        { lot_id: 'A', type: 'A', vials: vialsFor(5), priority: 1 },
        { lot_id: 'B', type: 'A', vials: vialsFor(5), priority: 1 },
      ],
      config: { lines: [{ id: 1, downtime: [{ start: at(30), end: at(35), reason: 'maintenance' }] }] },
      start_time: T0,
    };
    for (const s of HEURISTICS) {
      const out = await run(raw, s);
      expect(out.result.makespan).toBeCloseTo(64, 6);
      expect(out.result.activities.map((a) => a.kind)).toEqual([
        'CLEAN',
        'FILL',
        'IDLE',
        'DOWNTIME',
        'CLEAN',
        'FILL',
      ]);
      expect(out.result.activities[3]).toMatchObject({ reason: 'maintenance', duration_hours: 5 });
    }
  });

  it('a downtime at the start delays the first CLEAN', async () => {
    const raw = {
      lots_data: [{ lot_id: 'A', type: 'A', vials: vialsFor(5) }],
      config: { lines: [{ id: 'L1', downtime: [{ start: at(10), end: at(20) }] }] },
      start_time: T0,
    };
    const out = await run(raw, 'smart-pack');
    expect(out.result.activities.map((a) => [a.kind, a.duration_hours])).toEqual([
      ['IDLE', 10],
      ['DOWNTIME', 10],
      ['CLEAN', 24],
      ['FILL', 5],
    ]);
  });

  it('reports tardiness against end windows', async () => {
    const out = await run(
      { lots_data: [{ lot_id: 'L', type: 'A', vials: vialsFor(10), end_window: at(20) }], start_time: T0 },
      'cfs-pack',
    );
    expect(out.result.window_violations).toBe(1);
    expect(out.result.kpis.tardiness_hours).toBeCloseTo(14, 4);
    expect(out.result.kpis.on_time_delivery_rate).toBe(0);
  });

  it('changeover matrix, no cleaning regime, no initial clean (the Vallada–Ruiz mapping)', async () => {
    const raw = {
      lots_data: [
        { lot_id: 'x', type: 'X', vials: 1, fill_hours: 2 },
        { lot_id: 'y', type: 'Y', vials: 1, fill_hours: 3 },
      ],
      config: { window_hours: null, initial_clean: false, changeover_matrix: { X: { Y: 1 }, Y: { X: 5 } } },
    };
    const out = await run(raw, 'smart-pack');
    expect(out.result.makespan).toBeCloseTo(6, 6);
    expect(out.lower_bound).toBeCloseTo(6, 6);
    expect(out.result.activities.map((a) => a.kind)).toEqual(['FILL', 'CHANGEOVER', 'FILL']);
  });

  it('a line matrix wins over the global matrix, which wins over the defaults', async () => {
    const raw = {
      lots_data: [
        { lot_id: 'a', type: 'A', vials: vialsFor(1) },
        { lot_id: 'b', type: 'B', vials: vialsFor(1) },
      ],
      config: {
        changeover_matrix: { A: { B: 6 }, B: { A: 7 } },
        lines: [{ id: 1, changeover_matrix: { A: { B: 2 } } }],
      },
    };
    expect((await run(raw, 'hybrid-pack')).result.makespan).toBeCloseTo(24 + 1 + 2 + 1, 6);
  });

  it("the guide's changeover_time (minutes) is the different-product changeover", async () => {
    const raw = {
      lots_data: [
        {
          lot_id: 'LOT001',
          product: 'ProductA',
          quantity: 1000,
          priority: 1,
          start_window: '2024-10-14T08:00:00',
          end_window: '2024-10-14T16:00:00',
        },
        { lot_id: 'LOT002', product: 'ProductB', quantity: vialsFor(1), priority: 0 },
      ],
      config: { line_count: 1, changeover_time: 30 },
      start_time: '2024-10-14T08:00:00',
    };
    const out = await run(raw, 'smart-pack');
    const co = out.result.activities.find((a) => a.kind === 'CHANGEOVER');
    expect(co?.duration).toBeCloseTo(30, 6);
  });

  it('unrelated lines: a lot runs only where fill_hours_by_line allows', async () => {
    const raw = {
      lots_data: [
        { lot_id: 'a', type: 'A', vials: 1, fill_hours_by_line: { '2': 5 } },
        { lot_id: 'b', type: 'A', vials: 1, fill_hours_by_line: { '1': 5, '2': 50 } },
      ],
      config: { line_count: 2 },
    };
    for (const s of HEURISTICS) {
      const out = await run(raw, s);
      const fa = out.result.activities.find((a) => a.kind === 'FILL' && a.lot_id === 'a');
      expect(fa?.line).toBe(2);
      expect(out.result.makespan).toBeCloseTo(29, 6);
    }
  });

  it('splits into blocks when the cleaning window is full', async () => {
    const raw = { lots_data: [0, 1, 2].map((i) => ({ lot_id: `L${i}`, type: 'A', vials: vialsFor(50) })) };
    const out = await run(raw, 'smart-pack');
    // two lots per block: 50 + 4 + 50 = 104 ≤ 120; the third needs a new block
    expect(out.result.kpis.cleans).toBe(2);
    expect(out.result.makespan).toBeCloseTo(24 + 104 + 24 + 50, 6);
  });

  it('max_makespan is reported, not fatal', async () => {
    const out = await run({ ...three, config: { max_makespan: 10 } }, 'lpt-pack');
    expect(out.result.kpis.max_makespan_exceeded).toBe(true);
  });

  it('tiny lots (1000 vials ≈ 3 minutes) work', async () => {
    const out = await run({ lots_data: [{ lot_id: 'LOT001', product: 'A', quantity: 1000 }] }, 'smart-pack');
    expect(out.result.activities[1].duration).toBeCloseTo((1000 / 19920) * 60, 3);
  });
});
