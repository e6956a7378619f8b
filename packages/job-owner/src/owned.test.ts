import { MESSAGES } from '@fillsched/contracts';
import { loadOwnedRecord } from './owned';

const records = new Map([
  [1, { id: 1, user_id: 10, name: 'mine' }],
  [2, { id: 2, user_id: 20, name: 'theirs' }],
]);
const find = async (id: number) => records.get(id) ?? null;
const owner = { id: 10, email: 'o@example.com', is_superuser: false };
const admin = { id: 99, email: 'a@example.com', is_superuser: true };

describe('loadOwnedRecord', () => {
  test("the owner gets the record; a superuser gets anyone's", async () => {
    expect(await loadOwnedRecord({ user: owner, params: { id: '1' } }, find, 'gone')).toEqual({
      ok: true,
      user: owner,
      record: records.get(1),
    });
    expect(await loadOwnedRecord({ user: admin, params: { id: '2' } }, find, 'gone')).toMatchObject({
      ok: true,
      record: { name: 'theirs' },
    });
  });

  test('a foreign record and an unknown id are the same 404, with the given message', async () => {
    const foreign = await loadOwnedRecord({ user: owner, params: { id: '2' } }, find, 'Schedule not found');
    const unknown = await loadOwnedRecord({ user: owner, params: { id: '3' } }, find, 'Schedule not found');
    expect(foreign).toEqual({ ok: false, reply: { status: 404, body: { detail: 'Schedule not found' } } });
    expect(unknown).toEqual(foreign);
  });

  test('no user → 401 before anything is looked up', async () => {
    let lookups = 0;
    const r = await loadOwnedRecord(
      { params: { id: '1' } },
      async () => {
        lookups++;
        return null;
      },
      'x',
    );
    expect(r).toEqual({ ok: false, reply: { status: 401, body: { detail: MESSAGES.credentials } } });
    expect(lookups).toBe(0);
  });

  test.each([['abc'], ['-1'], [undefined]])('id %j → 422 naming the path parameter', async (id) => {
    const r = await loadOwnedRecord({ user: owner, params: id === undefined ? {} : { id } }, find, 'x');
    expect(r.ok).toBe(false);
    const reply = (r as { reply: { status: number; body: { detail: Array<{ loc: unknown[] }> } } }).reply;
    expect(reply.status).toBe(422);
    expect(reply.body.detail[0].loc).toEqual(['path', 'id']);
  });
});
