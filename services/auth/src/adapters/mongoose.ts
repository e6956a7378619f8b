import {
  AlreadyExistsError,
  isDuplicateKeyError,
  isNotImplementedError,
  translateDuplicateKey,
} from '@fillsched/service-kit';
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  ApiKeyRecord,
  ApiKeyRepository,
  RefreshTokenRecord,
  RefreshTokenRepository,
  SigningKey,
  SigningKeyRepository,
  UserRecord,
  UserRepository,
} from '../ports';

// Documents keep MongoDB's own ObjectId _id (the embedded test server accepts no other) and carry
// their natural keys in uniquely indexed fields.
type UserDoc = UserRecord;
type RefreshTokenDoc = RefreshTokenRecord;
interface SigningKeyDoc extends SigningKey {
  /** 'active' for the key tokens are signed with. */
  name: string;
}

const userSchema = new Schema<UserDoc>(
  {
    id: { type: Number, required: true },
    email: { type: String, required: true },
    email_normalized: { type: String, required: true },
    full_name: { type: String, default: null },
    password_hash: { type: String, required: true },
    is_active: { type: Boolean, required: true },
    is_superuser: { type: Boolean, required: true },
    created_at: { type: Date, required: true },
  },
  { versionKey: false, id: false },
);
userSchema.index({ id: 1 }, { unique: true });
userSchema.index({ email_normalized: 1 }, { unique: true });

const refreshTokenSchema = new Schema<RefreshTokenDoc>(
  {
    hash: { type: String, required: true },
    family: { type: String, required: true },
    user_id: { type: Number, required: true },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, required: true },
    rotated_at: { type: Date, default: null },
    replaced_by: { type: String, default: null },
    revoked_at: { type: Date, default: null },
  },
  { versionKey: false, id: false },
);
refreshTokenSchema.index({ hash: 1 }, { unique: true });
refreshTokenSchema.index({ family: 1 });
// Real MongoDB deletes expired tokens a day after expiry (kept a while to still detect reuse).
refreshTokenSchema.index({ expires_at: 1 }, { expireAfterSeconds: 86_400 });
// Indexes are built by createDeclaredIndexes (not mongoose's autoIndex) so a server without TTL
// indexes can still run the refresh tokens.
refreshTokenSchema.set('autoIndex', false);

const signingKeySchema = new Schema<SigningKeyDoc>(
  {
    name: { type: String, required: true },
    kid: { type: String, required: true },
    private_key_pem: { type: String, required: true },
    public_key_pem: { type: String, required: true },
    created_at: { type: Date, required: true },
  },
  { versionKey: false, id: false },
);
signingKeySchema.index({ name: 1 }, { unique: true });

type ApiKeyDoc = ApiKeyRecord;
const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    id: { type: String, required: true },
    user_id: { type: Number, required: true },
    name: { type: String, required: true },
    scopes: { type: [String], required: true },
    secret_hash: { type: String, required: true },
    created_at: { type: Date, required: true },
    expires_at: { type: Date, default: null },
    revoked_at: { type: Date, default: null },
    last_used_at: { type: Date, default: null },
  },
  { versionKey: false, id: false },
);
apiKeySchema.index({ id: 1 }, { unique: true });
apiKeySchema.index({ user_id: 1, created_at: 1 });

const ACTIVE_KEY_ID = 'active';

function toUser(d: UserDoc): UserRecord {
  return {
    id: d.id,
    email: d.email,
    email_normalized: d.email_normalized,
    full_name: d.full_name ?? null,
    password_hash: d.password_hash,
    is_active: d.is_active,
    is_superuser: d.is_superuser,
    created_at: new Date(d.created_at),
  };
}

function toToken(d: RefreshTokenDoc): RefreshTokenRecord {
  return {
    hash: d.hash,
    family: d.family,
    user_id: d.user_id,
    created_at: new Date(d.created_at),
    expires_at: new Date(d.expires_at),
    rotated_at: d.rotated_at ? new Date(d.rotated_at) : null,
    replaced_by: d.replaced_by ?? null,
    revoked_at: d.revoked_at ? new Date(d.revoked_at) : null,
  };
}

