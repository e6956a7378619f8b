import { Schema, type Connection, type Model } from 'mongoose';
import { AlreadyExistsError, isDuplicateKeyError, translateDuplicateKey } from '@fillsched/service-kit';
import type {
  ConfigTemplate,
  TemplateListFilter,
  TemplatePatch,
  TemplateRepository,
  UserDefaultsRepository,
} from '../ports';

/**
 * The config is stored as JSON text (`config_json`), as the schedule store keeps it: it is never
 * queried, and its user-chosen keys (product types such as 'Vial.E' in a changeover matrix) may
 * contain '.' or start with '$', which FerretDB 1.24 refuses in any document. Templates written
 * before hold `config` as an object; reads accept both.
 */
type TemplateDoc = Omit<ConfigTemplate, 'config'> & {
  config_json?: string;
  config?: Record<string, unknown>;
};

const templateSchema = new Schema<TemplateDoc>(
  {
    id: { type: Number, required: true, unique: true },
    user_id: { type: Number, required: true, index: true },
    name: { type: String, required: true },
    description: { type: String, default: null },
    config_json: { type: String },
    config: { type: Schema.Types.Mixed },
    is_public: { type: Boolean, default: false, index: true },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
  },
  // minimize: false keeps a legacy empty `config: {}` instead of dropping the field.
  { collection: 'config_templates', versionKey: false, minimize: false },
);

interface UserDefaultDoc {
  user_id: number;
  template_id: number | null;
  set_at: Date;
}
// Keyed by user_id (unique), not by _id: the embedded test server turns numeric _ids into ObjectIds.
const userDefaultSchema = new Schema<UserDefaultDoc>(
  {
    user_id: { type: Number, required: true, unique: true },
    template_id: { type: Number, default: null, index: true },
    set_at: { type: Date, required: true },
  },
  { collection: 'user_defaults', versionKey: false },
);

function toTemplate(doc: Record<string, unknown>): ConfigTemplate {
  return {
    id: doc.id as number,
    user_id: doc.user_id as number,
    name: doc.name as string,
    description: (doc.description as string | null | undefined) ?? null,
    config:
      typeof doc.config_json === 'string'
        ? (JSON.parse(doc.config_json) as Record<string, unknown>)
        : ((doc.config as Record<string, unknown> | undefined) ?? {}),
    is_public: Boolean(doc.is_public),
    created_at: new Date(doc.created_at as Date),
    updated_at: new Date(doc.updated_at as Date),
  };
}

function filterQuery(f: TemplateListFilter): Record<string, unknown> {
  if (f.all) return {};
  if (f.include_public) return { $or: [{ user_id: f.user_id }, { is_public: true }] };
  return { user_id: f.user_id };
}

export class MongooseTemplateRepository implements TemplateRepository {
  private readonly model: Model<TemplateDoc>;
  constructor(conn: Connection) {
    this.model = conn.models.ConfigTemplate ?? conn.model<TemplateDoc>('ConfigTemplate', templateSchema);
  }

  async insert(template: ConfigTemplate): Promise<void> {
    // The embedded test server does not enforce unique indexes, so check the public id too.
    const key = { id: template.id };
    if (await this.model.exists(key)) throw new AlreadyExistsError('config template', key);
    const { config, ...rest } = template;
    await translateDuplicateKey('config template', key, () =>
      this.model.create({ ...rest, config_json: JSON.stringify(config) }),
    );
  }

  async findById(id: number): Promise<ConfigTemplate | null> {
    const doc = await this.model.findOne({ id }).lean();
    return doc ? toTemplate(doc as unknown as Record<string, unknown>) : null;
  }

  async list(filter: TemplateListFilter, skip: number, limit: number) {
    const q = filterQuery(filter);
    const [docs, total] = await Promise.all([
      this.model.find(q).sort({ id: -1 }).skip(skip).limit(limit).lean(),
      this.model.countDocuments(q),
    ]);
    return { items: docs.map((d) => toTemplate(d as unknown as Record<string, unknown>)), total };
  }

  async update(id: number, patch: TemplatePatch): Promise<ConfigTemplate | null> {
    const $set: Record<string, unknown> = {};
    const update: Record<string, unknown> = { $set };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (k === 'config') {
        $set.config_json = JSON.stringify(v);
        update.$unset = { config: 1 }; // a legacy object copy must not outlive the new config
      } else $set[k] = v;
    }
    const doc = await this.model.findOneAndUpdate({ id }, update, { returnDocument: 'after' }).lean();
    return doc ? toTemplate(doc as unknown as Record<string, unknown>) : null;
  }

  async delete(id: number): Promise<boolean> {
    const res = await this.model.deleteOne({ id });
    return res.deletedCount > 0;
  }
}

export class MongooseUserDefaultsRepository implements UserDefaultsRepository {
  private readonly model: Model<UserDefaultDoc>;
  constructor(conn: Connection) {
    this.model = conn.models.UserDefault ?? conn.model<UserDefaultDoc>('UserDefault', userDefaultSchema);
  }

  async get(userId: number): Promise<number | null> {
    // Newest first: should a server without unique indexes ever let two first-time upserts both
    // insert, the last write still wins, as it does on MongoDB.
    const doc = await this.model.findOne({ user_id: userId }).sort({ set_at: -1, _id: -1 }).lean();
    return doc?.template_id ?? null;
  }

  async set(userId: number, templateId: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        // One document per user: a single atomic upsert, no per-template flags to clear.
        await this.model.updateMany(
          { user_id: userId },
          { $set: { template_id: templateId, set_at: new Date() } },
          { upsert: true },
        );
        return;
      } catch (err) {
        // Two first-time upserts can race on the unique user_id; the loser's retry finds the document.
        if (attempt < 3 && isDuplicateKeyError(err)) continue;
        throw err;
      }
    }
  }

  async clearTemplate(templateId: number): Promise<void> {
    await this.model.updateMany({ template_id: templateId }, { $set: { template_id: null } });
  }
}
