/**
 * The CSP against a real browser (Debian's Chromium through playwright-core): /docs (Swagger UI)
 * and /redoc render with no Content-Security-Policy violation and no request to another host.
 * Skipped, saying why, where no Chromium is installed.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestGateway, type TestGateway } from './test/helpers';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const describeIfChromium = CHROMIUM ? describe : describe.skip;
if (!CHROMIUM) process.stdout.write('[csp.browser] skipped: no Chromium at /usr/bin/chromium\n');

jest.setTimeout(90_000);

describeIfChromium('CSP in a real browser', () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    gw = await startTestGateway();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it.each([
    ['/docs', '.swagger-ui .info .title'],
    ['/redoc', '.api-info h1'],
  ])('%s renders without a CSP violation or an outside request', async (path, selector) => {
    const page = await browser.newPage();
    const violations: string[] = [];
    const outside: string[] = [];
    await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportViolation(v: string): void }).reportViolation(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      );
    });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(gw.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
        outside.push(r.url());
    });
    await page.goto(`${gw.url}${path}`);
    await page.waitForSelector(selector, { timeout: 60_000 });
    expect(await page.textContent(selector)).toContain('Filling Scheduler');
    await page.waitForTimeout(500);
    expect(violations).toEqual([]);
    expect(outside).toEqual([]);
    await page.close();
  });
});
