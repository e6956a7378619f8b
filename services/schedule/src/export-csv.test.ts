import { activitiesToCsv, csvField } from './export-csv';
import type { ResultActivity } from './ports';

const activity = (over: Partial<ResultActivity>): ResultActivity => ({
  kind: 'FILL',
  line: 1,
  lot_id: 'L1',
  type: 'A',
  start: '2026-01-01T00:00:00.000Z',
  end: '2026-01-01T01:00:00.000Z',
  duration: 60,
  duration_hours: 1,
  ...over,
});

describe('CSV export: formula injection (OWASP)', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+cmd|/C calc!A0', `"'+1+cmd|/C calc!A0"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
  ])('text %j is neutralised to %s', (text, cell) => {
    expect(csvField(text)).toBe(cell);
  });

  it('ordinary text, and formula characters later in a cell, are left alone', () => {
    expect(csvField('LOT-001')).toBe('LOT-001');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField('x, y')).toBe('"x, y"');
  });

  it('typed numeric columns stay numbers, negative ones included', () => {
    expect(csvField(-5)).toBe('-5');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(2.5)).toBe('2.5');
    // A number-looking *string* in a text column is text and neutralised.
    expect(csvField('-5')).toBe(`"'-5"`);
  });

  it('a whole export: user-supplied lot ids and types cannot become formulas', () => {
    const csv = activitiesToCsv([
      activity({ lot_id: '=cmd|" /C calc"!A0', type: '@evil' }),
      activity({ line: 2, lot_id: 'LOT2', type: 'B', duration: 30, duration_hours: 0.5 }),
    ]);
    const rows = csv.split('\r\n');
    expect(rows[1]).toBe(
      `1,FILL,"'=cmd|"" /C calc""!A0","'@evil",2026-01-01T00:00:00.000Z,2026-01-01T01:00:00.000Z,60,1`,
    );
    expect(rows[2]).toBe('2,FILL,LOT2,B,2026-01-01T00:00:00.000Z,2026-01-01T01:00:00.000Z,30,0.5');
    for (const row of rows.slice(1, -1))
      for (const cell of row.split(',')) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+\-@\t\r]/);
  });
});
