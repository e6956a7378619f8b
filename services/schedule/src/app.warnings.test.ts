import { makeHarness, type TestHarness } from './testing/fakes';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const lots = [{ lot_id: 'LOT001', product: 'ProductA', quantity: 1000, priority: 1 }];

let h: TestHarness;
beforeEach(() => {
  h = makeHarness();
});
const create = (body: unknown) => h.app.handlers.create({ user: alice, body });
const warningsOf = (body: unknown) => (body as { warnings: string[] }).warnings;

describe('create: what was ignored is reported, not silent', () => {
  test('a misspelt top-level field and config key → 202 with one warning each, with the likely name', async () => {
    const res = await create({
      name: 'typos',
      lots_data: lots,
      stratgy: 'lpt-pack',
      config: { line_count: 2, changover_time: 30 },
    });
    expect(res.status).toBe(202);
    expect(warningsOf(res.body)).toEqual([
      "Unknown field 'stratgy' is ignored (did you mean 'strategy'?)",
      "Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)",
    ]);
    // Accepted: the default strategy runs, but the reply says why it is not lpt-pack.
    expect(res.body).toMatchObject({ strategy: 'smart-pack', status: 'pending' });
  });

  test('the warnings are stored with the run: GET shows them (list items keep the guide shape)', async () => {
    await create({ name: 'typos', lots_data: lots, colour: 'blue' });
    const expected = ["Unknown field 'colour' is ignored"];
    expect((await h.schedules.get(1))!.warnings).toEqual(expected);
    const got = await h.app.handlers.get({ user: alice, params: { id: '1' } });
    expect(warningsOf(got.body)).toEqual(expected);
    const list = await h.app.handlers.list({ user: alice, query: {} });
    expect((list.body as { schedules: object[] }).schedules[0]).not.toHaveProperty('warnings');
  });

  test('a clean request → warnings []', async () => {
    const res = await create({ name: 'ok', lots_data: lots, config: { line_count: 2 } });
    expect(warningsOf(res.body)).toEqual([]);
  });

  test("unknown keys the user's default template brings in are reported too (they are ignored in this run)", async () => {
    h.resolver.defaultTemplate = { id: 9, config: { line_count: 2, clean_hour: 12 } };
    const res = await create({ name: 'tpl', lots_data: lots });
    expect(warningsOf(res.body)).toEqual([
      "Unknown config key 'clean_hour' is ignored (did you mean 'clean_hours'?)",
    ]);
  });

  test('a CSV upload reports unknown form fields the gateway forwarded', async () => {
    const res = await create({
      name: 'csv',
      lots_csv: 'Lot ID,Type,Vials\nA,X,1000\n',
      stratgy: 'lpt-pack',
    });
    expect(res.status).toBe(202);
    expect(warningsOf(res.body)).toEqual(["Unknown field 'stratgy' is ignored (did you mean 'strategy'?)"]);
  });

  test('a rejected request stores nothing (422 wins over warnings)', async () => {
    const res = await create({ name: 'bad', lots_data: lots, stratgy: 'x', config: { line_count: 0 } });
    expect(res.status).toBe(422);
    expect(await h.schedules.get(1)).toBeNull();
  });
});
