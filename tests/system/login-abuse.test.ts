// Issue 12 item 6 (login abuse), reproduced against the real platform: hundreds of wrong passwords
// against one account from five client addresses. Before: every one a plain 401. Now: at most
// AUTH_LOGIN_MAX_FAILURES reach the password check, the rest are 429 with Retry-After (backoff,
// then the account lock), the right password is refused while locked and works once the lock
// has expired. Plus the password policy of register with the reason in the 422.
import http from 'node:http';
import { MESSAGES } from '@fillsched/contracts';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(180_000);

const LOCK_S = 10;
const MAX_FAILURES = 10;
const VICTIM = 'victim@example.com';
const PASSWORD = 'SecurePass123!';
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];

interface Answer {
  status: number;
  retryAfter?: string;
  body: any;
}

/** POST /auth/login from a given loopback source address (each one a different client IP). */
function login(base: URL, localAddress: string, username: string, password: string): Promise<Answer> {
  const form = new URLSearchParams({ username, password }).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/auth/login',
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': form.length },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: text ? JSON.parse(text) : null,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

async function post(base: URL, path: string, body: unknown) {
  const res = await fetch(new URL(`/api/v1${path}`, base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('login abuse: failed logins throttled per account across addresses', () => {
  let platform: any;
  let base: URL;

  beforeAll(async () => {
    platform = await startPlatform({
      privateNats: true,
      gatewayPort: 0,
      solvers: 0,
      stdio: 'ignore',
      // the gateway's per-client rate limit must not be what answers here
      // and a short lock and backoff, so the run reaches the lock and outlives it in seconds
      env: {
        RATE_LIMIT_PER_MINUTE: '100000',
        AUTH_LOGIN_LOCK_SECONDS: String(LOCK_S),
        AUTH_LOGIN_BACKOFF_MAX_SECONDS: '1',
      },
    });
    base = new URL(platform.gatewayUrl);
    expect((await post(base, '/auth/register', { email: VICTIM, password: PASSWORD })).status).toBe(201);
  });

  afterAll(async () => {
    await platform?.stop();
  });

  test('500 wrong passwords from 5 addresses: ≤10 reach the password check, the rest 429 with Retry-After', async () => {
    const t0 = Date.now();
    const answers: Answer[] = [];
    // 25 in flight at once, spread round-robin over the five addresses
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < 500) {
          const i = next++;
          answers.push(await login(base, ADDRESSES[i % ADDRESSES.length], VICTIM, `guess-${i}-wrong`));
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const by = (s: number) => answers.filter((a) => a.status === s);
    process.stderr.write(
      `login abuse: 500 wrong passwords from ${ADDRESSES.length} addresses in ${seconds.toFixed(1)} s → ` +
        `${by(401).length}×401, ${by(429).length}×429, other ${answers.length - by(401).length - by(429).length}\n`,
    );
    expect(answers).toHaveLength(500);
    expect(by(401).length).toBeGreaterThan(0);
    // at most MAX_FAILURES per lock period (one period unless the machine is very slow)
    expect(by(401).length).toBeLessThanOrEqual(MAX_FAILURES * (1 + Math.floor(seconds / LOCK_S)));
    expect(by(429).length + by(401).length).toBe(500);
    for (const a of by(429)) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.body.detail).toBe(MESSAGES.loginThrottled(Number(a.retryAfter)));
    }
    // backoff answers (a few seconds) and, once over the limit, the lock (up to LOCK_S)
    const waits = by(429).map((a) => Number(a.retryAfter));
    expect(Math.max(...waits)).toBeGreaterThan(LOCK_S - 2);
    expect(Math.max(...waits)).toBeLessThanOrEqual(LOCK_S);
  });

  test('while locked the right password is refused too; after the lock it works', async () => {
    const locked = await login(base, ADDRESSES[0], VICTIM, PASSWORD);
    expect(locked.status).toBe(429);
    const wait = Number(locked.retryAfter);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(LOCK_S);
    await new Promise((r) => setTimeout(r, wait * 1000 + 200));
    const ok = await login(base, ADDRESSES[1], VICTIM, PASSWORD);
    expect(ok.status).toBe(200);
    expect(typeof ok.body.access_token).toBe('string');
    // the success forgot the failures: a wrong password is a plain 401 again
    expect((await login(base, ADDRESSES[2], VICTIM, 'wrong-again-1')).status).toBe(401);
  });

  test('another account is not affected by the attack on the victim', async () => {
    expect(
      (await post(base, '/auth/register', { email: 'bystander@example.com', password: PASSWORD })).status,
    ).toBe(201);
    expect((await login(base, ADDRESSES[3], 'bystander@example.com', PASSWORD)).status).toBe(200);
  });

  test.each([
    ['12345678', 'Password must be at least 10 characters'],
    ['1234567890', 'Password is too common: it is one of the most used passwords'],
    ['Password2025!', 'Password is too common: a most used password with digits or symbols appended'],
    ['policy.user-2025', 'Password must not contain your e-mail address or its name part'],
  ])('register with %j → 422 naming the rule', async (password, msg) => {
    const r = await post(base, '/auth/register', { email: 'policy.user@example.com', password });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual([expect.objectContaining({ loc: ['body', 'password'], msg })]);
  });
});
