import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CONFIG_KEYS,
  INPUT_LIMITS,
  STRATEGIES,
  normalizeInput,
  parseLotsCsv,
  validateConfig,
  validateInput,
} from '../index';

const LOTS = join(__dirname, '../../../../../shared/data/lots');
const lot = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  lot_id: 'LOT001',
  product: 'ProductA',
  quantity: 1000,
  priority: 1,
  ...over,
});
const errorsOf = (raw: Parameters<typeof validateInput>[0]) => validateInput(raw).errors;

describe('validateInput', () => {
  it("accepts the guide's example and warns about a missing priority", () => {
    const r = validateInput({ lots_data: [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000 }] });
    expect(r).toEqual({
      valid: true,
      errors: [],
      warnings: ["Missing 'priority' field for lot LOT001, defaulting to 0"],
    });
  });

  it.each([
    ['duplicate lot ids', [lot(), lot()], ['lots_data', 1, 'lot_id'], /duplicate lot_id 'LOT001'/],
    ['an empty lot id', [lot({ lot_id: '  ' })], ['lots_data', 0, 'lot_id'], /must not be empty/],
    ['a missing lot id', [{ product: 'A', quantity: 5 }], ['lots_data', 0, 'lot_id'], /field required/],
    ['a lot id longer than 64', [lot({ lot_id: 'x'.repeat(65) })], ['lots_data', 0, 'lot_id'], /at most 64/],
    ['an empty type', [lot({ product: '' })], ['lots_data', 0, 'product'], /must not be empty/],
    ['a missing type', [{ lot_id: 'A', vials: 5 }], ['lots_data', 0, 'type'], /field required/],
    ['zero vials', [lot({ quantity: 0 })], ['lots_data', 0, 'quantity'], /greater than 0/],
    ['negative vials', [lot({ quantity: -5 })], ['lots_data', 0, 'quantity'], /greater than 0/],
    ['non-integer vials', [lot({ quantity: 10.5 })], ['lots_data', 0, 'quantity'], /must be an integer/],
    ['non-numeric vials', [lot({ quantity: 'many' })], ['lots_data', 0, 'quantity'], /positive integer/],
    [
      'start window after end window',
      [lot({ start_window: '2024-10-15T08:00:00', end_window: '2024-10-14T08:00:00' })],
      ['lots_data', 0, 'start_window'],
      /after its end_window/,
    ],
    ['a bad date', [lot({ end_window: 'tomorrow' })], ['lots_data', 0, 'end_window'], /ISO 8601/],
    ['a non-integer priority', [lot({ priority: 'high' })], ['lots_data', 0, 'priority'], /integer/],
  ])('rejects %s', (_name, lots, loc, msg) => {
    const errs = errorsOf({ lots_data: lots });
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0].loc).toEqual(loc);
    expect(errs[0].msg).toMatch(msg);
  });

  it('names the largest admissible vials for a lot longer than every window', () => {
    const errs = errorsOf({ lots_data: [lot({ quantity: 2_400_000 })] });
    expect(errs).toHaveLength(1);
    expect(errs[0].type).toBe('value_error.lot_too_large');
    expect(errs[0].msg).toContain('LOT001');
    expect(errs[0].msg).toContain('2390400'); // 120 h × 19,920 vials/h
    // and with a faster line the admissible size grows
    const e2 = errorsOf({
      lots_data: [lot({ quantity: 5_000_000 })],
      config: { lines: [{ id: 1 }, { id: 2, fill_rate_vph: 40000 }] },
    });
    expect(e2[0].msg).toContain('4800000');
    expect(validateInput({ lots_data: [lot({ quantity: 2_390_400 })] }).valid).toBe(true);
  });

  it('rejects unknown lines in fill_hours_by_line', () => {
    const errs = errorsOf({
      lots_data: [lot({ fill_hours_by_line: { '7': 3 } })],
      config: { line_count: 2 },
    });
    expect(errs[0].loc).toEqual(['lots_data', 0, 'fill_hours_by_line', '7']);
    expect(errs[0].msg).toMatch(/unknown line '7'/);
  });

  it('rejects lots below min_batch_size', () => {
    const errs = errorsOf({ lots_data: [lot({ quantity: 50 })], config: { min_batch_size: 100 } });
    expect(errs[0]).toMatchObject({ loc: ['lots_data', 0, 'quantity'], type: 'value_error.min_batch_size' });
  });

  it('warns about unknown config keys and rejects wrong types and ranges', () => {
    const r = validateInput({
      lots_data: [lot()],
      config: { line_count: 0, clean_hours: 'x', colour: 'blue', window_hours: null },
    });
    expect(r.valid).toBe(false);
    expect(r.warnings).toContain("Unknown config key 'colour' is ignored");
    expect(r.errors.map((e) => e.loc)).toEqual([
      ['config', 'line_count'],
      ['config', 'clean_hours'],
    ]);
  });

  it('rejects empty, missing and oversized lots_data', () => {
    expect(errorsOf({ lots_data: [] })[0].msg).toMatch(/at least one lot/);
    expect(errorsOf({ lots_data: undefined })[0].type).toBe('value_error.missing');
    const many = Array.from({ length: INPUT_LIMITS.maxLots + 1 }, (_, i) => ({
      lot_id: `L${i}`,
      type: 'A',
      vials: 1,
    }));
    expect(errorsOf({ lots_data: many })[0].msg).toMatch(/at most 20000 lots/);
  });

  it('never throws, whatever the input', () => {
    const junk: unknown[] = [
      null,
      42,
      'x',
      [],
      { lots_data: 'x' },
      { lots_data: [null, 1, 'a'] },
      { lots_data: [lot()], config: 7 },
      { lots_data: [lot()], config: { lines: [null, { id: 1, downtime: 5 }] } },
    ];
    for (const j of junk) expect(() => normalizeInput(j as never)).not.toThrow();
    for (const j of junk) expect(normalizeInput(j as never).ok).toBe(false);
  });

  it('validates lines: duplicate ids, bad rates, bad downtime, line_count mismatch', () => {
    const r = validateInput({
      lots_data: [lot()],
      config: {
        line_count: 3,
        lines: [
          { id: 1, fill_rate_vph: -1 },
          { id: 1, downtime: [{ start: '2025-01-02T00:00:00', end: '2025-01-01T00:00:00' }] },
        ],
      },
    });
    const msgs = r.errors.map((e) => e.msg).join(' | ');
    expect(msgs).toMatch(/fill_rate_vph must be a number greater than 0/);
    expect(msgs).toMatch(/duplicate line id '1'/);
    expect(msgs).toMatch(/downtime end must be after its start/);
    expect(msgs).toMatch(/line_count \(3\) disagrees/);
  });
});

