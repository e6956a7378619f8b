import { z } from 'zod';
import { Timestamp } from './common';
import { ScheduleConfigSchema } from './schedules';
import { WarningsSchema } from './warnings';

export const ConfigTemplateBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).nullish(),
  config: ScheduleConfigSchema,
  is_public: z.boolean().default(false),
});
export const ConfigTemplateUpdateSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).nullish(),
  config: ScheduleConfigSchema.optional(),
  is_public: z.boolean().optional(),
});
export const ConfigTemplateOutSchema = z.object({
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
});
export const ConfigListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
  include_public: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(false),
});
export const ConfigListSchema = z.object({
  configs: z.array(ConfigTemplateOutSchema),
  total: z.number().int(),
  page: z.number().int(),
  page_size: z.number().int(),
});
export const ValidateConfigBodySchema = z.object({ config: ScheduleConfigSchema });
export const ResolveConfigRequestSchema = z.object({
  config_id: z.number().int().positive().nullish(),
  config: ScheduleConfigSchema.nullish(),
});
