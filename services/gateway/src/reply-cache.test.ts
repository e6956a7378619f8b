import { RPC } from '@fillsched/contracts';
import { CompletedReplyCache } from './reply-cache';
import type { RpcReply, RpcRequest } from './ports';

const alice = { id: 1, email: 'alice@example.com', is_superuser: false };
const bob = { id: 2, email: 'bob@example.com', is_superuser: false };
const getOf = (user: typeof alice | null, id = '7', query: Record<string, unknown> = {}): RpcRequest => ({
  user,
  params: { id },
  query,
});
const completed: RpcReply = { status: 200, body: { id: 7, status: 'completed', result: { makespan: 1 } } };

describe('CompletedReplyCache', () => {
  test("keeps a completed schedule's reply for the user it was given to, per query", () => {
    const c = new CompletedReplyCache();
    const k = c.keyFor(RPC.schedule.get, getOf(alice))!;
    c.observe(RPC.schedule.get, getOf(alice), completed, k);
    expect(c.get(k.key)?.reply).toBe(completed);
    expect(c.get(k.key)?.json).toBe(JSON.stringify(completed.body));
    // another user, another query: their own keys, not answered from alice's entry
    expect(c.get(c.keyFor(RPC.schedule.get, getOf(bob))!.key)).toBeUndefined();
    const summary = c.keyFor(RPC.schedule.get, getOf(alice, '7', { include_activities: false }))!;
    expect(c.get(summary.key)).toBeUndefined();
  });

  test('only completed 200 replies of GET /schedule/{id} by a user are kept', () => {
    const c = new CompletedReplyCache();
    expect(c.keyFor(RPC.schedule.list, getOf(alice))).toBeNull();
    expect(c.keyFor(RPC.schedule.get, getOf(null))).toBeNull();
    expect(c.keyFor(RPC.schedule.get, getOf(alice, 'x'))).toBeNull();
    const k = c.keyFor(RPC.schedule.get, getOf(alice))!;
    c.observe(RPC.schedule.get, getOf(alice), { status: 200, body: { id: 7, status: 'running' } }, k);
    c.observe(RPC.schedule.get, getOf(alice), { status: 404, body: { detail: 'Schedule not found' } }, k);
    expect(c.size()).toBe(0);
  });

  test("a successful delete, or the service's notice, drops every user's entry of that schedule", () => {
    const c = new CompletedReplyCache();
    for (const u of [alice, bob]) {
      const k = c.keyFor(RPC.schedule.get, getOf(u))!;
      c.observe(RPC.schedule.get, getOf(u), completed, k);
    }
    expect(c.size()).toBe(2);
    c.observe(RPC.schedule.delete, getOf(alice), { status: 404, body: {} }, null);
    expect(c.size()).toBe(2);
    c.observe(RPC.schedule.delete, getOf(alice, '07'), { status: 200, body: {} }, null);
    expect(c.size()).toBe(0);
    const k = c.keyFor(RPC.schedule.get, getOf(alice))!;
    c.forget(7); // a delete racing the owner's answer: that answer is not kept
    c.observe(RPC.schedule.get, getOf(alice), completed, k);
    expect(c.size()).toBe(0);
  });

  test('bounded by entries and bytes, least recently used out first', () => {
    const c = new CompletedReplyCache({ maxEntries: 2 });
    const put = (id: string) => {
      const k = c.keyFor(RPC.schedule.get, getOf(alice, id))!;
      c.observe(RPC.schedule.get, getOf(alice, id), completed, k);
      return k.key;
    };
    const [a, b] = [put('1'), put('2')];
    c.get(a);
    const d = put('3');
    expect([c.get(a), c.get(b), c.get(d)].map(Boolean)).toEqual([true, false, true]);
    const tiny = new CompletedReplyCache({ maxBytes: 10 });
    const k = tiny.keyFor(RPC.schedule.get, getOf(alice))!;
    tiny.observe(RPC.schedule.get, getOf(alice), completed, k);
    expect(tiny.size()).toBe(0);
  });
});
