import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../cli';

/** `shared/` sits beside the checkout, which may be nested (a git worktree), so look upwards. */
function sharedLots(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'shared')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'shared/data/lots');
}
const LOTS = sharedLots();

async function cli(args: string[]): Promise<{ code: number; docs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const code = await main(args, (s) => lines.push(s));
  return { code, docs: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('CLI', () => {
  it('solves a reference CSV with every strategy, one JSON document per run', async () => {
    const { code, docs } = await cli([
      'solve',
      join(LOTS, 'simple_lots.csv'),
      '--strategy',
      'all',
      '--lines',
      '2',
      '--time-limit',
      '3',
      '--seed',
      '5',
    ]);
    expect(code).toBe(0);
    expect(docs.map((d) => d.strategy)).toEqual([
      'smart-pack',
      'lpt-pack',
      'spt-pack',
      'cfs-pack',
      'hybrid-pack',
      'milp-opt',
    ]);
    for (const d of docs) {
      expect(d).toHaveProperty('lower_bound');
      expect(d).toHaveProperty('gap');
      expect(d).toHaveProperty('execution_time');
      const r = d.result as Record<string, unknown>;
      for (const k of [
        'makespan',
        'utilization',
        'changeovers',
        'lots_scheduled',
        'window_violations',
        'kpis',
        'activities',
      ])
        expect(r).toHaveProperty(k);
      expect((r.kpis as Record<string, unknown>).lines).toBe(2);
    }
  }, 60_000);

  it('solves a JSON body of POST /api/v1/schedule (strategy from the body)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fse-'));
    const f = join(dir, 'body.json');
    writeFileSync(
      f,
      JSON.stringify({
        name: 'Production Schedule - Week 42',
        lots_data: [
          {
            lot_id: 'LOT001',
            product: 'ProductA',
            quantity: 1000,
            priority: 1,
            start_window: '2024-10-14T08:00:00',
            end_window: '2024-10-14T16:00:00',
          },
        ],
        strategy: 'cfs-pack',
        config: { line_count: 3, changeover_time: 30 },
        start_time: '2024-10-14T08:00:00',
      }),
    );
    const { code, docs } = await cli(['solve', f]);
    expect(code).toBe(0);
    expect(docs).toHaveLength(1);
    expect(docs[0].strategy).toBe('cfs-pack');
    // the line cleans (24 h) before the 3-minute fill, so it finishes after the 16:00 end window
    expect((docs[0].result as { window_violations: number }).window_violations).toBe(1);
  });

  it('validate: exit 0 with warnings for a valid file, 2 with errors for an invalid one', async () => {
    const ok = await cli(['validate', join(LOTS, 'lots.csv')]);
    expect(ok.code).toBe(0);
    expect(ok.docs[0]).toMatchObject({ valid: true, errors: [] });
    const bad = await cli(['validate', join(LOTS, 'invalid_blank_type.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.docs[0]).toMatchObject({ valid: false, errors: [{ loc: ['csv', 2, 'Type'] }] });
  });

  it('usage errors exit 1', async () => {
    expect((await cli(['solve', join(LOTS, 'lots.csv'), '--strategy', 'nope'])).code).toBe(1);
    expect((await cli(['frobnicate'])).code).toBe(1);
    expect((await cli(['solve', '/nonexistent.csv'])).code).toBe(1);
  });

  describe('output for a person or a program', () => {
    const run = async (args: string[], terminal: boolean) => {
      const lines: string[] = [];
      const code = await main(args, (s) => lines.push(...s.split('\n')), terminal);
      return { code, lines };
    };
    const args = [
      'solve',
      join(LOTS, 'simple_lots.csv'),
      '--strategy',
      'all',
      '--lines',
      '1',
      '--time-limit',
      '2',
    ];

    it('a terminal gets one summary row per strategy under a header', async () => {
      const { code, lines } = await run(args, true);
      expect(code).toBe(0);
      const header = lines.findIndex((l) => l.startsWith('strategy'));
      for (const col of ['makespan', 'lower bound', 'gap', 'changeovers', 'cleans', 'time'])
        expect(lines[header]).toContain(col);
      const rows = lines.slice(header + 2);
      expect(rows.map((r) => r.split(/\s+/)[0])).toEqual([
        'smart-pack',
        'lpt-pack',
        'spt-pack',
        'cfs-pack',
        'hybrid-pack',
        'milp-opt',
      ]);
      for (const r of rows) expect(r).toMatch(/^\S+\s+[\d.]+ h\s+[\d.]+ h\s+[\d.]+%\s+\d+\s+\d+\s+[\d.]+ s$/);
    }, 60_000);

    it('--json on a terminal, and any pipe, get the JSON documents', async () => {
      const one = ['solve', join(LOTS, 'simple_lots.csv'), '--strategy', 'lpt-pack', '--lines', '1'];
      for (const [argv, terminal] of [
        [[...one, '--json'], true],
        [one, false],
      ] as const) {
        const { code, lines } = await run([...argv], terminal);
        expect(code).toBe(0);
        expect(JSON.parse(lines[0])).toMatchObject({
          strategy: 'lpt-pack',
          result: { lots_scheduled: expect.any(Number) },
        });
      }
    });
  });
});
