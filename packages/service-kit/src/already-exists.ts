import { isDuplicateKeyError } from './mongo';

/**
 * A repository port refused to store a record because one with the same unique key exists. Ports
 * promise this error, whatever the store: each adapter translates its own duplicate-key failure
 * (MongoDB's E11000, a memory map's existing key) into it, so callers never look at driver codes.
 */
export class AlreadyExistsError extends Error {
  constructor(
    /** What could not be stored, e.g. 'user', 'schedule'. */
    readonly entity: string,
    /** The unique key that is taken, e.g. `{ email_normalized: 'a@x.io' }`. */
    readonly key: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(`${entity} already exists (${JSON.stringify(key)})`, options);
    this.name = 'AlreadyExistsError';
  }
}

export function isAlreadyExists(err: unknown): err is AlreadyExistsError {
  return err instanceof AlreadyExistsError;
}

/**
 * Runs a store write and translates a duplicate-key failure (E11000 in any of the driver's and
 * mongoose's shapes) into AlreadyExistsError(entity, key); other errors pass unchanged.
 */
export async function translateDuplicateKey<T>(
  entity: string,
  key: Record<string, unknown>,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isDuplicateKeyError(err)) throw new AlreadyExistsError(entity, key, { cause: err });
    throw err;
  }
}