function toKey(d: SigningKeyDoc): SigningKey {
  return {
    kid: d.kid,
    private_key_pem: d.private_key_pem,
    public_key_pem: d.public_key_pem,
    created_at: new Date(d.created_at),
  };
}

function toApiKey(d: ApiKeyDoc): ApiKeyRecord {
  return {
    id: d.id,
    user_id: d.user_id,
    name: d.name,
    scopes: [...d.scopes],
    secret_hash: d.secret_hash,
    created_at: new Date(d.created_at),
    expires_at: d.expires_at ? new Date(d.expires_at) : null,
    revoked_at: d.revoked_at ? new Date(d.revoked_at) : null,
    last_used_at: d.last_used_at ? new Date(d.last_used_at) : null,
  };
}

export class MongooseUserRepository implements UserRepository {
  constructor(private readonly model: Model<UserDoc>) {}

  async insert(user: UserRecord): Promise<void> {
    // The unique index is the guarantee on real MongoDB; the lookup first also covers servers
    // that do not enforce unique indexes (the embedded test server).
    const existing = await this.model.exists({ email_normalized: user.email_normalized });
    const key = { email_normalized: user.email_normalized };
    if (existing) throw new AlreadyExistsError('user', key);
    await translateDuplicateKey('user', key, () => this.model.create(user));
  }

  async findById(id: number): Promise<UserRecord | null> {
    const d = await this.model.findOne({ id }).lean<UserDoc>();
    return d ? toUser(d) : null;
  }

  async findByEmail(emailNormalized: string): Promise<UserRecord | null> {
    const d = await this.model.findOne({ email_normalized: emailNormalized }).lean<UserDoc>();
    return d ? toUser(d) : null;
  }

  async setFlags(
    id: number,
    flags: { is_active?: boolean; is_superuser?: boolean },
  ): Promise<UserRecord | null> {
    const set: Record<string, boolean> = {};
    if (flags.is_active !== undefined) set.is_active = flags.is_active;
    if (flags.is_superuser !== undefined) set.is_superuser = flags.is_superuser;
    const d = await this.model
      .findOneAndUpdate({ id }, { $set: set }, { returnDocument: 'after' })
      .lean<UserDoc>();
    return d ? toUser(d) : null;
  }
}

export class MongooseRefreshTokenRepository implements RefreshTokenRepository {
  constructor(private readonly model: Model<RefreshTokenDoc>) {}

  async insert(token: RefreshTokenRecord): Promise<void> {
    await translateDuplicateKey('refresh token', { hash: token.hash }, () => this.model.create(token));
  }

  async findByHash(hash: string): Promise<RefreshTokenRecord | null> {
    const d = await this.model.findOne({ hash }).lean<RefreshTokenDoc>();
    return d ? toToken(d) : null;
  }

  async claimForRotation(hash: string, now: Date): Promise<RefreshTokenRecord | null> {
    const d = await this.model
      .findOneAndUpdate(
        { hash, rotated_at: null, revoked_at: null },
        { $set: { rotated_at: now } },
        { returnDocument: 'before' },
      )
      .lean<RefreshTokenDoc>();
    return d ? toToken(d) : null;
  }

  async markReplaced(hash: string, successorHash: string): Promise<void> {
    await this.model.updateOne({ hash }, { $set: { replaced_by: successorHash } });
  }

  async revokeFamily(family: string, now: Date): Promise<number> {
    const r = await this.model.updateMany({ family, revoked_at: null }, { $set: { revoked_at: now } });
    return r.modifiedCount;
  }

  async isFamilyRevoked(family: string): Promise<boolean> {
    return (await this.model.exists({ family, revoked_at: { $ne: null } })) !== null;
  }
}

