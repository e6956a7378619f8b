import { lowerBound } from '../index';
import { dffBins, maxMatching, maxPairing, typeChangeBlocks, typeGroupWork } from '../lowerBound';
import { HEURISTICS, T0, inst, run, vialsFor } from './helpers';

const lot = (id: string, type: string, hours: number) => ({ lot_id: id, type, vials: vialsFor(hours) });

describe('lower bound: long and mid lots pair at most once per block', () => {
  it('maxPairing is the maximum matching of lots that fit together in the window', () => {
    const fill = [80, 70, 45, 45, 45, 30];
    const type = [0, 0, 0, 0, 1, 0];
    const gap = (a: number, b: number) => (a === b ? 4 : 8);
    // 80 fits with nothing ≥ 40 (80 + 45 + 4 > 120); 70 fits with one 45 of type 0 (119) but not the
    // type-1 45 (123); so one pair among {0,1} × {2,3,4}
    expect(maxPairing([0, 1], [2, 3, 4], fill, type, gap, 120)).toBe(1);
    // the 30 h lot fits with both long lots: a second pair (augmenting path through lot 1)
    expect(maxPairing([0, 1], [2, 5], fill, type, gap, 120)).toBe(2);
    expect(maxPairing([], [2], fill, type, gap, 120)).toBe(0);
  });

  it('one 80 h and three 45 h lots need three blocks although their volume fits two', async () => {
    // 45 h lots: three never share a 120 h window (3·45 + 2·4 > 120), and none fits beside the 80 h lot
    // (80 + 45 + 4 > 120): 1 + ⌈3/2⌉ = 3 blocks → 215 h fill + 3 cleans + 1 changeover = 291 h
    const body = {
      lots_data: [lot('L', 'A', 80), lot('M1', 'A', 45), lot('M2', 'A', 45), lot('M3', 'A', 45)],
      start_time: T0,
    };
    const i = inst(body);
    expect(lowerBound(i)).toBeCloseTo(215 + 3 * 24 + 4, 6);
    for (const s of HEURISTICS) expect((await run(i, s)).result.makespan).toBeCloseTo(291, 6);
  }, 30_000);

  it('a mid lot of another type needs the different-type changeover to fit beside a long lot', () => {
    // 70 + 45 + 4 = 119 fits for type A, 70 + 45 + 8 = 123 does not for type B
    const same = inst({
      lots_data: [lot('L', 'A', 70), lot('M1', 'A', 45), lot('M2', 'A', 45), lot('M3', 'A', 45)],
    });
    const other = inst({
      lots_data: [lot('L', 'A', 70), lot('M1', 'B', 45), lot('M2', 'B', 45), lot('M3', 'B', 45)],
    });
    // same type: [70 45] [45 45] → 2 blocks, 2 changeovers; other type: 1 + ⌈3/2⌉ = 3 blocks
    expect(lowerBound(same)).toBeCloseTo(205 + 2 * 24 + 2 * 4, 6);
    expect(lowerBound(other)).toBeCloseTo(205 + 3 * 24 + 1 * 4, 6);
  });
});

describe('lower bound: bin-packing dual feasible functions', () => {
  it('u_ε counts items above 1 − ε as whole bins and drops those below ε', () => {
    // volume 2.8 → 3, but every 0.7 needs its own bin (0.7 + 0.35 > 1): ε = 0.35 gives 3 + 0.7 → 4
    expect(dffBins([0.7, 0.7, 0.7, 0.35, 0.35])).toBe(4);
    expect(dffBins([0.5, 0.5, 0.5, 0.5])).toBe(2);
    expect(dffBins([0.2, 0.2, 0.2])).toBe(1);
    expect(dffBins([])).toBe(0);
  });

  it('three 82.8 h lots and two 39.4 h lots of one type: four blocks', () => {
    // sizes (f + 4)/124 = 0.7 and 0.35
    const i = inst({
      lots_data: [
        lot('A', 'X', 82.8),
        lot('B', 'X', 82.8),
        lot('C', 'X', 82.8),
        lot('D', 'X', 39.4),
        lot('E', 'X', 39.4),
      ],
    });
    expect(lowerBound(i)).toBeCloseTo(3 * 82.8 + 2 * 39.4 + 4 * 24 + 4, 3);
  });
});

