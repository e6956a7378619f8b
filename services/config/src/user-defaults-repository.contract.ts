import type { UserDefaultsRepository } from './ports';

/** Behaviour every UserDefaultsRepository must have; run against the memory and mongoose adapters. */
export function userDefaultsRepositoryContract(make: () => Promise<UserDefaultsRepository>): void {
  let repo: UserDefaultsRepository;
  beforeEach(async () => {
    repo = await make();
  });

  it('has no default until one is set; setting again replaces it', async () => {
    expect(await repo.get(1)).toBeNull();
    await repo.set(1, 10);
    expect(await repo.get(1)).toBe(10);
    await repo.set(1, 11);
    expect(await repo.get(1)).toBe(11);
    expect(await repo.get(2)).toBeNull();
  });

  it('concurrent set-defaults of one user end with exactly one of them', async () => {
    const candidates = [21, 22, 23, 24, 25, 26, 27, 28];
    await Promise.all(candidates.map((id) => repo.set(7, id)));
    expect(candidates).toContain(await repo.get(7));
  });

  it('clearTemplate unsets every user pointing at that template and nothing else', async () => {
    await repo.set(1, 10);
    await repo.set(2, 10);
    await repo.set(3, 11);
    await repo.clearTemplate(10);
    expect(await repo.get(1)).toBeNull();
    expect(await repo.get(2)).toBeNull();
    expect(await repo.get(3)).toBe(11);
    await repo.set(1, 12);
    expect(await repo.get(1)).toBe(12);
  });
}
