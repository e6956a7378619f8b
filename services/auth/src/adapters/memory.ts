import { AlreadyExistsError } from '@fillsched/service-kit';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  Clock,
  RefreshTokenRecord,
  RefreshTokenRepository,
  RevocationPublisher,
  SessionRevocation,
  SigningKey,
  SigningKeyRepository,
  UserRecord,
  UserRepository,
} from '../ports';

// Records are copied in and out so callers cannot mutate the store behind its back.
const copy = <T extends object>(v: T): T => ({ ...v });

export class MemoryUserRepository implements UserRepository {
  private readonly byId = new Map<number, UserRecord>();
  private readonly idByEmail = new Map<string, number>();

  async insert(user: UserRecord): Promise<void> {
    if (this.idByEmail.has(user.email_normalized))
      throw new AlreadyExistsError('user', { email_normalized: user.email_normalized });
    if (this.byId.has(user.id)) throw new AlreadyExistsError('user', { id: user.id });
    this.byId.set(user.id, copy(user));
    this.idByEmail.set(user.email_normalized, user.id);
  }

  async findById(id: number): Promise<UserRecord | null> {
    const u = this.byId.get(id);
    return u ? copy(u) : null;
  }

  async findByEmail(emailNormalized: string): Promise<UserRecord | null> {
    const id = this.idByEmail.get(emailNormalized);
    return id === undefined ? null : this.findById(id);
  }

  async setFlags(
    id: number,
    flags: { is_active?: boolean; is_superuser?: boolean },
  ): Promise<UserRecord | null> {
    const u = this.byId.get(id);
    if (!u) return null;
    if (flags.is_active !== undefined) u.is_active = flags.is_active;
    if (flags.is_superuser !== undefined) u.is_superuser = flags.is_superuser;
    return copy(u);
  }
}

export class MemoryRefreshTokenRepository implements RefreshTokenRepository {
  private readonly byHash = new Map<string, RefreshTokenRecord>();

  async insert(token: RefreshTokenRecord): Promise<void> {
    if (this.byHash.has(token.hash)) throw new AlreadyExistsError('refresh token', { hash: token.hash });
    this.byHash.set(token.hash, copy(token));
  }

  async findByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const t = this.byHash.get(hash);
    return t ? copy(t) : null;
  }

  async claimForRotation(hash: string, now: Date): Promise<RefreshTokenRecord | null> {
    // Check and set without an await in between: atomic on the single JS thread.
    const t = this.byHash.get(hash);
    if (!t || t.rotated_at !== null || t.revoked_at !== null) return null;
    const before = copy(t);
    t.rotated_at = now;
    return before;
  }

  async markReplaced(hash: string, successorHash: string): Promise<void> {
    const t = this.byHash.get(hash);
    if (t) t.replaced_by = successorHash;
  }

  async revokeFamily(family: string, now: Date): Promise<number> {
    let n = 0;
    for (const t of this.byHash.values())
      if (t.family === family && t.revoked_at === null) {
        t.revoked_at = now;
        n++;
      }
    return n;
  }

  async isFamilyRevoked(family: string): Promise<boolean> {
    for (const t of this.byHash.values()) if (t.family === family && t.revoked_at !== null) return true;
    return false;
  }
}

export class MemoryApiKeyRepository implements ApiKeyRepository {
  private readonly byId = new Map<string, ApiKeyRecord>();

  private static copyKey(k: ApiKeyRecord): ApiKeyRecord {
    return { ...k, scopes: [...k.scopes] };
  }

  async insert(key: ApiKeyRecord): Promise<void> {
    if (this.byId.has(key.id)) throw new AlreadyExistsError('api key', { id: key.id });
    this.byId.set(key.id, MemoryApiKeyRepository.copyKey(key));
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const k = this.byId.get(id);
    return k ? MemoryApiKeyRepository.copyKey(k) : null;
  }

  async listByUser(userId: number): Promise<ApiKeyRecord[]> {
    return [...this.byId.values()]
      .filter((k) => k.user_id === userId)
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id))
      .map(MemoryApiKeyRepository.copyKey);
  }

  async countLive(userId: number, now: Date): Promise<number> {
    let n = 0;
    for (const k of this.byId.values())
      if (
        k.user_id === userId &&
        k.revoked_at === null &&
        (k.expires_at === null || k.expires_at.getTime() > now.getTime())
      )
        n++;
    return n;
  }

  async revoke(userId: number, id: string, now: Date): Promise<ApiKeyRecord | null> {
    const k = this.byId.get(id);
    if (!k || k.user_id !== userId) return null;
    if (k.revoked_at === null) k.revoked_at = now;
    return MemoryApiKeyRepository.copyKey(k);
  }

  async touch(id: string, now: Date): Promise<void> {
    const k = this.byId.get(id);
    if (k) k.last_used_at = now;
  }
}

export class MemorySigningKeyRepository implements SigningKeyRepository {
  private active: SigningKey | null = null;

  async getActive(): Promise<SigningKey | null> {
    return this.active ? copy(this.active) : null;
  }

  async getOrCreateActive(candidate: SigningKey): Promise<SigningKey> {
    if (!this.active) this.active = copy(candidate);
    return copy(this.active);
  }
}

/** Stands in for the KV bucket in tests: remembers what was revoked. */
export class MemoryRevocationPublisher implements RevocationPublisher {
  readonly revoked = new Map<string, SessionRevocation>();

  async revokeSession(sid: string, revocation: SessionRevocation): Promise<void> {
    this.revoked.set(sid, { ...revocation });
  }
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
