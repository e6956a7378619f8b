import type { ConfigChangedNotice } from '@fillsched/contracts';

/** A stored configuration template; `is_default` is per user and lives in UserDefaultsRepository. */
export interface ConfigTemplate {
  id: number;
  user_id: number;
  name: string;
  description: string | null;
  config: Record<string, unknown>;
  is_public: boolean;
  created_at: Date;
  updated_at: Date;
}

export type TemplatePatch = Partial<Pick<ConfigTemplate, 'name' | 'description' | 'config' | 'is_public'>> & {
  updated_at: Date;
};

export interface TemplateListFilter {
  /** Whose templates; ignored when `all` is true. */
  user_id: number;
  /** Also other users' public templates. */
  include_public: boolean;
  /** Every template (superusers). */
  all: boolean;
}

export interface TemplateRepository {
  /** Throws AlreadyExistsError when the id exists. */
  insert(template: ConfigTemplate): Promise<void>;
  findById(id: number): Promise<ConfigTemplate | null>;
  /** Newest first (id descending). */
  list(
    filter: TemplateListFilter,
    skip: number,
    limit: number,
  ): Promise<{ items: ConfigTemplate[]; total: number }>;
  /** Returns the updated template, or null when it no longer exists. */
  update(id: number, patch: TemplatePatch): Promise<ConfigTemplate | null>;
  delete(id: number): Promise<boolean>;
}

/**
 * The default template of each user, one document per user: setting it is a single atomic
 * upsert, so concurrent set-defaults always leave exactly one default (the last write wins).
 */
export interface UserDefaultsRepository {
  get(userId: number): Promise<number | null>;
  set(userId: number, templateId: number): Promise<void>;
  /** Unsets every user's default that points at this template (it was deleted). */
  clearTemplate(templateId: number): Promise<void>;
}

/**
 * Tells the owners that keep resolved templates that one changed (CONFIG_CHANGED_SUBJECT). Awaited
 * before the changing request is answered, so a create sent after the answer sees the change.
 */
export interface ConfigChangeNotifier {
  changed(notice: ConfigChangedNotice): Promise<void>;
}

export interface Clock {
  now(): Date;
}
