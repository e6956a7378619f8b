import { ACTIVITIES_PAGE_MAX } from '@fillsched/contracts';
import { chunksOf, makeRecord, makeResult } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';
import type { ResultDocument } from '@fillsched/contracts';
import type { ScheduleRecord } from './ports';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };

let h: TestHarness;
let result: ResultDocument;
beforeEach(async () => {
  h = makeHarness();
  await h.schedules.create(makeRecord(1, { status: 'completed' }));
  result = makeResult(25);
  await h.results.upsert(1, chunksOf(result));
});
const seed = (id: number, over: Partial<ScheduleRecord>) => h.schedules.create(makeRecord(id, over));
const locs = (body: unknown) => (body as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);

describe('GET /schedule/{id}?include_activities=', () => {
  test('false → the result without activities, with activity_count', async () => {
    const res = await h.app.handlers.get({
      user: alice,
      params: { id: '1' },
      query: { include_activities: 'false' },
    });
    expect(res.status).toBe(200);
    // The stored summary as it is: it carries activity_count.
    expect((res.body as { result: unknown }).result).toEqual(result.summary);
    expect(result.summary.activity_count).toBe(25);
  });

  test('true, 1 or absent → the full result as before', async () => {
    for (const query of [{ include_activities: 'true' }, { include_activities: '1' }, {}, undefined]) {
      const res = await h.app.handlers.get({ user: alice, params: { id: '1' }, query });
      const { activity_count: _n, ...summary } = result.summary;
      expect((res.body as { result: unknown }).result).toEqual({ ...summary, activities: result.activities });
    }
  });

  test('a value that is not a boolean → 422 at query.include_activities', async () => {
    const res = await h.app.handlers.get({
      user: alice,
      params: { id: '1' },
      query: { include_activities: 'no' },
    });
    expect(res.status).toBe(422);
    expect(locs(res.body)).toEqual([['query', 'include_activities']]);
  });
});

describe('GET /schedule/{id}/activities', () => {
  const page = (query: Record<string, string>, id = '1', user = alice) =>
    h.app.handlers.activities({ user, params: { id }, query });

  test('defaults: offset 0, limit 1000 → every activity with total', async () => {
    const res = await page({});
    expect(res).toEqual({
      status: 200,
      body: { items: result.activities, total: 25, offset: 0, limit: 1000 },
    });
  });

  test('offset and limit select one page; past the end is an empty page', async () => {
    expect((await page({ offset: '10', limit: '5' })).body).toEqual({
      items: result.activities.slice(10, 15),
      total: 25,
      offset: 10,
      limit: 5,
    });
    expect((await page({ offset: '30', limit: '5' })).body).toMatchObject({ items: [], total: 25 });
  });

  test('line filters to one line; total counts that line only', async () => {
    const line2 = result.activities.filter((a) => a.line === 2);
    expect((await page({ line: '2', limit: '3' })).body).toEqual({
      items: line2.slice(0, 3),
      total: line2.length,
      offset: 0,
      limit: 3,
    });
  });

  test.each([
    [{ limit: String(ACTIVITIES_PAGE_MAX + 1) }, ['query', 'limit']],
    [{ limit: '0' }, ['query', 'limit']],
    [{ offset: '-1' }, ['query', 'offset']],
    [{ line: '0' }, ['query', 'line']],
    [{ line: 'two' }, ['query', 'line']],
  ])('%j → 422 at %j', async (query, loc) => {
    const res = await page(query);
    expect(res.status).toBe(422);
    expect(locs(res.body)).toEqual([loc]);
  });

  test.each([['pending'], ['running'], ['failed'], ['cancelled']] as const)(
    'a %s schedule → 409 as export answers',
    async (status) => {
      await seed(2, { status });
      expect(await page({}, '2')).toEqual({
        status: 409,
        body: { detail: `Schedule is not completed (status: ${status})` },
      });
    },
  );

  test("another user's schedule or an unknown id → 404; no user → 401; bad id → 422", async () => {
    expect((await page({}, '1', bob)).status).toBe(404);
    expect((await page({}, '7')).status).toBe(404);
    expect((await h.app.handlers.activities({ params: { id: '1' }, query: {} })).status).toBe(401);
    expect(locs((await page({}, 'x')).body)).toEqual([['path', 'id']]);
  });
});
