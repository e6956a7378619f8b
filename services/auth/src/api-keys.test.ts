import {
  API_KEY_MESSAGES,
  API_KEY_NAME_MAX,
  API_KEY_PATTERN,
  ApiKeyCreatedSchema,
  ApiKeyListSchema,
  ApiKeyVerifiedSchema,
  MESSAGES,
  type ApiKeyCreated,
} from '@fillsched/contracts';
import type { RpcReply, RpcUser } from '@fillsched/service-kit';
import { createHash } from 'node:crypto';
import { FakeClock, MemoryApiKeyRepository, MemoryUserRepository } from './adapters/memory';
import { createApiKeyHandlers } from './api-keys';
import type { ApiKeyRecord, ApiKeyRepository } from './ports';

const ALICE: RpcUser = { id: 1, email: 'alice@example.com', is_superuser: true };
const BOB: RpcUser = { id: 2, email: 'bob@example.com', is_superuser: false };

/** Counts the repository reads, to show what an unknown or malformed key costs. */
class CountingApiKeys extends MemoryApiKeyRepository {
  finds = 0;
  touches = 0;
  override async findById(id: string): Promise<ApiKeyRecord | null> {
    this.finds++;
    return super.findById(id);
  }
  override async touch(id: string, now: Date): Promise<void> {
    this.touches++;
    return super.touch(id, now);
  }
}

