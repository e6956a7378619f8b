import { AlreadyExistsError } from '@fillsched/service-kit';
import type {
  ConfigTemplate,
  TemplateListFilter,
  TemplatePatch,
  TemplateRepository,
  UserDefaultsRepository,
} from '../ports';

// Copies in and out, so callers can never mutate stored state by accident (as with a database).
const copy = (t: ConfigTemplate): ConfigTemplate => ({
  ...t,
  config: structuredClone(t.config),
  created_at: new Date(t.created_at),
  updated_at: new Date(t.updated_at),
});

export function matchesFilter(t: ConfigTemplate, f: TemplateListFilter): boolean {
  return f.all || t.user_id === f.user_id || (f.include_public && t.is_public);
}

export class MemoryTemplateRepository implements TemplateRepository {
  private readonly byId = new Map<number, ConfigTemplate>();

  async insert(template: ConfigTemplate): Promise<void> {
    if (this.byId.has(template.id)) throw new AlreadyExistsError('config template', { id: template.id });
    this.byId.set(template.id, copy(template));
  }

  async findById(id: number): Promise<ConfigTemplate | null> {
    const t = this.byId.get(id);
    return t ? copy(t) : null;
  }

  async list(filter: TemplateListFilter, skip: number, limit: number) {
    const all = [...this.byId.values()].filter((t) => matchesFilter(t, filter)).sort((a, b) => b.id - a.id);
    return { items: all.slice(skip, skip + limit).map(copy), total: all.length };
  }

  async update(id: number, patch: TemplatePatch): Promise<ConfigTemplate | null> {
    const t = this.byId.get(id);
    if (!t) return null;
    const next: ConfigTemplate = { ...t };
    for (const [k, v] of Object.entries(patch))
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    this.byId.set(id, copy(next));
    return copy(next);
  }

  async delete(id: number): Promise<boolean> {
    return this.byId.delete(id);
  }
}

export class MemoryUserDefaultsRepository implements UserDefaultsRepository {
  private readonly defaults = new Map<number, number | null>();

  async get(userId: number): Promise<number | null> {
    return this.defaults.get(userId) ?? null;
  }

  async set(userId: number, templateId: number): Promise<void> {
    this.defaults.set(userId, templateId);
  }

  async clearTemplate(templateId: number): Promise<void> {
    for (const [user, id] of this.defaults) if (id === templateId) this.defaults.set(user, null);
  }
}