export class MongooseApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly model: Model<ApiKeyDoc>) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    // As users: the lookup also covers the embedded test server, which enforces no unique index.
    if (await this.model.exists({ id: key.id })) throw new AlreadyExistsError('api key', { id: key.id });
    await translateDuplicateKey('api key', { id: key.id }, () => this.model.create(key));
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const d = await this.model.findOne({ id }).lean<ApiKeyDoc>();
    return d ? toApiKey(d) : null;
  }

  async listByUser(userId: number): Promise<ApiKeyRecord[]> {
    const docs = await this.model
      .find({ user_id: userId })
      .sort({ created_at: 1, id: 1 })
      .lean<ApiKeyDoc[]>();
    return docs.map(toApiKey);
  }

  async countLive(userId: number, now: Date): Promise<number> {
    return this.model.countDocuments({
      user_id: userId,
      revoked_at: null,
      $or: [{ expires_at: null }, { expires_at: { $gt: now } }],
    });
  }

  async revoke(userId: number, id: string, now: Date): Promise<ApiKeyRecord | null> {
    await this.model.updateOne({ id, user_id: userId, revoked_at: null }, { $set: { revoked_at: now } });
    const d = await this.model.findOne({ id, user_id: userId }).lean<ApiKeyDoc>();
    return d ? toApiKey(d) : null;
  }

  async touch(id: string, now: Date): Promise<void> {
    await this.model.updateOne({ id }, { $set: { last_used_at: now } });
  }
}

export class MongooseSigningKeyRepository implements SigningKeyRepository {
  constructor(private readonly model: Model<SigningKeyDoc>) {}

  async getActive(): Promise<SigningKey | null> {
    const d = await this.model.findOne({ name: ACTIVE_KEY_ID }).lean<SigningKeyDoc>();
    return d ? toKey(d) : null;
  }

  async getOrCreateActive(candidate: SigningKey): Promise<SigningKey> {
    // Fixed name + upsert with $setOnInsert: the first writer wins and everyone reads its key.
    // A concurrent upsert on real MongoDB may fail with E11000; the key exists then, so re-read.
    try {
      const d = await this.model
        .findOneAndUpdate(
          { name: ACTIVE_KEY_ID },
          { $setOnInsert: { ...candidate } },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<SigningKeyDoc>();
      if (d) return toKey(d);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const again = await this.getActive();
    if (!again) throw new Error('signing key vanished after upsert');
    return again;
  }
}

export interface MongooseRepositories {
  users: MongooseUserRepository;
  refreshTokens: MongooseRefreshTokenRepository;
  signingKeys: MongooseSigningKeyRepository;
  apiKeys: MongooseApiKeyRepository;
}

/** Models on the service's own connection; waits for the indexes so uniqueness holds from the start. */
/**
 * Builds a model's declared indexes one by one. A TTL index the server refuses as not implemented
 * (FerretDB 1.24: `Index option "expireAfterSeconds" is not implemented yet`, code 238) is left
 * out: the TTL only cleans up, expiry itself is checked against expires_at in code.
 */
async function createDeclaredIndexes(model: Model<RefreshTokenDoc>): Promise<void> {
  for (const [fields, options] of model.schema.indexes()) {
    try {
      await model.collection.createIndex(
        fields as Record<string, 1 | -1>,
        options as Parameters<typeof model.collection.createIndex>[1],
      );
    } catch (err) {
      if (options?.expireAfterSeconds !== undefined && isNotImplementedError(err)) continue;
      throw err;
    }
  }
}

export async function createMongooseRepositories(conn: Connection): Promise<MongooseRepositories> {
  const users = conn.model<UserDoc>('User', userSchema, 'users');
  const refreshTokens = conn.model<RefreshTokenDoc>('RefreshToken', refreshTokenSchema, 'refresh_tokens');
  const signingKeys = conn.model<SigningKeyDoc>('SigningKey', signingKeySchema, 'signing_keys');
  const apiKeys = conn.model<ApiKeyDoc>('ApiKey', apiKeySchema, 'api_keys');
  await Promise.all([
    apiKeys.init(),
    users.init(),
    refreshTokens.init().then(() => createDeclaredIndexes(refreshTokens)),
    signingKeys.init(),
  ]);
  return {
    users: new MongooseUserRepository(users),
    refreshTokens: new MongooseRefreshTokenRepository(refreshTokens),
    signingKeys: new MongooseSigningKeyRepository(signingKeys),
    apiKeys: new MongooseApiKeyRepository(apiKeys),
  };
}
