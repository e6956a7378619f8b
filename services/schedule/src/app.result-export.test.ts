import { assembleResultDocument, ResultExportPageSchema, type ResultExportPage } from '@fillsched/contracts';
import { chunksOf, makeRecord, makeResult } from './repos.contract';
import { makeHarness, type TestHarness } from './testing/fakes';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };

let h: TestHarness;
beforeEach(async () => {
  h = makeHarness();
  await h.schedules.create(makeRecord(1, { status: 'completed' }));
  await h.results.upsert(1, chunksOf(makeResult(25)));
});
const page = (id: string, query?: Record<string, string>) =>
  h.app.handlers.resultExport({ params: { id }, query });

test('pages reassemble into exactly the GET body of the completed schedule', async () => {
  const pages: ResultExportPage[] = [];
  const items: unknown[] = [];
  for (let offset = 0, total = 1; offset < total; offset = items.length) {
    const res = await page('1', { offset: String(offset), limit: '10' });
    expect(res.status).toBe(200);
    const body = ResultExportPageSchema.parse(res.body);
    expect(body.offset).toBe(offset);
    total = body.total;
    items.push(...body.items);
    pages.push(body);
  }
  expect(pages.map((p) => p.items.length)).toEqual([10, 10, 5]);
  const get = await h.app.handlers.get({ user: alice, params: { id: '1' } });
  expect(assembleResultDocument(pages[0], items)).toEqual(get.body);
});

test('unknown → 404, not completed → 409, completed without a stored result → 409', async () => {
  expect((await page('99')).status).toBe(404);
  await h.schedules.create(makeRecord(2, { status: 'running' }));
  expect(await page('2')).toMatchObject({ status: 409, body: { detail: expect.stringMatching(/running/) } });
  await h.schedules.create(makeRecord(3, { status: 'completed' }));
  expect(await page('3')).toMatchObject({
    status: 409,
    body: { detail: 'Schedule result is not available' },
  });
});

test('a bad id or page → 422 naming the field', async () => {
  expect(await page('x')).toMatchObject({ status: 422, body: { detail: [{ loc: ['path', 'id'] }] } });
  const res = await page('1', { limit: '999999' });
  expect(res).toMatchObject({ status: 422, body: { detail: [{ loc: ['query', 'limit'] }] } });
});
