import { CONFIG_KEYS, validateConfig, validateInput } from '../index';
import { closestMatch, didYouMean, editDistance } from '../suggest';

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

describe('unknown names are reported with a suggestion', () => {
  it('config keys, keys of config.lines and lot fields', () => {
    const r = validateInput({
      lots_data: [{ lot_id: 'A', type: 'X', vials: 1000, priorty: 2 }],
      config: { changover_time: 30, lines: [{ id: 1, fill_rate_vhp: 100 }] },
    });
    expect(r.warnings).toEqual(
      expect.arrayContaining([
        "Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)",
        "Unknown key 'fill_rate_vhp' in config.lines[0] is ignored (did you mean 'fill_rate_vph'?)",
        "Unknown field 'priorty' in lot A is ignored (did you mean 'priority'?)",
      ]),
    );
    expect(validateConfig({ colour: 'blue' }).warnings).toEqual(["Unknown config key 'colour' is ignored"]);
  });
});
