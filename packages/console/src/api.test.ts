// The console's REST client without a browser: a fake fetch and an in-memory Storage.
import { ApiClient, ApiError } from './api';
import { rowOf } from './validation';

class MemoryStorage {
  private m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  clear() {
    this.m.clear();
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
}

type Call = { method: string; path: string; auth: string | null; body: any };
function fakeServer(handle: (c: Call) => { status: number; body: unknown }) {
  const calls: Call[] = [];
  global.fetch = jest.fn(async (url: string, init: RequestInit) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const call: Call = {
      method: init.method ?? 'GET',
      path: String(url).replace('/api/v1', ''),
      auth: headers.Authorization ?? null,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    // a tick, so concurrent requests really overlap
    await new Promise((r) => setTimeout(r, 5));
    const { status, body } = handle(call);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return calls;
}

const signedIn = (access = 'a1', refresh = 'r1') => {
  const storage = new MemoryStorage();
  storage.setItem('fillsched.tokens', JSON.stringify({ access_token: access, refresh_token: refresh }));
  return new ApiClient(storage as unknown as Storage);
};

describe('ApiClient', () => {
  const realFetch = global.fetch;
  afterEach(() => {
    global.fetch = realFetch;
  });

  test('a 401 rotates the token pair once, even for concurrent requests, and retries', async () => {
    let valid = 'a1';
    const calls = fakeServer((c) => {
      if (c.path === '/auth/refresh') {
        valid = 'a2';
        return { status: 200, body: { access_token: 'a2', refresh_token: 'r2' } };
      }
      return c.auth === `Bearer ${valid}`
        ? { status: 200, body: { ok: c.path } }
        : { status: 401, body: { detail: 'Could not validate credentials' } };
    });
    const api = signedIn();
    valid = 'expired-now';
    // the server now refuses a1
    const [x, y] = await Promise.all([api.get('/schedules'), api.get('/configs')]);
    expect(x).toEqual({ ok: '/schedules' });
    expect(y).toEqual({ ok: '/configs' });
    expect(calls.filter((c) => c.path === '/auth/refresh')).toEqual([
      { method: 'POST', path: '/auth/refresh', auth: null, body: { refresh_token: 'r1' } },
    ]);
    expect(api.accessToken).toBe('a2');
  });

  test('a refused refresh signs out; errors carry the status and the detail', async () => {
    fakeServer((c) =>
      c.path === '/auth/refresh'
        ? { status: 401, body: { detail: 'Invalid refresh token' } }
        : { status: 401, body: { detail: 'Could not validate credentials' } },
    );
    const api = signedIn();
    const out = jest.fn();
    api.onSignedOut = out;
    await expect(api.get('/schedules')).rejects.toMatchObject({ status: 401 });
    expect(out).toHaveBeenCalled();
    expect(api.signedIn).toBe(false);
  });

  test('field errors become one readable message; logout revokes and forgets the tokens', async () => {
    const calls = fakeServer((c) =>
      c.path === '/schedule'
        ? {
            status: 422,
            body: { detail: [{ loc: ['body', 'name'], msg: 'field required', type: 'value_error.missing' }] },
          }
        : { status: 200, body: { message: 'Logged out' } },
    );
    const api = signedIn();
    const err = await api.post('/schedule', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toBe('body.name: field required');
    await api.logout();
    expect(calls.at(-1)).toMatchObject({
      path: '/auth/logout',
      auth: 'Bearer a1',
      body: { refresh_token: 'r1' },
    });
    expect(api.signedIn).toBe(false);
  });
});

describe('rowOf', () => {
  const ids = ['A1', 'A2', 'B7'];
  test.each([
    ['lots_data[0].vials: must be positive', 2],
    ['lots_data[12]: bad', 14],
    ["Missing 'priority' field for lot B7, defaulting to 0", 4],
    ['start_window of lot A2 is after its end_window', 3],
    ['config.line_count: must be at least 1', null],
    ['lot Z9 is unknown', null],
  ])('%s → row %s', (msg, row) => {
    expect(rowOf(msg, ids)).toBe(row);
  });
});
