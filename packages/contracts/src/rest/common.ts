import { z } from 'zod';

/**
 * The schemas the OpenAPI document names as components (`id`) and the examples it shows for them,
 * kept next to each schema so the document, Swagger UI's "Try it out" and schemathesis' examples
 * phase all use the API guide's own bodies. Examples are type-checked against the schema's input.
 */
export const apiSchemas = z.registry<{ id?: string; description?: string; examples?: z.$input[] }>();

export const PageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

export const IdParamSchema = z.object({ id: z.coerce.number().int().positive() });

export const MessageSchema = z
  .object({ message: z.string() })
  .register(apiSchemas, { id: 'Message', examples: [{ message: 'Schedule deleted successfully' }] });
export const ErrorSchema = z
  .object({
    detail: z.union([
      z.string(),
      z.array(
        z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }),
      ),
    ]),
  })
  .register(apiSchemas, { id: 'HTTPError', examples: [{ detail: 'Schedule not found' }] });

/** A boolean query parameter: true/false/1/0 (a query string has no booleans). */
export const QueryBoolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

/** ISO timestamps as the guide prints them. */
export const Timestamp = z.string().describe('ISO 8601 timestamp');
export const NullableTimestamp = Timestamp.nullable();

/**
 * Path of the first object key, at any depth, that contains a NUL character, or null. MongoDB's
 * BSON cannot store such a key, so open objects stored as sent (config, extra lot fields) must
 * refuse it up front: a 422 naming the key instead of a storage error (found by schemathesis).
 */
export function nulKeyPath(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulKeyPath(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, k];
      const found = nulKeyPath(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

/** zod refinement for open objects that are stored as given (see nulKeyPath). */
export function refuseNulKeys(value: unknown, ctx: z.RefinementCtx): void {
  const path = nulKeyPath(value);
  if (path) ctx.addIssue({ code: 'custom', message: 'Keys must not contain NUL characters (\\u0000)', path });
}
