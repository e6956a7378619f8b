import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONSOLE_CSP } from './console';
import { makeKeyPair, startTestGateway, type TestGateway } from './test/helpers';

// A built console in a temp dir: index.html and one hashed asset, as vite writes them.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-dist-'));
fs.mkdirSync(path.join(dir, 'assets'));
fs.writeFileSync(
  path.join(dir, 'index.html'),
  '<!doctype html><script type="module" src="/console/assets/index-abc123.js"></script>',
);
fs.writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');

let gw: TestGateway;
let missing: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ keys: [makeKeyPair()], options: { consoleDir: dir } });
  missing = await startTestGateway({
    keys: [makeKeyPair()],
    options: { consoleDir: path.join(dir, 'nope') },
  });
});
afterAll(async () => {
  await gw.close();
  await missing.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = (base: string, p: string, accept?: string) =>
  fetch(base + p, { redirect: 'manual', headers: accept ? { Accept: accept } : {} });

describe('the console at /console/', () => {
  test('a browser opening / is redirected to the console; API clients keep the JSON root', async () => {
    const browser = await get(gw.url, '/', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/console/');
    for (const accept of [undefined, '*/*', 'application/json', 'application/json, text/html;q=0.5']) {
      const api = await get(gw.url, '/', accept);
      expect(api.status).toBe(200);
      expect(await api.json()).toMatchObject({ api: '/api/v1', docs: '/docs' });
    }
  });

  test('index.html is never cached and carries the CSP; /console redirects to /console/', async () => {
    const res = await get(gw.url, '/console/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(await res.text()).toContain('/console/assets/index-abc123.js');
    const bare = await get(gw.url, '/console');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
    // deep links are the app too
    const deep = await get(gw.url, '/console/schedule/5');
    expect(deep.status).toBe(200);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
  });

  test('hashed assets are cached for a year; a missing asset is a 404, not the page', async () => {
    const res = await get(gw.url, '/console/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toBe('console.log("app")');
    const gone = await get(gw.url, '/console/assets/index-old999.js');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ detail: expect.any(String) });
    const icon = await get(gw.url, '/console/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
  });

  test('without a build the console answers 503 naming the fix, and the API is unaffected', async () => {
    const res = await get(missing.url, '/console/');
    expect(res.status).toBe(503);
    expect((await res.json()).detail).toMatch(/npm run build/);
    expect((await get(missing.url, '/', 'application/json')).status).toBe(200);
  });
});