describe('lower bound: long and mid lots as a general matching', () => {
  const graph = (nv: number, edges: Array<[number, number]>): number[][] => {
    const adj: number[][] = Array.from({ length: nv }, () => []);
    for (const [a, b] of edges) {
      adj[a].push(b);
      adj[b].push(a);
    }
    return adj;
  };

  it('maxMatching finds augmenting paths through odd cycles (blossoms)', () => {
    // a 5-cycle 0–1–2–3–4–0 with a pendant 5–0: greedy takes 0–1 and 2–3; the augmenting path
    // 5–0=1–2=3–4 needs the blossom {0,1,2,3,4} contracted
    expect(
      maxMatching(
        graph(6, [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 4],
          [4, 0],
          [5, 0],
        ]),
      ),
    ).toBe(3);
    expect(
      maxMatching(
        graph(5, [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 4],
          [4, 0],
        ]),
      ),
    ).toBe(2);
    expect(
      maxMatching(
        graph(4, [
          [0, 1],
          [0, 2],
          [0, 3],
        ]),
      ),
    ).toBe(1);
    expect(maxMatching(graph(3, []))).toBe(0);
  });

  it('two 57 h lots of different types cannot share a block (57 + 57 + 8 > 120)', async () => {
    const i = inst({ lots_data: [lot('A', 'A', 57), lot('B', 'B', 57)], start_time: T0 });
    expect(lowerBound(i)).toBeCloseTo(2 * 57 + 2 * 24, 6);
    expect((await run(i, 'smart-pack')).result.makespan).toBeCloseTo(2 * 57 + 2 * 24, 6);
    // the same type fits one block: 57 + 4 + 57 + the clean
    const same = inst({ lots_data: [lot('A', 'A', 57), lot('B', 'A', 57)], start_time: T0 });
    expect(lowerBound(same)).toBeCloseTo(2 * 57 + 24 + 4, 6);
  });
});

describe('lower bound: type changes occupy the window', () => {
  it('typeChangeBlocks: one block holds the volume but not the type change', () => {
    // 6 lots, Σ fill 99 h: 99 + 5·4 = 119 ≤ 120, but two types add 4 h more (123 > 120)
    expect(typeChangeBlocks(99, 6, 4, 120, 2, 4)).toBe(2);
    expect(typeChangeBlocks(99, 6, 4, 120, 2, 0)).toBe(1);
    // never above K: with K blocks no type change is forced
    expect(typeChangeBlocks(500, 6, 4, 120, 2, 4)).toBe(2);
  });

  it('two types of three 16.5 h lots need two blocks; the heuristics reach 163 h', async () => {
    const lots = ['A', 'B'].flatMap((t) => [1, 2, 3].map((k) => lot(`${t}${k}`, t, 16.5)));
    const i = inst({ lots_data: lots, start_time: T0 });
    expect(lowerBound(i)).toBeCloseTo(2 * (24 + 3 * 16.5 + 2 * 4), 3);
    for (const s of HEURISTICS) {
      const mk = (await run(i, s)).result.makespan;
      expect(mk).toBeGreaterThanOrEqual(163 - 1e-3);
      if (s === 'smart-pack' || s === 'hybrid-pack') expect(mk).toBeCloseTo(163, 3);
    }
  }, 30_000);
});

describe('lower bound: components of the block–type incidence graph', () => {
  it('typeGroupWork: three types of 1.5 blocks each in five blocks need two type changes', () => {
    // each type: ten 15 h lots (Σ (f + 4) = 190 > 124: two blocks of its own, K = 6); any two types
    // need four blocks (384 > 372), so the cheapest is one component of five blocks with at least
    // 5 + 3 − 1 = 7 incidences: 450 + 5·24 + 25·4 + 2·4 = 678 (the count K − B alone allows one change)
    const g = { W: 120, cMin: 4, extra: 4, clean: 24 };
    expect(typeGroupWork({ ...g, fill: [150, 150, 150], count: [10, 10, 10], need: [2, 2, 2] })).toBeCloseTo(
      678,
      9,
    );
    // one type alone: two blocks, no type change
    expect(typeGroupWork({ ...g, fill: [150], count: [10], need: [2] })).toBeCloseTo(150 + 48 + 8 * 4, 9);
  });

  it('the same instance: the bound is 678 h and smart-pack and hybrid-pack reach it', async () => {
    const lots = ['A', 'B', 'C'].flatMap((t) => Array.from({ length: 10 }, (_, k) => lot(`${t}${k}`, t, 15)));
    const i = inst({ lots_data: lots, start_time: T0 });
    expect(lowerBound(i)).toBeCloseTo(678, 3);
    for (const s of ['smart-pack', 'hybrid-pack'] as const)
      expect((await run(i, s)).result.makespan).toBeCloseTo(678, 3);
  }, 30_000);
});
