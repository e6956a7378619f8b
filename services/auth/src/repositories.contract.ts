import { AlreadyExistsError } from '@fillsched/service-kit';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  RefreshTokenRecord,
  RefreshTokenRepository,
  SigningKey,
  SigningKeyRepository,
  UserRecord,
  UserRepository,
} from './ports';

export interface AuthRepositories {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  signingKeys: SigningKeyRepository;
  apiKeys: ApiKeyRepository;
}

const T0 = new Date('2026-03-01T10:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

const user = (id: number, email: string, extra: Partial<UserRecord> = {}): UserRecord => ({
  id,
  email,
  email_normalized: email.toLowerCase(),
  full_name: null,
  password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  is_active: true,
  is_superuser: false,
  created_at: T0,
  ...extra,
});

const token = (
  hash: string,
  family: string,
  extra: Partial<RefreshTokenRecord> = {},
): RefreshTokenRecord => ({
  hash,
  family,
  user_id: 1,
  created_at: T0,
  expires_at: later(7 * 86_400_000),
  rotated_at: null,
  replaced_by: null,
  revoked_at: null,
  ...extra,
});

const apiKey = (id: string, userId: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  id,
  user_id: userId,
  name: `key ${id}`,
  scopes: ['schedules:read'],
  secret_hash: `hash-${id}`,
  created_at: T0,
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  ...extra,
});

const key = (kid: string): SigningKey => ({
  kid,
  private_key_pem: `private-${kid}`,
  public_key_pem: `public-${kid}`,
  created_at: T0,
});

/**
 * One behavioural contract for every adapter of the auth repositories. `make` returns empty
 * repositories (a fresh database for the mongoose adapter).
 */
