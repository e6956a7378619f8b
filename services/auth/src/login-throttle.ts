// Failed-login throttling per account, across client addresses (issue 12 item 6): after a few
// failures each further attempt must wait an exponentially growing delay (backoff), and after
// `maxFailures` failures within the window the account is locked for `lockSeconds`. Both answers
// are 429 with Retry-After. State lives in rate-limiter-flexible limiters: MongoDB (the auth
// service's own database, shared by every replica) in production, memory without MONGO_URL.
import type { Connection } from 'mongoose';
import {
  RateLimiterMemory,
  RateLimiterMongo,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface LoginThrottleOptions {
  /** Failed attempts within `windowSeconds` before the account is locked. */
  maxFailures: number;
  /** How long failures are remembered (since the first one of a series). */
  windowSeconds: number;
  /** Lock duration once `maxFailures` is exceeded. */
  lockSeconds: number;
  /** Failures before the backoff starts (1 s, 2 s, 4 s … between attempts). */
  backoffAfter: number;
  /** Longest wait between two attempts during backoff. */
  backoffMaxSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  maxFailures: 10,
  windowSeconds: 15 * 60,
  lockSeconds: 15 * 60,
  backoffAfter: 3,
  backoffMaxSeconds: 30,
};

export type LoginGate =
  { allowed: true } | { allowed: false; retryAfterS: number; reason: 'locked' | 'backoff' };

/** The port the auth app uses; `account` is the normalised email (known or not: no enumeration). */
export interface LoginThrottle {
  /** Before the password is checked: reserves one attempt, or says how long to wait. */
  acquire(account: string): Promise<LoginGate>;
  /** The password was wrong: the attempt stays counted; backoff from `backoffAfter` failures on. */
  failed(account: string): Promise<void>;
  /** The password was right: the account's failures are forgotten. */
  succeeded(account: string): Promise<void>;
}

export interface LoginLimiters {
  /** Attempts since the last success; blocks for lockSeconds when over maxFailures. */
  attempts: RateLimiterAbstract;
  /** Holds the backoff wait (set with block()). */
  backoff: RateLimiterAbstract;
}

const attemptOpts = (o: LoginThrottleOptions) => ({
  keyPrefix: 'login_fail',
  points: o.maxFailures,
  duration: o.windowSeconds,
  blockDuration: o.lockSeconds,
});
const backoffOpts = { keyPrefix: 'login_backoff', points: 1, duration: 1 };

export function memoryLoginLimiters(o: LoginThrottleOptions): LoginLimiters {
  return { attempts: new RateLimiterMemory(attemptOpts(o)), backoff: new RateLimiterMemory(backoffOpts) };
}

/**
 * Limiters in the auth service's MongoDB (collections `login_fail` and `login_backoff`, TTL-indexed
 * on their expiry), so every auth replica sees the same counts.
 */
export function mongoLoginLimiters(conn: Connection, o: LoginThrottleOptions): LoginLimiters {
  const storeClient = conn.getClient();
  const common = { storeClient, dbName: conn.name };
  return {
    attempts: new RateLimiterMongo({ ...common, ...attemptOpts(o) }),
    backoff: new RateLimiterMongo({ ...common, ...backoffOpts }),
  };
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export function createLoginThrottle(
  limiters: LoginLimiters,
  o: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
): LoginThrottle {
  const { attempts, backoff } = limiters;
  // Over the limit but before the lock is written (a racing attempt), the store still holds the
  // window's expiry: the lock is never longer than lockSeconds.
  const lockWait = (ms: number): number => Math.min(seconds(ms), o.lockSeconds);
  return {
    async acquire(account) {
      const [lock, wait] = await Promise.all([attempts.get(account), backoff.get(account)]);
      if (lock && lock.consumedPoints > attempts.points && lock.msBeforeNext > 0)
        return { allowed: false, retryAfterS: lockWait(lock.msBeforeNext), reason: 'locked' };
      if (wait && wait.consumedPoints > backoff.points && wait.msBeforeNext > 0)
        return { allowed: false, retryAfterS: seconds(wait.msBeforeNext), reason: 'backoff' };
      try {
        await attempts.consume(account);
        return { allowed: true };
      } catch (err) {
        // A rejection with a RateLimiterRes is "over the limit"; anything else is a store fault.
        if (!(err instanceof RateLimiterRes)) throw err;
        return { allowed: false, retryAfterS: lockWait(err.msBeforeNext), reason: 'locked' };
      }
    },
    async failed(account) {
      const res = await attempts.get(account);
      const failures = res?.consumedPoints ?? 0;
      // From maxFailures on the next attempt is locked out anyway: no backoff beyond the lock.
      if (failures < o.backoffAfter || failures >= o.maxFailures) return;
      const delayS = Math.min(2 ** (failures - o.backoffAfter), o.backoffMaxSeconds, o.lockSeconds);
      await backoff.block(account, delayS);
    },
    async succeeded(account) {
      // A store without enforced unique keys (the embedded test server) can hold an expired
      // document beside the live one, and delete() removes one per call.
      const clear = async (limiter: RateLimiterAbstract) => {
        for (let i = 0; i < 5 && (await limiter.delete(account)); i++);
      };
      await Promise.all([clear(attempts), clear(backoff)]);
    },
  };
}