async function setup(maxPerUser = 3) {
  const apiKeys = new CountingApiKeys();
  const users = new MemoryUserRepository();
  for (const u of [ALICE, BOB])
    await users.insert({
      ...u,
      email_normalized: u.email,
      full_name: null,
      password_hash: 'x',
      is_active: true,
      created_at: new Date('2026-01-01T00:00:00Z'),
    });
  const clock = new FakeClock('2026-03-01T10:00:00.000Z');
  const h = createApiKeyHandlers({ apiKeys, users, clock }, { maxPerUser });
  const create = async (user: RpcUser, body: unknown): Promise<ApiKeyCreated> => {
    const r = await h.apiKeyCreate({ user, body });
    expect(r.status).toBe(201);
    return ApiKeyCreatedSchema.parse(r.body);
  };
  const verify = (key: string) => h.apiKeyVerify({ body: { key } });
  return { apiKeys: apiKeys as ApiKeyRepository & CountingApiKeys, users, clock, h, create, verify };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const detailOf = (r: RpcReply) => (r.body as { detail: Array<{ loc: unknown[]; msg: string }> }).detail;

describe('creating a key', () => {
  it('answers 201 with the key once (fsk_<id>_<256-bit secret>); only its SHA-256 is stored', async () => {
    const { create, apiKeys } = await setup();
    const created = await create(ALICE, { name: '  MES reader ', scopes: ['schedules:read'] });
    expect(created.key).toMatch(API_KEY_PATTERN);
    const [, id, secret] = API_KEY_PATTERN.exec(created.key)!;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(created).toMatchObject({
      id,
      name: 'MES reader',
      scopes: ['schedules:read'],
      prefix: `fsk_${id}`,
      created_at: '2026-03-01T10:00:00.000Z',
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
    });
    const stored = (await apiKeys.findById(id))!;
    expect(stored.secret_hash).toBe(sha256(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(created).not.toHaveProperty('secret_hash');
  });

  it('two keys never share an id or a secret', async () => {
    const { create } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read'] });
    const b = await create(ALICE, { name: 'b', scopes: ['schedules:read'] });
    expect(a.id).not.toBe(b.id);
    expect(a.key.split('_').slice(2).join('_')).not.toBe(b.key.split('_').slice(2).join('_'));
  });

  it('without a user → 401', async () => {
    const { h } = await setup();
    expect(await h.apiKeyCreate({ body: { name: 'x', scopes: ['schedules:read'] } })).toEqual({
      status: 401,
      body: { detail: MESSAGES.credentials },
    });
  });

  it('a deactivated (or deleted) user cannot create keys with a still valid access token → 401', async () => {
    const { h, users } = await setup();
    await users.setFlags(ALICE.id, { is_active: false });
    expect(
      (await h.apiKeyCreate({ user: ALICE, body: { name: 'x', scopes: ['schedules:read'] } })).status,
    ).toBe(401);
    const ghost = { id: 99, email: 'ghost@example.com', is_superuser: false };
    expect(
      (await h.apiKeyCreate({ user: ghost, body: { name: 'x', scopes: ['schedules:read'] } })).status,
    ).toBe(401);
  });

  it('an unknown scope → 422 at [body, scopes, i] naming the allowed values', async () => {
    const { h } = await setup();
    const r = await h.apiKeyCreate({
      user: ALICE,
      body: { name: 'x', scopes: ['schedules:read', 'schedules:write'] },
    });
    expect(r.status).toBe(422);
    expect(detailOf(r)).toEqual([
      {
        loc: ['body', 'scopes', 1],
        msg: 'Unknown scope "schedules:write": must be one of [schedules:read, comparisons:read]',
        type: 'value_error',
      },
    ]);
  });

  it.each([
    ['empty scopes', { name: 'x', scopes: [] }, ['body', 'scopes'], /At least one scope.*schedules:read/],
    ['missing scopes', { name: 'x' }, ['body', 'scopes'], /field required/],
    [
      'a scope twice',
      { name: 'x', scopes: ['schedules:read', 'schedules:read'] },
      ['body', 'scopes'],
      /once/,
    ],
    ['scopes not a list', { name: 'x', scopes: 'schedules:read' }, ['body', 'scopes'], /array/],
    ['a blank name', { name: '   ', scopes: ['schedules:read'] }, ['body', 'name'], /must not be empty/],
    [
      'a name too long',
      { name: 'n'.repeat(API_KEY_NAME_MAX + 1), scopes: ['schedules:read'] },
      ['body', 'name'],
      new RegExp(`at most ${API_KEY_NAME_MAX} characters`),
    ],
    [
      'expires_at not a date',
      { name: 'x', scopes: ['schedules:read'], expires_at: 'tomorrow' },
      ['body', 'expires_at'],
      /datetime/i,
    ],
    [
      'expires_at in the past',
      { name: 'x', scopes: ['schedules:read'], expires_at: '2026-03-01T09:59:59Z' },
      ['body', 'expires_at'],
      /in the future/,
    ],
  ])('%s → 422 naming the field', async (_what, body, loc, msg) => {
    const { h, apiKeys } = await setup();
    const r = await h.apiKeyCreate({ user: ALICE, body });
    expect(r.status).toBe(422);
    expect(detailOf(r)[0].loc).toEqual(loc);
    expect(detailOf(r)[0].msg).toMatch(msg);
    expect(await apiKeys.listByUser(ALICE.id)).toEqual([]);
  });

  it('a name of exactly the limit is accepted', async () => {
    const { create } = await setup();
    expect(
      (await create(ALICE, { name: 'n'.repeat(API_KEY_NAME_MAX), scopes: ['comparisons:read'] })).name,
    ).toHaveLength(API_KEY_NAME_MAX);
  });

  it('too many live keys → 409 saying how many and how to free one; revoked or expired keys do not count', async () => {
    const { h, create, clock } = await setup(3);
    const first = await create(ALICE, { name: 'k1', scopes: ['schedules:read'] });
    await create(ALICE, { name: 'k2', scopes: ['schedules:read'] });
    await create(ALICE, { name: 'k3', scopes: ['schedules:read'], expires_at: '2026-03-01T11:00:00Z' });
    const over = await h.apiKeyCreate({ user: ALICE, body: { name: 'k4', scopes: ['schedules:read'] } });
    expect(over).toEqual({ status: 409, body: { detail: API_KEY_MESSAGES.tooMany(3) } });
    expect(over.body).toEqual({ detail: expect.stringContaining('at most 3 live keys per user') });
    // another user has their own allowance
    await create(BOB, { name: 'b1', scopes: ['schedules:read'] });
    // a revoke frees a slot
    expect((await h.apiKeyRevoke({ user: ALICE, params: { id: first.id } })).status).toBe(204);
    await create(ALICE, { name: 'k4', scopes: ['schedules:read'] });
    expect(
      (await h.apiKeyCreate({ user: ALICE, body: { name: 'k5', scopes: ['schedules:read'] } })).status,
    ).toBe(409);
    // so does an expiry
    clock.advance(3_600_000);
    await create(ALICE, { name: 'k5', scopes: ['schedules:read'] });
  });
});

describe('listing and revoking', () => {
  it("lists the caller's keys (revoked ones with revoked_at), never the secret or its hash", async () => {
    const { h, create, clock } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read', 'comparisons:read'] });
    clock.advance(1000);
    const b = await create(ALICE, {
      name: 'b',
      scopes: ['comparisons:read'],
      expires_at: '2027-01-01T00:00:00+01:00',
    });
    await create(BOB, { name: 'bob', scopes: ['schedules:read'] });
    await h.apiKeyRevoke({ user: ALICE, params: { id: a.id } });
    const r = await h.apiKeyList({ user: ALICE });
    expect(r.status).toBe(200);
    const list = ApiKeyListSchema.parse(r.body);
    expect(list.items.map((k) => [k.id, k.name, k.revoked_at !== null])).toEqual([
      [a.id, 'a', true],
      [b.id, 'b', false],
    ]);
    expect(list.items[1].expires_at).toBe('2026-12-31T23:00:00.000Z');
    const text = JSON.stringify(r.body);
    for (const k of [a, b]) expect(text).not.toContain(k.key.slice(`fsk_${k.id}_`.length));
    expect(text).not.toContain('hash');
    expect(await h.apiKeyList({})).toMatchObject({ status: 401 });
  });

  it("revoking another user's key → 404 and the key keeps working; an unknown id → 404; a bad id → 422", async () => {
    const { h, create, verify } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read'] });
    expect(await h.apiKeyRevoke({ user: BOB, params: { id: a.id } })).toEqual({
      status: 404,
      body: { detail: API_KEY_MESSAGES.notFound },
    });
    expect((await verify(a.key)).status).toBe(200);
    expect((await h.apiKeyRevoke({ user: ALICE, params: { id: 'ffffffffffffffff' } })).status).toBe(404);
    const bad = await h.apiKeyRevoke({ user: ALICE, params: { id: 'not-an-id' } });
    expect(bad.status).toBe(422);
    expect(detailOf(bad)[0].loc).toEqual(['path', 'id']);
    expect((await h.apiKeyRevoke({ params: { id: a.id } })).status).toBe(401);
  });

  it('revoking is idempotent (204 again) and takes effect on the next verification', async () => {
    const { h, create, verify } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read'] });
    expect((await verify(a.key)).status).toBe(200);
    expect(await h.apiKeyRevoke({ user: ALICE, params: { id: a.id } })).toEqual({ status: 204, body: null });
    expect((await verify(a.key)).status).toBe(401);
    expect((await h.apiKeyRevoke({ user: ALICE, params: { id: a.id } })).status).toBe(204);
  });
});

describe('verifying a key (the gateway asks)', () => {
  it('a live key → its owner (never as superuser) and its scopes', async () => {
    const { create, verify } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['comparisons:read', 'schedules:read'] });
    const r = await verify(a.key);
    expect(r.status).toBe(200);
    expect(ApiKeyVerifiedSchema.parse(r.body)).toEqual({
      key_id: a.id,
      user: { id: 1, email: 'alice@example.com', is_superuser: false },
      scopes: ['comparisons:read', 'schedules:read'],
    });
  });

  it('a wrong secret for a real id, an unknown id, an expired key → 401; an unknown id costs one lookup', async () => {
    const { create, verify, apiKeys, clock } = await setup();
    const a = await create(ALICE, {
      name: 'a',
      scopes: ['schedules:read'],
      expires_at: '2026-03-02T10:00:00Z',
    });
    const secret = a.key.slice(`fsk_${a.id}_`.length);
    const wrongSecret = `fsk_${a.id}_${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    expect(await verify(wrongSecret)).toEqual({ status: 401, body: { detail: MESSAGES.credentials } });
    apiKeys.finds = 0;
    expect((await verify(`fsk_ffffffffffffffff_${secret}`)).status).toBe(401);
    expect(apiKeys.finds).toBe(1);
    expect((await verify(a.key)).status).toBe(200);
    clock.advance(86_400_000);
    expect((await verify(a.key)).status).toBe(401);
  });

  it('malformed keys and bodies → 401 without any lookup', async () => {
    const { h, verify, apiKeys } = await setup();
    apiKeys.finds = 0;
    for (const key of ['', 'fsk_', 'fsk_zz_abc', `fsk_0123456789abcdef_${'a'.repeat(42)}`, 'eyJhbGciOi.x.y'])
      expect((await verify(key)).status).toBe(401);
    expect((await h.apiKeyVerify({ body: { key: 42 } })).status).toBe(401);
    expect((await h.apiKeyVerify({})).status).toBe(401);
    expect(apiKeys.finds).toBe(0);
  });

  it("a deactivated owner's keys stop working", async () => {
    const { create, verify, users } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read'] });
    await users.setFlags(ALICE.id, { is_active: false });
    expect((await verify(a.key)).status).toBe(401);
  });

  it('records last_used_at, written at most once a minute', async () => {
    const { create, verify, apiKeys, clock, h } = await setup();
    const a = await create(ALICE, { name: 'a', scopes: ['schedules:read'] });
    for (let i = 0; i < 5; i++) await verify(a.key);
    expect(apiKeys.touches).toBe(1);
    clock.advance(61_000);
    await verify(a.key);
    expect(apiKeys.touches).toBe(2);
    const list = ApiKeyListSchema.parse((await h.apiKeyList({ user: ALICE })).body);
    expect(list.items[0].last_used_at).toBe('2026-03-01T10:01:01.000Z');
  });
});
