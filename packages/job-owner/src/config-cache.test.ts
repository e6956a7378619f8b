import type { RpcUser } from '@fillsched/contracts';
import { CachingConfigResolver } from './config-cache';
import type { ConfigResolver, ResolveOutcome } from './ports';

const alice: RpcUser = { id: 1, email: 'alice@example.com', is_superuser: false };
const root: RpcUser = { id: 1, email: 'alice@example.com', is_superuser: true };

/** The config service as a port: templates by id, defaults by user, every call recorded. */
class FakeConfigService implements ConfigResolver {
  templates = new Map<number, Record<string, unknown>>();
  defaults = new Map<number, number>();
  calls: Array<{ user: number; config_id: number | null; config: unknown }> = [];
  next: ResolveOutcome | null = null;
  gate: Promise<void> | null = null;

  async resolve(
    user: RpcUser,
    req: { config_id: number | null; config: Record<string, unknown> | null },
  ): Promise<ResolveOutcome> {
    this.calls.push({ user: user.id, config_id: req.config_id, config: req.config });
    const id = req.config_id ?? this.defaults.get(user.id) ?? null;
    const template = id === null ? null : (this.templates.get(id) ?? null);
    if (this.gate) await this.gate;
    if (this.next) return this.next;
    if (req.config_id !== null && !template) return { kind: 'rejected', status: 404, body: { detail: 'nf' } };
    return { kind: 'resolved', config: { ...(template ?? {}), ...(req.config ?? {}) }, template_id: id };
  }
}

let service: FakeConfigService;
let cache: CachingConfigResolver;
let clock: number;
beforeEach(() => {
  service = new FakeConfigService();
  service.templates.set(7, { line_count: 2, changeover_time: 30 });
  service.defaults.set(alice.id, 7);
  clock = 0;
  cache = new CachingConfigResolver(service, { ttlMs: 1000, now: () => clock });
});

test('the second create of a user asks nobody; the request keys win key by key over the kept template', async () => {
  const first = await cache.resolve(alice, { config_id: null, config: { line_count: 3 } });
  const second = await cache.resolve(alice, { config_id: null, config: { seed: 1, line_count: undefined } });
  expect(first).toEqual({
    kind: 'resolved',
    config: { line_count: 3, changeover_time: 30 },
    template_id: 7,
  });
  expect(second).toEqual({
    kind: 'resolved',
    config: { line_count: 2, changeover_time: 30, seed: 1 },
    template_id: 7,
  });
  // The template alone is asked for, so one entry serves every request's keys.
  expect(service.calls).toEqual([{ user: 1, config_id: null, config: null }]);
});

test('kept per user, superuser flag and template choice', async () => {
  await cache.resolve(alice, { config_id: null, config: null });
  await cache.resolve(root, { config_id: null, config: null });
  await cache.resolve(alice, { config_id: 7, config: null });
  await cache.resolve({ ...alice, id: 2 }, { config_id: null, config: null });
  expect(service.calls).toHaveLength(4);
  await cache.resolve(alice, { config_id: 7, config: null });
  expect(service.calls).toHaveLength(4);
  expect(cache.size).toBe(4);
});

test('no default template is kept too: a user without one asks once', async () => {
  service.defaults.clear();
  expect(await cache.resolve(alice, { config_id: null, config: { line_count: 1 } })).toEqual({
    kind: 'resolved',
    config: { line_count: 1 },
    template_id: null,
  });
  await cache.resolve(alice, { config_id: null, config: null });
  expect(service.calls).toHaveLength(1);
});

test('invalidate() drops everything: the next create sees the changed template', async () => {
  await cache.resolve(alice, { config_id: null, config: null });
  service.templates.set(7, { line_count: 5 });
  cache.invalidate();
  expect(await cache.resolve(alice, { config_id: null, config: null })).toMatchObject({
    config: { line_count: 5 },
  });
  expect(service.calls).toHaveLength(2);
});

test('an answer in flight while a change is announced is used once but not kept', async () => {
  let open!: () => void;
  service.gate = new Promise((r) => (open = r));
  const pending = cache.resolve(alice, { config_id: null, config: null });
  await new Promise((r) => setImmediate(r));
  cache.invalidate();
  service.gate = null;
  open();
  expect(await pending).toMatchObject({ kind: 'resolved', template_id: 7 });
  expect(cache.size).toBe(0);
});

test('refusals and outages pass through and are not kept', async () => {
  expect(await cache.resolve(alice, { config_id: 99, config: null })).toMatchObject({
    kind: 'rejected',
    status: 404,
  });
  service.next = { kind: 'unavailable', reason: 'timeout' };
  expect(await cache.resolve(alice, { config_id: null, config: null })).toEqual({
    kind: 'unavailable',
    reason: 'timeout',
  });
  expect(cache.size).toBe(0);
});

test('an entry is asked for again after the TTL (a bound should a notice be lost)', async () => {
  await cache.resolve(alice, { config_id: null, config: null });
  clock = 1001;
  await cache.resolve(alice, { config_id: null, config: null });
  expect(service.calls).toHaveLength(2);
});

test('what a caller does to its config does not reach the kept template', async () => {
  service.templates.set(7, { lines: [{ id: 1 }] });
  const a = await cache.resolve(alice, { config_id: null, config: null });
  if (a.kind !== 'resolved') throw new Error('not resolved');
  (a.config.lines as Array<{ id: number }>)[0].id = 99;
  expect(await cache.resolve(alice, { config_id: null, config: null })).toMatchObject({
    config: { lines: [{ id: 1 }] },
  });
});

test('at most maxEntries are kept, the oldest dropped first', async () => {
  const small = new CachingConfigResolver(service, { maxEntries: 2 });
  for (const id of [1, 2, 3]) await small.resolve({ ...alice, id }, { config_id: null, config: null });
  expect(small.size).toBe(2);
  await small.resolve({ ...alice, id: 3 }, { config_id: null, config: null });
  await small.resolve({ ...alice, id: 1 }, { config_id: null, config: null });
  expect(service.calls.map((c) => c.user)).toEqual([1, 2, 3, 1]);
});
