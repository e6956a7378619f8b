import { z } from 'zod';
import { CONFIG_KEYS } from '../catalogue';
import { apiSchemas, Timestamp } from './common';
import { ScheduleConfigSchema } from './schedules';
import { WarningsSchema } from './warnings';

// The API guide's own bodies, shown as OpenAPI examples.
const GUIDE_CONFIG = {
  line_count: 5,
  changeover_time: 30,
  min_batch_size: 100,
  max_makespan: 480,
  priority_weight: 2.0,
};
const GUIDE_TEMPLATE = {
  id: 1,
  user_id: 1,
  name: 'High-Priority Production',
  description: 'Configuration for high-priority lots',
  config: GUIDE_CONFIG,
  is_public: false,
  is_default: false,
  created_at: '2024-10-13T10:00:00',
  updated_at: '2024-10-13T10:00:00',
};

export const ConfigTemplateBodySchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullish(),
    config: ScheduleConfigSchema,
    is_public: z.boolean().default(false),
  })
  .register(apiSchemas, {
    id: 'ConfigTemplateCreate',
    examples: [
      {
        name: GUIDE_TEMPLATE.name,
        description: GUIDE_TEMPLATE.description,
        config: GUIDE_CONFIG,
        is_public: false,
      },
    ],
  });
export const ConfigTemplateUpdateSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullish(),
    config: ScheduleConfigSchema.optional(),
    is_public: z.boolean().optional(),
  })
  .register(apiSchemas, {
    id: 'ConfigTemplateUpdate',
    examples: [{ name: 'Updated Name', config: { line_count: 6 } }],
  });
export const ConfigTemplateOutSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    name: z.string(),
    description: z.string().nullable(),
    config: ScheduleConfigSchema,
    is_public: z.boolean(),
    is_default: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    warnings: WarningsSchema.optional(),
  })
  .register(apiSchemas, { id: 'ConfigTemplate', examples: [GUIDE_TEMPLATE] });
export const ConfigListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  include_public: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(false),
});
export const ConfigListSchema = z
  .object({
    configs: z.array(ConfigTemplateOutSchema),
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
  })
  .register(apiSchemas, {
    id: 'ConfigTemplateList',
    examples: [{ configs: [GUIDE_TEMPLATE], total: 1, page: 1, page_size: 20 }],
  });
export const ValidateConfigBodySchema = z.object({ config: ScheduleConfigSchema }).register(apiSchemas, {
  id: 'ConfigValidationRequest',
  examples: [{ config: { line_count: 3, changeover_time: 30 } }],
});

/** The reply of GET /config/system/default: every key's built-in default, and the keys' documentation. */
export const systemDefaultResponse = () => ({
  config: Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.default])) as Record<string, unknown>,
  keys: CONFIG_KEYS.map((k) => ({ ...k })),
});
export const SystemDefaultConfigSchema = z
  .object({ config: ScheduleConfigSchema })
  .loose()
  .register(apiSchemas, { id: 'SystemDefaultConfig', examples: [systemDefaultResponse()] });
export const ResolveConfigRequestSchema = z.object({
  config_id: z.number().int().positive().nullish(),
  config: ScheduleConfigSchema.nullish(),
});

/**
 * The effective config of a run: the template's keys (none without a template), then the request's,
 * which win key by key (a key given as undefined leaves the template's). The config service's
 * `resolve` and an owner's cached template (job-owner CachingConfigResolver) both merge with this.
 */
export function applyConfigOverrides(
  template: Record<string, unknown> | null | undefined,
  overrides: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(template ?? {}) };
  for (const [k, v] of Object.entries(overrides ?? {})) if (v !== undefined) config[k] = v;
  return config;
}
