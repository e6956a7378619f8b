import { CONFIG_KEYS } from './config-keys';
import { closestMatch, didYouMean, editDistance } from './suggest';

describe('editDistance (optimal string alignment)', () => {
  it.each([
    ['strategy', 'strategy', 0],
    ['stratgy', 'strategy', 1], // deletion
    ['changover_time', 'changeover_time', 1],
    ['chnageover_time', 'changeover_time', 1], // adjacent transposition counts once
    ['line_cuont', 'line_count', 1],
    ['seed', 'send', 1],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
  ])('%s → %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('closestMatch', () => {
  const keys = CONFIG_KEYS.map((k) => k.key);

  it('names the catalogue key a typo most likely meant', () => {
    expect(closestMatch('changover_time', keys)).toBe('changeover_time');
    expect(closestMatch('line-count', keys)).toBe('line_count');
    expect(closestMatch('Clean_Hours', keys)).toBe('clean_hours');
    expect(closestMatch('stratgy', ['name', 'lots_data', 'strategy', 'config'])).toBe('strategy');
  });

  it('suggests nothing for names that are not close (short names need an almost exact match)', () => {
    expect(closestMatch('colour', keys)).toBeUndefined();
    expect(closestMatch('id', ['seed', 'name'])).toBeUndefined();
    expect(closestMatch('totally_unrelated_key', keys)).toBeUndefined();
    expect(didYouMean('foo', keys)).toBe('');
  });
});
