import { parseLotsCsv } from '../csv';
import { normalizeInput } from '../input';
import { solve } from '../solve';
import { warmUp } from '../warmup';

const CSV = [
  'Lot ID,Type,Vials',
  'A1,VialE,900000',
  'A2,VialE,300000',
  'B1,VialF,1500000',
  'B2,VialF,200000',
].join('\n');

describe('warmUp', () => {
  test('resolves, and a solve after it returns the same schedule as before it', async () => {
    const n = normalizeInput({ lots_data: parseLotsCsv(CSV).lots });
    if (!n.ok) throw new Error('fixture does not validate');
    const before = await solve(n.instance, { strategy: 'smart-pack', seed: 3 });
    await expect(warmUp()).resolves.toBeUndefined();
    const after = await solve(n.instance, { strategy: 'smart-pack', seed: 3 });
    expect(after.result.activities).toEqual(before.result.activities);
    expect(after.result.makespan).toBe(before.result.makespan);
  });
});
