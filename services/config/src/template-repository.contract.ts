import { AlreadyExistsError } from '@fillsched/service-kit';
import type { ConfigTemplate, TemplateRepository } from './ports';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

export function template(id: number, over: Partial<ConfigTemplate> = {}): ConfigTemplate {
  return {
    id,
    user_id: 1,
    name: `t${id}`,
    description: null,
    config: { line_count: 2 },
    is_public: false,
    created_at: at(id),
    updated_at: at(id),
    ...over,
  };
}

/** Behaviour every TemplateRepository must have; run against the memory and mongoose adapters. */
export function templateRepositoryContract(make: () => Promise<TemplateRepository>): void {
  let repo: TemplateRepository;
  beforeEach(async () => {
    repo = await make();
  });

  it('stores and finds a template with its nested config, dates and nulls intact', async () => {
    const t = template(1, {
      description: 'd',
      config: { lines: [{ id: 'A', downtime: [] }], changeover_matrix: { X: { Y: 2 } }, window_hours: null },
      is_public: true,
    });
    await repo.insert(t);
    expect(await repo.findById(1)).toEqual(t);
    expect(await repo.findById(2)).toBeNull();
  });

  // Product types are user data and may contain '.' (or start with '$'), as the schedule store's
  // contract already demands for its config and lots.
  it("keeps config keys with '.' and '$' (product types in a changeover matrix), also on update", async () => {
    const config = { changeover_matrix: { 'Vial.E': { 'Vial.H': 3, $odd: 1 } }, line_count: 2 };
    await repo.insert(template(1, { config }));
    expect((await repo.findById(1))?.config).toEqual(config);
    const next = { changeover_matrix: { 'Vial.H': { 'Vial.E': 4 } } };
    expect((await repo.update(1, { config: next, updated_at: at(50) }))?.config).toEqual(next);
    expect(
      (await repo.list({ user_id: 1, include_public: false, all: false }, 0, 10)).items[0].config,
    ).toEqual(next);
  });

  it('keeps an empty config object', async () => {
    await repo.insert(template(1, { config: {} }));
    expect((await repo.findById(1))?.config).toEqual({});
  });

  it('refuses a second template with the same id with the domain AlreadyExistsError', async () => {
    await repo.insert(template(1));
    const err = await repo.insert(template(1, { name: 'other' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(err).toMatchObject({ entity: 'config template', key: { id: 1 } });
    expect((await repo.findById(1))?.name).toBe('t1');
  });

  it('returns copies: mutating a result does not change the store', async () => {
    await repo.insert(template(1));
    const got = await repo.findById(1);
    got!.config.line_count = 99;
    expect((await repo.findById(1))?.config.line_count).toBe(2);
  });

  it('lists own templates, newest first, with total and paging', async () => {
    for (let i = 1; i <= 5; i++) await repo.insert(template(i));
    await repo.insert(template(6, { user_id: 2 }));
    const page1 = await repo.list({ user_id: 1, include_public: false, all: false }, 0, 2);
    expect(page1.total).toBe(5);
    expect(page1.items.map((t) => t.id)).toEqual([5, 4]);
    const page3 = await repo.list({ user_id: 1, include_public: false, all: false }, 4, 2);
    expect(page3.items.map((t) => t.id)).toEqual([1]);
    const beyond = await repo.list({ user_id: 1, include_public: false, all: false }, 10, 2);
    expect(beyond).toEqual({ items: [], total: 5 });
  });

  it("includes other users' public templates only when asked; `all` lists everything", async () => {
    await repo.insert(template(1, { user_id: 1 }));
    await repo.insert(template(2, { user_id: 2, is_public: true }));
    await repo.insert(template(3, { user_id: 2, is_public: false }));
    const ids = async (f: { include_public: boolean; all: boolean }) =>
      (await repo.list({ user_id: 1, ...f }, 0, 100)).items.map((t) => t.id);
    expect(await ids({ include_public: false, all: false })).toEqual([1]);
    expect(await ids({ include_public: true, all: false })).toEqual([2, 1]);
    expect(await ids({ include_public: false, all: true })).toEqual([3, 2, 1]);
  });

  it('updates only the given fields; null clears the description; unknown id → null', async () => {
    await repo.insert(template(1, { description: 'keep', is_public: true }));
    const u1 = await repo.update(1, { name: 'renamed', updated_at: at(100) });
    expect(u1).toMatchObject({
      name: 'renamed',
      description: 'keep',
      is_public: true,
      config: { line_count: 2 },
    });
    expect(u1?.updated_at).toEqual(at(100));
    expect(u1?.created_at).toEqual(at(1));
    const u2 = await repo.update(1, { description: null, config: { clean_hours: 3 }, updated_at: at(101) });
    expect(u2).toMatchObject({ name: 'renamed', description: null, config: { clean_hours: 3 } });
    expect(await repo.findById(1)).toEqual(u2);
    expect(await repo.update(2, { name: 'x', updated_at: at(1) })).toBeNull();
  });

  it('deletes once', async () => {
    await repo.insert(template(1));
    expect(await repo.delete(1)).toBe(true);
    expect(await repo.delete(1)).toBe(false);
    expect(await repo.findById(1)).toBeNull();
  });
}