export function authRepositoryContract(
  name: string,
  make: () => Promise<AuthRepositories>,
  opts: { enforcesUniqueUnderRace: boolean; atomicUpdates?: boolean } = { enforcesUniqueUnderRace: true },
): void {
  // false where racing conditional updates are not atomic (FerretDB 1.24, see MongoTarget)
  const race = opts.atomicUpdates === false ? it.skip : it;
  describe(`auth repositories contract: ${name}`, () => {
    let r: AuthRepositories;
    beforeEach(async () => {
      r = await make();
    });

    describe('users', () => {
      it('round-trips a user by id and by normalised email', async () => {
        const u = user(1, 'Ada@Example.com', { full_name: 'Ada' });
        await r.users.insert(u);
        expect(await r.users.findById(1)).toEqual(u);
        expect(await r.users.findByEmail('ada@example.com')).toEqual(u);
      });

      it('returns null for unknown ids and emails', async () => {
        expect(await r.users.findById(404)).toBeNull();
        expect(await r.users.findByEmail('nobody@example.com')).toBeNull();
      });

      it('refuses a second user with the same normalised email with the domain AlreadyExistsError', async () => {
        await r.users.insert(user(1, 'a@example.com'));
        const err = await r.users.insert(user(2, 'A@EXAMPLE.COM')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AlreadyExistsError);
        expect(err).toMatchObject({ entity: 'user', key: { email_normalized: 'a@example.com' } });
        expect(await r.users.findById(2)).toBeNull();
      });

      // The embedded test server enforces no unique index, so a true race is only checked where
      // the store can (memory, FerretDB, real MongoDB via MONGO_URL); the sequential case above runs everywhere.
      (opts.enforcesUniqueUnderRace ? it : it.skip)(
        'concurrent inserts of one email: exactly one succeeds, the rest get AlreadyExistsError',
        async () => {
          const results = await Promise.allSettled(
            [1, 2, 3, 4].map((id) =>
              r.users.insert(user(id, id % 2 ? 'race@example.com' : 'RACE@example.com')),
            ),
          );
          expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
          for (const x of results)
            if (x.status === 'rejected') expect(x.reason).toBeInstanceOf(AlreadyExistsError);
        },
      );

      it('keeps distinct emails apart', async () => {
        await r.users.insert(user(1, 'a@example.com'));
        await r.users.insert(user(2, 'b@example.com'));
        expect((await r.users.findByEmail('b@example.com'))?.id).toBe(2);
      });

      it('setFlags changes only the given flags and returns the result', async () => {
        await r.users.insert(user(1, 'a@example.com'));
        expect(await r.users.setFlags(1, { is_superuser: true })).toMatchObject({
          is_superuser: true,
          is_active: true,
        });
        expect(await r.users.setFlags(1, { is_active: false })).toMatchObject({
          is_superuser: true,
          is_active: false,
        });
        expect(await r.users.findById(1)).toMatchObject({ is_superuser: true, is_active: false });
        expect(await r.users.setFlags(404, { is_active: false })).toBeNull();
      });
    });

    describe('refresh tokens', () => {
      it('round-trips a token by hash', async () => {
        const t = token('h1', 'fam');
        await r.refreshTokens.insert(t);
        expect(await r.refreshTokens.findByHash('h1')).toEqual(t);
        expect(await r.refreshTokens.findByHash('nope')).toBeNull();
      });

      it('claimForRotation returns the token as it was and marks it rotated, once', async () => {
        await r.refreshTokens.insert(token('h1', 'fam'));
        const claimed = await r.refreshTokens.claimForRotation('h1', later(1000));
        expect(claimed).toMatchObject({ hash: 'h1', family: 'fam', rotated_at: null });
        expect((await r.refreshTokens.findByHash('h1'))?.rotated_at).toEqual(later(1000));
        expect(await r.refreshTokens.claimForRotation('h1', later(2000))).toBeNull();
        expect((await r.refreshTokens.findByHash('h1'))?.rotated_at).toEqual(later(1000));
      });

      it('claimForRotation refuses unknown and revoked tokens', async () => {
        await r.refreshTokens.insert(token('h1', 'fam', { revoked_at: later(5) }));
        expect(await r.refreshTokens.claimForRotation('h1', later(10))).toBeNull();
        expect(await r.refreshTokens.claimForRotation('unknown', later(10))).toBeNull();
      });

      race('concurrent claims of one token: exactly one wins', async () => {
        await r.refreshTokens.insert(token('h1', 'fam'));
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => r.refreshTokens.claimForRotation('h1', later(i + 1))),
        );
        expect(results.filter((x) => x !== null)).toHaveLength(1);
      });

      it('markReplaced records the successor', async () => {
        await r.refreshTokens.insert(token('h1', 'fam'));
        await r.refreshTokens.claimForRotation('h1', later(1));
        await r.refreshTokens.markReplaced('h1', 'h2');
        expect((await r.refreshTokens.findByHash('h1'))?.replaced_by).toBe('h2');
      });

      it('revokeFamily revokes every live token of that family only, and reports how many', async () => {
        await r.refreshTokens.insert(token('a1', 'A', { rotated_at: later(1) }));
        await r.refreshTokens.insert(token('a2', 'A'));
        await r.refreshTokens.insert(token('a3', 'A', { revoked_at: later(2) }));
        await r.refreshTokens.insert(token('b1', 'B'));
        expect(await r.refreshTokens.isFamilyRevoked('B')).toBe(false);
        expect(await r.refreshTokens.revokeFamily('A', later(100))).toBe(2);
        expect((await r.refreshTokens.findByHash('a1'))?.revoked_at).toEqual(later(100));
        expect((await r.refreshTokens.findByHash('a2'))?.revoked_at).toEqual(later(100));
        expect((await r.refreshTokens.findByHash('a3'))?.revoked_at).toEqual(later(2)); // untouched
        expect((await r.refreshTokens.findByHash('b1'))?.revoked_at).toBeNull();
        expect(await r.refreshTokens.isFamilyRevoked('A')).toBe(true);
        expect(await r.refreshTokens.isFamilyRevoked('B')).toBe(false);
        expect(await r.refreshTokens.claimForRotation('a2', later(200))).toBeNull();
        expect(await r.refreshTokens.revokeFamily('A', later(300))).toBe(0);
        expect(await r.refreshTokens.revokeFamily('none', later(300))).toBe(0);
      });
    });

    describe('api keys', () => {
      it('round-trips a key by id (scopes, hash, nullable dates)', async () => {
        const k = apiKey('00000000000000a1', 1, {
          scopes: ['schedules:read', 'comparisons:read'],
          expires_at: later(86_400_000),
        });
        await r.apiKeys.insert(k);
        expect(await r.apiKeys.findById('00000000000000a1')).toEqual(k);
        expect(await r.apiKeys.findById('ffffffffffffffff')).toBeNull();
      });

      it('refuses a second key with the same id with AlreadyExistsError', async () => {
        await r.apiKeys.insert(apiKey('00000000000000a1', 1));
        const err = await r.apiKeys.insert(apiKey('00000000000000a1', 2)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AlreadyExistsError);
        expect((await r.apiKeys.findById('00000000000000a1'))?.user_id).toBe(1);
      });

      it("lists one user's keys oldest first, revoked ones included, never another user's", async () => {
        await r.apiKeys.insert(apiKey('00000000000000b2', 1, { created_at: later(2000) }));
        await r.apiKeys.insert(
          apiKey('00000000000000b1', 1, { created_at: later(1000), revoked_at: later(5) }),
        );
        await r.apiKeys.insert(apiKey('00000000000000c1', 2));
        expect((await r.apiKeys.listByUser(1)).map((k) => k.id)).toEqual([
          '00000000000000b1',
          '00000000000000b2',
        ]);
        expect((await r.apiKeys.listByUser(2)).map((k) => k.id)).toEqual(['00000000000000c1']);
        expect(await r.apiKeys.listByUser(3)).toEqual([]);
      });

      it('counts live keys only: not revoked, not expired at the given time', async () => {
        await r.apiKeys.insert(apiKey('0000000000000001', 1));
        await r.apiKeys.insert(apiKey('0000000000000002', 1, { revoked_at: later(1) }));
        await r.apiKeys.insert(apiKey('0000000000000003', 1, { expires_at: later(10_000) }));
        await r.apiKeys.insert(apiKey('0000000000000004', 2));
        expect(await r.apiKeys.countLive(1, later(0))).toBe(2);
        expect(await r.apiKeys.countLive(1, later(10_000))).toBe(1); // expiry is exclusive
        expect(await r.apiKeys.countLive(3, later(0))).toBe(0);
      });

      it("revoke sets revoked_at once, only on the owner's key; another user's is not found", async () => {
        await r.apiKeys.insert(apiKey('00000000000000d1', 1));
        expect(await r.apiKeys.revoke(2, '00000000000000d1', later(5))).toBeNull();
        expect((await r.apiKeys.findById('00000000000000d1'))?.revoked_at).toBeNull();
        expect(await r.apiKeys.revoke(1, '00000000000000d1', later(10))).toMatchObject({
          id: '00000000000000d1',
          revoked_at: later(10),
        });
        // a second revoke keeps the first time
        expect((await r.apiKeys.revoke(1, '00000000000000d1', later(20)))?.revoked_at).toEqual(later(10));
        expect(await r.apiKeys.revoke(1, 'ffffffffffffffff', later(20))).toBeNull();
      });

      it('touch records the last use', async () => {
        await r.apiKeys.insert(apiKey('00000000000000e1', 1));
        await r.apiKeys.touch('00000000000000e1', later(30));
        expect((await r.apiKeys.findById('00000000000000e1'))?.last_used_at).toEqual(later(30));
        await r.apiKeys.touch('ffffffffffffffff', later(30)); // unknown: no error
      });
    });

    describe('signing keys', () => {
      it('has no active key at first', async () => {
        expect(await r.signingKeys.getActive()).toBeNull();
      });

      it('the first candidate becomes the active key; later ones get it back', async () => {
        expect(await r.signingKeys.getOrCreateActive(key('k1'))).toEqual(key('k1'));
        expect(await r.signingKeys.getOrCreateActive(key('k2'))).toEqual(key('k1'));
        expect(await r.signingKeys.getActive()).toEqual(key('k1'));
      });

      it('concurrent first starts converge on one key', async () => {
        const got = await Promise.all(
          ['a', 'b', 'c', 'd'].map((k) => r.signingKeys.getOrCreateActive(key(k))),
        );
        expect(new Set(got.map((k) => k.kid)).size).toBe(1);
        expect((await r.signingKeys.getActive())?.kid).toBe(got[0].kid);
      });
    });
  });
}