describe('validateConfig and CONFIG_KEYS', () => {
  it('documents every SPEC key', () => {
    const keys = CONFIG_KEYS.map((k) => k.key);
    for (const k of [
      'line_count',
      'lines',
      'fill_rate_vph',
      'clean_hours',
      'window_hours',
      'initial_clean',
      'changeover_same_hours',
      'changeover_diff_hours',
      'changeover_matrix',
      'changeover_time',
      'min_batch_size',
      'max_makespan',
      'priority_weight',
      'time_limit_s',
      'seed',
      'start_time',
    ])
      expect(keys).toContain(k);
  });
  it("accepts the guide's template config", () => {
    expect(
      validateConfig({
        line_count: 5,
        changeover_time: 30,
        min_batch_size: 100,
        max_makespan: 480,
        priority_weight: 2.0,
      }),
    ).toEqual({ valid: true, errors: [], warnings: [] });
  });
  it('reports errors with loc and warnings', () => {
    const r = validateConfig({
      fill_rate_vph: 0,
      initial_clean: 'yes',
      changeover_matrix: { A: { B: -1 } },
      foo: 1,
    });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.loc)).toEqual([
      ['config', 'fill_rate_vph'],
      ['config', 'initial_clean'],
      ['config', 'changeover_matrix', 'A', 'B'],
    ]);
    expect(r.warnings).toEqual(["Unknown config key 'foo' is ignored"]);
    expect(validateConfig('x').errors[0].loc).toEqual(['config']);
  });
});

describe('strategies list', () => {
  it('matches the API guide', () => {
    expect(STRATEGIES.map((s) => [s.id, s.name])).toEqual([
      ['smart-pack', 'Smart Pack'],
      ['lpt-pack', 'Longest Processing Time'],
      ['spt-pack', 'Shortest Processing Time'],
      ['cfs-pack', 'Critical First Strategy'],
      ['hybrid-pack', 'Hybrid Strategy'],
      ['milp-opt', 'MILP Optimization'],
    ]);
  });
});

describe('parseLotsCsv on the reference files', () => {
  const read = (f: string): string => readFileSync(join(LOTS, f), 'utf8');
  it.each([
    ['invalid_blank_id.csv', ['csv', 2, 'Lot ID'], /must not be blank/],
    ['invalid_blank_type.csv', ['csv', 2, 'Type'], /must not be blank/],
    ['invalid_missing_column.csv', ['csv', 1, 'Type'], /missing column 'Type'/],
    ['invalid_missing_vials.csv', ['csv', 2, 'Vials'], /must not be blank/],
    ['invalid_negative_vials.csv', ['csv', 2, 'Vials'], /greater than 0/],
    ['duplicate_ids.csv', ['csv', 3, 'Lot ID'], /duplicate Lot ID 'L001'/],
    ['partial_sequence.csv', ['csv', 1, 'Type'], /missing column/],
  ])('%s is rejected', (file, loc, msg) => {
    const { errors } = parseLotsCsv(read(file));
    expect(errors[0].loc).toEqual(loc);
    expect(errors[0].msg).toMatch(msg);
  });

  it('empty_lots.csv parses to no lots, which validation rejects', () => {
    const { lots, errors } = parseLotsCsv(read('empty_lots.csv'));
    expect(errors).toEqual([]);
    expect(validateInput({ lots_data: lots }).valid).toBe(false);
  });

  it('every valid reference file validates', () => {
    const valid = readdirSync(LOTS).filter((f) => !/^(invalid|duplicate|empty|partial|sequence)/.test(f));
    expect(valid.length).toBeGreaterThanOrEqual(12);
    for (const f of valid) {
      const { lots, errors } = parseLotsCsv(read(f));
      expect([f, errors]).toEqual([f, []]);
      const r = validateInput({ lots_data: lots });
      expect([f, r.valid, r.errors]).toEqual([f, true, []]);
    }
  });

  it('handles quotes, CRLF, BOM and the optional guide columns', () => {
    const text =
      '\ufeffLot ID,Type,Vials,priority,start_window\r\n"A,1","Type ""A""",100,2,2024-10-14T08:00:00\r\nB,T,5,,\r\n';
    const { lots, errors } = parseLotsCsv(text);
    expect(errors).toEqual([]);
    expect(lots).toEqual([
      { lot_id: 'A,1', type: 'Type "A"', vials: 100, priority: 2, start_window: '2024-10-14T08:00:00' },
      { lot_id: 'B', type: 'T', vials: 5 },
    ]);
  });
});
