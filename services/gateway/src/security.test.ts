import { bearer, makeKeyPair, signToken, startTestGateway, type TestGateway } from './test/helpers';

const key = makeKeyPair();
let gw: TestGateway;
let open: TestGateway;
let token: string;

beforeAll(async () => {
  gw = await startTestGateway({ keys: [key], options: { corsOrigins: ['https://planner.example.com'] } });
  open = await startTestGateway({ keys: [key] }); // defaults: no cross-origin access
  token = signToken(key, { sub: '7', email: 'user@example.com', su: false, sid: 's1', jti: 'j1' });
});
afterAll(async () => {
  await gw.close();
  await open.close();
});

describe('security headers', () => {
  it.each(['/health', '/docs', '/redoc', '/openapi.json', '/api/v1/strategies', '/nope'])(
    '%s carries a same-origin CSP and the helmet headers',
    async (path) => {
      const res = await fetch(`${gw.url}${path}`, { headers: bearer(token) });
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      // No outside host and no script escape hatch anywhere in the policy.
      expect(csp).not.toMatch(/https?:|\*|'unsafe-eval'/);
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('x-powered-by')).toBeNull();
    },
  );

  it('/docs and /redoc load every script and stylesheet from the same origin (allowed by the CSP)', async () => {
    for (const page of ['/docs', '/redoc']) {
      const html = await (await fetch(`${gw.url}${page}`)).text();
      expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script (script-src 'self')
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref.startsWith('/')).toBe(true);
        expect((await fetch(`${gw.url}${ref}`)).status).toBe(200);
      }
    }
  });
});

describe('CORS allow-list', () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/api/v1/schedule`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });

  it('a listed origin gets its preflight answered before authentication, echoed, never `*`', async () => {
    const pre = await preflight(gw.url, 'https://planner.example.com');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://planner.example.com');
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(pre.headers.get('vary')).toContain('Origin');
    const res = await fetch(`${gw.url}/api/v1/strategies`, {
      headers: { ...bearer(token), Origin: 'https://planner.example.com' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://planner.example.com');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-RateLimit-Remaining');
  });

  it('an unlisted origin gets no CORS header (the browser blocks the page)', async () => {
    const pre = await preflight(gw.url, 'https://evil.example');
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.status).not.toBe(204);
    const res = await fetch(`${gw.url}/api/v1/strategies`, {
      headers: { ...bearer(token), Origin: 'https://evil.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('default configuration: no cross-origin access for any origin', async () => {
    for (const origin of ['http://localhost:3000', 'https://planner.example.com', 'null']) {
      const pre = await preflight(open.url, origin);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const res = await fetch(`${open.url}/api/v1/strategies`, {
        headers: { ...bearer(token), Origin: origin },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});

describe('/metrics', () => {
  it('is not served on the public port (only the ops port has it)', async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('http_requests_total');
  });
});
