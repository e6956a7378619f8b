import { z } from 'zod';

export const PageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

export const IdParamSchema = z.object({ id: z.coerce.number().int().positive() });

export const MessageSchema = z.object({ message: z.string() });
export const ErrorSchema = z.object({
  detail: z.union([
    z.string(),
    z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() })),
  ]),
});

/** A boolean query parameter: true/false/1/0 (a query string has no booleans). */
export const QueryBoolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

/** ISO timestamps as the guide prints them. */
export const Timestamp = z.string().describe('ISO 8601 timestamp');
export const NullableTimestamp = Timestamp.nullable();
