import { z } from 'zod';
import { MAX_TIME_LIMIT_S, StrategySchema, timeLimitTooLarge } from '@fillsched/contracts';

/** A form field holding a JSON object (multipart has no nested values). */
const JsonObjectField = z.string().transform((text, ctx) => {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'config must be a JSON object (as a string)' });
  return z.NEVER;
});

/**
 * Text fields of the multipart schedule upload (the CSV arrives as the `file` part). HTML forms
 * send empty strings for untouched inputs; those count as absent.
 */
export const ScheduleUploadFormSchema = z.preprocess(
  (raw) =>
    raw && typeof raw === 'object'
      ? Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([, v]) => v !== ''))
      : raw,
  z.object({
    /** Defaults to the uploaded file's name (the schedule service applies it). */
    name: z.string().trim().min(1).max(200).optional(),
    strategy: StrategySchema.default('smart-pack'),
    config: JsonObjectField.optional(),
    config_id: z.coerce.number().int().positive().optional(),
    start_time: z.string().optional(),
    seed: z.coerce.number().int().optional(),
    time_limit_s: z.coerce
      .number()
      .positive()
      .max(MAX_TIME_LIMIT_S, { message: timeLimitTooLarge })
      .optional(),
  }),
);

/** OpenAPI description of the multipart variant (a file part cannot be expressed in zod). */
export const scheduleUploadJsonSchema = {
  type: 'object',
  required: ['file'],
  properties: {
    file: {
      type: 'string',
      format: 'binary',
      contentMediaType: 'text/csv',
      description:
        "Lots CSV: `Lot ID,Type,Vials` (reference format) or the guide's lot fields as columns; at most 5 MB",
    },
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'defaults to the file name' },
    strategy: { type: 'string', default: 'smart-pack' },
    config: { type: 'string', description: 'Config object as a JSON string' },
    config_id: { type: 'integer', minimum: 1 },
    start_time: { type: 'string', description: 'ISO 8601' },
    seed: { type: 'integer' },
    time_limit_s: { type: 'number', exclusiveMinimum: 0, maximum: MAX_TIME_LIMIT_S },
  },
} as const;

/** A CSV upload as the README's walk-through sends it (`-F name=from-csv -F strategy=lpt-pack -F file=@lots.csv`). */
export const scheduleUploadExample = {
  file: 'Lot ID,Type,Vials\nLOT001,ProductA,100000\nLOT002,ProductB,250000\nLOT003,ProductA,50000\n',
  name: 'from-csv',
  strategy: 'lpt-pack',
};
