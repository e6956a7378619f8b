import { z } from 'zod';
import { didYouMean } from '../catalogue';

/**
 * What a create/update request contained that was accepted but ignored: unknown top-level fields
 * and unknown config keys, each with the closest known name. An unknown field is a warning, not a
 * 422, so clients that send extra metadata keep working; it is never silent: the 201/202 reply
 * carries it and the run keeps it (GET shows it).
 */
export const WarningsSchema = z
  .array(z.string())
  .describe(
    "Accepted but ignored parts of the request, e.g. \"Unknown config key 'changover_time' is ignored (did you mean 'changeover_time'?)\"",
  );
export type Warnings = z.infer<typeof WarningsSchema>;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Unknown field 'stratgy' is ignored (did you mean 'strategy'?)`: one per top-level key the schema does not declare. */
export function unknownFieldWarnings(schema: z.ZodObject, raw: unknown): string[] {
  if (!isPlainObject(raw)) return [];
  const known = Object.keys(schema.shape);
  return Object.keys(raw)
    .filter((k) => !known.includes(k))
    .map((k) => `Unknown field '${k}' is ignored${didYouMean(k, known)}`);
}

/**
 * The warnings of a request with a body and a config: unknown top-level fields of `raw` (zod strips
 * them silently), then the config's warnings (unknown keys, unknown line keys, conflicts) as the
 * engine's `validateConfig` reported them.
 */
export function requestWarnings(schema: z.ZodObject, raw: unknown, configWarnings: string[]): string[] {
  return [...unknownFieldWarnings(schema, raw), ...configWarnings];
}
