import { detectDelimiter, parseLotsCsv } from '../csv';

const expected = [
  { lot_id: 'L1', type: 'A', vials: 1000 },
  { lot_id: 'L2', type: 'B', vials: 2500, priority: 2 },
];

describe('CSV delimiter detection', () => {
  it.each([
    [',', 'Lot ID,Type,Vials,Priority\nL1,A,1000,\nL2,B,2500,2\n'],
    [';', 'Lot ID;Type;Vials;Priority\r\nL1;A;1000;\r\nL2;B;2500;2\r\n'],
    ['tab', 'Lot ID\tType\tVials\tPriority\nL1\tA\t1000\t\nL2\tB\t2500\t2\n'],
    ['; (after a BOM and blank lines)', '\ufeff\n\nLot ID;Type;Vials;Priority\nL1;A;1000;\nL2;B;2500;2\n'],
  ])('reads a file delimited by %s', (_name, text) => {
    expect(parseLotsCsv(text)).toEqual({ lots: expected, errors: [] });
  });

  it('a delimiter inside a quoted header cell does not count', () => {
    expect(detectDelimiter('"Lot ID";"Type, as in product";Vials\n')).toEqual({ ok: true, delimiter: ';' });
  });

  it('with several delimiters the one that yields the required columns wins', () => {
    // ';' splits into Lot ID / Type / Vials; ',' would give "Lot ID;Type;Vials;Fill hours;Note" and " free"
    const r = parseLotsCsv('Lot ID;Type;Vials;Fill hours;Note, free text\nL1;A;1000;1,5;x\n');
    expect(r).toEqual({ lots: [{ lot_id: 'L1', type: 'A', vials: 1000, fill_hours: 1.5 }], errors: [] });
  });

  it('ambiguous header → one error naming the delimiters found, at the header line', () => {
    const r = parseLotsCsv('\nLot ID,Type;Vials\nL1,A;100\n');
    expect(r.lots).toEqual([]);
    expect(r.errors).toEqual([
      {
        loc: ['csv', 2],
        msg: expect.stringContaining("the header line contains ',' (1×) and ';' (1×)"),
        type: 'value_error.csv.delimiter',
      },
    ]);
  });

  it('a comma file keeps rejecting decimal commas (only ; and tab files use them)', () => {
    const r = parseLotsCsv('Lot ID,Type,Vials,Fill hours\nL1,A,1000,"1,5"\n');
    expect(r.errors[0]).toMatchObject({ loc: ['csv', 2, 'fill_hours'] });
  });
});
