import type { IdAllocator } from '@fillsched/service-kit';

export type { IdAllocator };

export interface UserRecord {
  id: number;
  /** As registered (trimmed); shown in responses. */
  email: string;
  /** Lower-cased email: the unique key, so `A@x.io` and `a@x.io` are one account. */
  email_normalized: string;
  full_name: string | null;
  password_hash: string;
  is_active: boolean;
  is_superuser: boolean;
  created_at: Date;
}

export interface UserRepository {
  /** Throws AlreadyExistsError when email_normalized (or the id) is taken. */
  insert(user: UserRecord): Promise<void>;
  findById(id: number): Promise<UserRecord | null>;
  findByEmail(emailNormalized: string): Promise<UserRecord | null>;
  /** Returns the updated user, or null when it does not exist. */
  setFlags(id: number, flags: { is_active?: boolean; is_superuser?: boolean }): Promise<UserRecord | null>;
}

export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  hash: string;
  /** Session id (`sid` claim): every token issued by rotation from one login shares it. */
  family: string;
  user_id: number;
  created_at: Date;
  expires_at: Date;
  rotated_at: Date | null;
  /** Hash of the successor once it was issued; null while a rotation is still in flight. */
  replaced_by: string | null;
  revoked_at: Date | null;
}

export interface RefreshTokenRepository {
  insert(token: RefreshTokenRecord): Promise<void>;
  findByHash(hash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Atomically marks the token rotated if it is neither rotated nor revoked and returns it as it
   * was before; null otherwise. Of two concurrent calls with the same hash at most one gets it.
   */
  claimForRotation(hash: string, now: Date): Promise<RefreshTokenRecord | null>;
  /** Records the successor of a rotated token (a later presentation of it is then a reuse). */
  markReplaced(hash: string, successorHash: string): Promise<void>;
  /** Marks every not yet revoked token of the family revoked; returns how many changed. */
  revokeFamily(family: string, now: Date): Promise<number>;
  /** True when any token of the family carries revoked_at. */
  isFamilyRevoked(family: string): Promise<boolean>;
}

export interface ApiKeyRecord {
  /** The public id (16 hex characters): the middle part of `fsk_<id>_<secret>`, unique. */
  id: string;
  user_id: number;
  name: string;
  scopes: string[];
  /** SHA-256 (hex) of the secret part; the key itself is never stored. */
  secret_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface ApiKeyRepository {
  /** Throws AlreadyExistsError when the id is taken. */
  insert(key: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | null>;
  /** Every key of the user (revoked ones too), oldest first. */
  listByUser(userId: number): Promise<ApiKeyRecord[]>;
  /** Keys of the user neither revoked nor expired at `now`. */
  countLive(userId: number, now: Date): Promise<number>;
  /**
   * Sets revoked_at on the user's key unless already revoked; returns the key as it is afterwards,
   * or null when no key of that user has this id (another user's key is "not found").
   */
  revoke(userId: number, id: string, now: Date): Promise<ApiKeyRecord | null>;
  /** Records a use; called at most once a minute per key. */
  touch(id: string, now: Date): Promise<void>;
}

export interface SigningKey {
  kid: string;
  private_key_pem: string;
  public_key_pem: string;
  created_at: Date;
}

export interface SigningKeyRepository {
  getActive(): Promise<SigningKey | null>;
  /**
   * Stores `candidate` as the active key unless one exists, and returns the active key. Replicas
   * starting at once all get the same key back (the first writer wins).
   */
  getOrCreateActive(candidate: SigningKey): Promise<SigningKey>;
}

export interface SessionRevocation {
  /** ISO time of the revocation. */
  revoked_at: string;
  /** Epoch seconds after which no access token of the session can be valid anyway. */
  exp: number;
}

/** Tells every gateway replica that a session (sid) is revoked; KV bucket in production. */
export interface RevocationPublisher {
  revokeSession(sid: string, revocation: SessionRevocation): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}
