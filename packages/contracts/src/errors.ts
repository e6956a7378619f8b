import type { z } from 'zod';

/** FastAPI-compatible error bodies: clients written against the guide parse exactly these. */
export interface ErrorDetailItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}
export interface ErrorBody {
  detail: string | ErrorDetailItem[];
}

export const MESSAGES = {
  credentials: 'Could not validate credentials',
  forbidden: 'Not enough permissions to access this resource',
  scheduleNotFound: 'Schedule not found',
  comparisonNotFound: 'Comparison not found',
  configNotFound: 'Configuration template not found',
  emailTaken: 'Email already registered',
  badLogin: 'Incorrect email or password',
  inactiveUser: 'Inactive user',
  loginThrottled: (seconds: number) =>
    `Too many failed logins for this account. Please try again in ${seconds} seconds.`,
  rateLimited: (seconds: number) => `Rate limit exceeded. Please try again in ${seconds} seconds.`,
  bodyTooLarge: 'Request body too large: the limit is 5 MB',
  serviceUnavailable: (service: string) => `Service unavailable: ${service}`,
  serviceTimeout: (service: string) => `Service timeout: ${service}`,
} as const;

const ZOD_TYPE: Record<string, string> = {
  invalid_type: 'type_error',
  too_small: 'value_error.too_small',
  too_big: 'value_error.too_big',
  invalid_format: 'value_error.format',
  invalid_value: 'value_error',
  unrecognized_keys: 'value_error.extra',
  custom: 'value_error',
};

/** Converts zod issues to FastAPI's `detail` list; `prefix` is where the value came from ('body', 'query', 'path'). */
export function zodToDetail(error: z.ZodError, prefix: string): ErrorDetailItem[] {
  return error.issues.map((issue) => {
    const missing =
      issue.code === 'invalid_type' && /received undefined/.test(issue.message ?? '') ? true : false;
    return {
      loc: [prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      msg: missing ? 'field required' : issue.message,
      type: missing ? 'value_error.missing' : (ZOD_TYPE[issue.code] ?? 'value_error'),
    };
  });
}

/** Prefixes domain (engine) issues, whose loc is relative to the body. */
export function prefixDetail(items: ErrorDetailItem[], prefix: string): ErrorDetailItem[] {
  return items.map((i) => ({ ...i, loc: [prefix, ...i.loc] }));
}
