import { makeRng } from '../context';
import { toIso } from '../time';

describe('toIso', () => {
  test('formats like Date.prototype.toISOString (rounded to the millisecond)', () => {
    const rng = makeRng(7);
    const cases = [
      0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 4_107_542_400_000, 253_402_300_799_999,
    ];
    // leap days, month and year ends, and random instants from 1970 to 9999 with fractions
    for (let i = 0; i < 20_000; i++) cases.push(rng() * 253_402_300_799_999);
    for (const y of [1972, 2000, 2024, 2100, 2400])
      for (const [mo, d] of [
        [1, 28],
        [1, 29],
        [2, 1],
        [11, 31],
        [0, 1],
      ])
        cases.push(Date.UTC(y, mo, d) - 0.4, Date.UTC(y, mo, d) + 0.6);
    for (const ms of cases) expect(toIso(ms)).toBe(new Date(Math.round(ms)).toISOString());
  });

  test('falls back to Date outside 1970–9999', () => {
    for (const ms of [-1, -86_400_000 * 365.25 * 100, 253_402_300_800_000, 8.64e15])
      expect(toIso(ms)).toBe(new Date(Math.round(ms)).toISOString());
  });
});
