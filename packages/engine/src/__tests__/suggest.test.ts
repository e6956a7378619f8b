import { validateConfig, validateInput } from '../index';

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
