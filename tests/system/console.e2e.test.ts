// End-to-end test of the planner's console (issue 13) in Debian's Chromium driven by playwright-core
// (executablePath set, nothing downloaded): the real platform (own nats-server, embedded store,
// every service a process) serving the built console. Log in → upload lots.csv → progress → Gantt
// with one bar per lot on the lines of the plan → SVG export → compare three strategies → the KPI
// table marks the best; a failed validation shows its row errors; the 2,000-lot render time is
// printed as a figure. Screenshots go to docs/screenshots/ (shown in the README).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describeIfPeer, chromium } from '../peers';
import { ApiClient, sharedPath, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(300_000);

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'docs/screenshots');
const LOTS_CSV = sharedPath('data/lots/lots.csv');
const EMAIL = 'planner@example.com';
const PASSWORD = 'SecurePass123!';

/** The lot ids of lots.csv in file order. */
const csvLotIds = () =>
  fs
    .readFileSync(LOTS_CSV, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((l) => l.split(',')[0]);

/** lot id → line of the FILL bars in an SVG document or the page. */
function fillLinesOf(svg: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of svg.matchAll(
    /<g class="bar bar-fill[^"]*"[^>]*?data-lot-id="([^"]+)"[^>]*?data-line="(\d+)"/g,
  ))
    out.set(m[1], Number(m[2]));
  return out;
}

describeIfPeer('chromium', "the planner's console in Chromium", () => {
  let platform: any;
  let browserHandle: { browser: Browser; stop(): Promise<void> };
  let page: Page;
  let base: string;
  let apiClient: ApiClient;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'packages/console/dist/index.html')))
      throw new Error('the console is not built: run `npm run build` first');
    fs.mkdirSync(SHOTS, { recursive: true });
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
    base = platform.gatewayUrl;
    browserHandle = await chromium!.start();
    const context = await browserHandle.browser.newContext({
      viewport: { width: 1280, height: 860 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    // The console must not load anything from another host, nor break its CSP.
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.protocol !== 'blob:' && u.protocol !== 'data:' && u.hostname !== '127.0.0.1')
        outside.push(req.url());
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
  });
  const outside: string[] = [];
  const consoleErrors: string[] = [];

  afterAll(async () => {
    await browserHandle?.stop();
    await platform?.stop();
  });

  test('a browser opening / lands on the console; signing up logs in; no outside request, no CSP error', async () => {
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'login.png') });
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account and log in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(outside).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    apiClient = new ApiClient(base);
    await apiClient.request('POST', '/auth/login', { username: EMAIL, password: PASSWORD }).then((r) => {
      apiClient.token = r.body.access_token;
    });
  });

  let scheduleId: number;
  test('upload lots.csv → live progress → Gantt with one bar per lot on the lines of the plan', async () => {
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByLabel(/CSV file/).setInputFiles(LOTS_CSV);
    await page.getByLabel('Lines').fill('3');
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await page.getByText(`${csvLotIds().length} lots are valid`).waitFor();
    await page.getByRole('button', { name: 'Validate and schedule' }).click();
    await page.waitForURL(/#\/schedule\/\d+$/);
    scheduleId = Number(/schedule\/(\d+)$/.exec(page.url())![1]);
    // Progress while it runs (a fast solve may already be done when the page opens).
    const section = page.locator(`[data-schedule-id="${scheduleId}"]`);
    const first = await section.getAttribute('data-status');
    expect(['pending', 'running', 'completed']).toContain(first);
    if (first !== 'completed') await page.getByTestId('live-progress').waitFor();
    await page
      .locator(`[data-schedule-id="${scheduleId}"][data-status="completed"]`)
      .waitFor({ timeout: 120_000 });
    const bars = page.locator('.gantt .bar-fill[data-lot-id]');
    await bars.first().waitFor();
    const ids = csvLotIds();
    expect(await bars.count()).toBe(ids.length);
    const shown = await bars.evaluateAll((els) =>
      els.map((e) => [
        e.getAttribute('data-lot-id'),
        Number(e.closest('[data-line]')!.getAttribute('data-line')),
      ]),
    );
    expect(shown.map(([id]) => id).sort()).toEqual([...ids].sort());
    // The lines are the plan's: the bar's lane is the line of the lot's FILL in the API result.
    const plan = await apiClient.request('GET', `/schedule/${scheduleId}`);
    const fills = (plan.body.result.activities as any[]).filter((a) => a.kind === 'FILL');
    expect(new Map(shown as [string, number][])).toEqual(new Map(fills.map((a) => [a.lot_id, a.line])));
    expect(await page.locator('.gantt .lane[data-line]').count()).toBe(
      new Set(fills.map((a) => a.line)).size,
    );
    // KPI cards and details on keyboard focus.
    await page
      .locator('[data-kpi="makespan"] dd')
      .filter({ hasText: /\d+\.\d h/ })
      .waitFor();
    await bars.first().focus();
    await page.locator('.gantt-tip').filter({ hasText: /^Lot / }).waitFor();
    // Keyboard: the chart is one tab stop after its scroll region; arrows move along a line.
    await page.locator('.gantt-viewport').focus();
    await page.keyboard.press('Tab');
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement;
        return el?.classList.contains('bar')
          ? {
              line: el.closest('[data-line]')!.getAttribute('data-line'),
              start: el.getAttribute('data-start'),
            }
          : null;
      });
    const firstBar = await focused();
    expect(firstBar).not.toBeNull();
    await page.keyboard.press('ArrowRight');
    const secondBar = await focused();
    expect(secondBar?.line).toBe(firstBar!.line);
    expect(secondBar!.start! > firstBar!.start!).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(Number((await focused())?.line)).toBeGreaterThan(Number(firstBar!.line));
    expect(await page.locator('.gantt [tabindex="0"]').count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'schedule-gantt.png'), fullPage: true });
    await page.setViewportSize({ width: 820, height: 1100 });
    await page.screenshot({ path: path.join(SHOTS, 'schedule-tablet.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('Export SVG downloads the same Gantt, rendered by the server; CSV and JSON too', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export SVG' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`schedule-${scheduleId}.svg`);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'console-e2e-')), 'gantt.svg');
    await download.saveAs(file);
    const svg = fs.readFileSync(file, 'utf8');
    expect(svg).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>$/);
    const onPage = await page.locator('.gantt-host').innerHTML();
    expect(fillLinesOf(svg)).toEqual(fillLinesOf(onPage));
    expect(fillLinesOf(svg).size).toBe(csvLotIds().length);
    // CSV and JSON are the server's exports too, one row / activity per activity.
    const fetched = async (button: string) => {
      const [dl] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: button }).click(),
      ]);
      const to = path.join(path.dirname(file), dl.suggestedFilename());
      await dl.saveAs(to);
      return { name: dl.suggestedFilename(), text: fs.readFileSync(to, 'utf8') };
    };
    const csv = await fetched('Export CSV');
    expect(csv.name).toBe(`schedule-${scheduleId}.csv`);
    expect(csv.text.startsWith('line,kind,lot_id,type,start,end')).toBe(true);
    const json = await fetched('Export JSON');
    expect(json.name).toBe(`schedule-${scheduleId}.json`);
    const activities = JSON.parse(json.text).result.activities as unknown[];
    expect(csv.text.trim().split('\r\n')).toHaveLength(activities.length + 1);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  test('a failed validation shows the errors of each row', async () => {
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByLabel('…or paste rows').fill('Lot ID,Type,Vials\nA1,VialE,1000\nA2,,500\nA3,VialH,-4\n');
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    const table = page.getByRole('table', { name: 'Validation results' });
    await table.waitFor();
    expect(await table.locator('tr.issue-error[data-row="3"]').count()).toBeGreaterThan(0);
    expect(await table.locator('tr.issue-error[data-row="4"]').count()).toBeGreaterThan(0);
    expect(await table.locator('tr[data-row="2"]').count()).toBe(0);
    await page
      .getByRole('alert')
      .filter({ hasText: /row error/ })
      .waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'validation-errors.png'), fullPage: true });
    // Rows the CSV reader accepts but the server's validation (POST /schedule/validate) rejects or
    // warns about: those messages land on their rows too.
    await page
      .getByLabel('…or paste rows')
      .fill(
        'Lot ID,Type,Vials,start_window,end_window\n' +
          'A1,VialE,1000,2024-01-02T00:00:00,2024-01-01T00:00:00\n' +
          'A2,VialE,1000,,\n',
      );
    await page.getByRole('button', { name: 'Validate', exact: true }).click();
    await table
      .locator('tr.issue-error[data-row="2"]')
      .filter({ hasText: /start_window of lot A1 is after its end_window/ })
      .waitFor();
    await table
      .locator('tr.issue-warning[data-row="3"]')
      .filter({ hasText: /priority/ })
      .waitFor();
    expect(await table.locator('tr.issue-error').count()).toBe(1);
  });

  test('compare three strategies → progress per strategy → the KPI table marks the best', async () => {
    await page.getByRole('link', { name: 'Compare strategies' }).click();
    await page.getByLabel(/CSV file/).setInputFiles(LOTS_CSV);
    await page.getByLabel('Lines').fill('2');
    for (const s of ['smart-pack', 'lpt-pack', 'spt-pack'])
      expect(await page.locator(`input[name="strategies"][value="${s}"]`).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Validate and compare' }).click();
    await page.waitForURL(/#\/compare\/\d+$/);
    const id = Number(/compare\/(\d+)$/.exec(page.url())![1]);
    await page.locator(`[data-comparison-id="${id}"][data-status="completed"]`).waitFor({ timeout: 180_000 });
    const cmp = await apiClient.request('GET', `/compare/${id}`);
    expect(cmp.body.best_strategy).toBeTruthy();
    const rows = page.locator('.kpi-table tbody tr');
    expect(await rows.count()).toBe(3);
    const best = page.locator('.kpi-table tr.best');
    expect(await best.count()).toBe(1);
    expect(await best.getAttribute('data-strategy')).toBe(cmp.body.best_strategy);
    await best.getByText('★ best').waitFor();
    // The makespan column marks the smallest makespan.
    const makespans = (cmp.body.results as any[]).map((r) => r.makespan as number);
    const marked = await page
      .locator('.kpi-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-strategy'),
          tr.querySelectorAll('td')[1].getAttribute('data-best'),
        ]),
      );
    const min = Math.min(...makespans);
    for (const [strategy, flag] of marked) {
      const r = (cmp.body.results as any[]).find((x) => x.strategy === strategy);
      expect(flag === 'true').toBe(r.makespan === min);
    }
    // The strategies' Gantts one above the other, each a schedule of its own with the same lots.
    await page.getByRole('button', { name: "Draw each strategy's Gantt" }).click();
    const plans = page.locator('.strategy-gantt');
    await waitUntil(async () => (await plans.count()) === 3, 30_000, 'three plans');
    for (const s of ['smart-pack', 'lpt-pack', 'spt-pack']) {
      const bars = page.locator(`.strategy-gantt[data-strategy="${s}"] .gantt .bar-fill[data-lot-id]`);
      await waitUntil(
        async () => (await bars.count()) === csvLotIds().length,
        120_000,
        `the ${s} Gantt`,
      ).catch(async (err: Error) => {
        const shown = await page.locator(`.strategy-gantt[data-strategy="${s}"]`).innerText();
        const id = Number(/schedule (\d+)/.exec(shown)?.[1]);
        const rec = id
          ? (await apiClient.request('GET', `/schedule/${id}?include_activities=false`)).body
          : null;
        throw new Error(
          `${err.message}; the page shows ${JSON.stringify(shown)}; the API: ${JSON.stringify(rec)}`,
        );
      });
    }
    await page.screenshot({ path: path.join(SHOTS, 'compare.png'), fullPage: true });
  });

  test('line down on a lane → replan runs live → the diff against the parent, a DOWNTIME bar on that lane', async () => {
    await page.goto(`${base}/console/#/schedule/${scheduleId}`);
    await page.locator(`[data-schedule-id="${scheduleId}"][data-status="completed"]`).waitFor();
    const parent = await apiClient.request('GET', `/schedule/${scheduleId}`);
    const acts = parent.body.result.activities as any[];
    expect(acts.some((a) => a.kind === 'DOWNTIME')).toBe(false);
    const line = 2;
    const firstFill = acts.find((a) => a.kind === 'FILL' && a.line === line);
    expect(firstFill).toBeDefined();
    // One button per lane, reached and pressed with the keyboard; the form opens on its start field.
    const buttons = page.locator('.line-down button[data-line]');
    expect(await buttons.count()).toBe(await page.locator('.gantt .lane[data-line]').count());
    await page.getByRole('button', { name: `Line ${line} down…` }).focus();
    await page.keyboard.press('Enter');
    const start = page.getByLabel('Down from (UTC)');
    const end = page.getByLabel('Back up at (UTC)');
    await start.waitFor();
    expect(await start.evaluate((el) => el === document.activeElement)).toBe(true);
    const hoursBetween = async () =>
      (Date.parse(`${await end.inputValue()}:00Z`) - Date.parse(`${await start.inputValue()}:00Z`)) /
      3_600_000;
    expect(await hoursBetween()).toBe(36);
    // A line down in the middle of a started fill: the server refuses it, the form shows its `loc`.
    const mid = (Date.parse(firstFill.start) + Date.parse(firstFill.end)) / 2;
    await start.fill(new Date(mid).toISOString().slice(0, 16));
    expect(await hoursBetween()).toBe(36);
    await page.getByRole('button', { name: `Re-plan without line ${line}` }).click();
    await page
      .getByTestId('replan-errors')
      .locator('li[data-loc="body.disruptions.0.start"]')
      .filter({ hasText: 'body.disruptions.0.start' })
      .waitFor();
    expect(new URL(page.url()).hash).toBe(`#/schedule/${scheduleId}`);
    // From the plan's start for 36 h: nothing has started, line 2's work moves around the downtime.
    const planStart = Math.min(...acts.map((a) => Date.parse(a.start)));
    await start.fill(new Date(planStart).toISOString().slice(0, 16));
    await page.getByLabel('Reason').fill('pump failure');
    await page.getByRole('button', { name: `Re-plan without line ${line}` }).click();
    await page.waitForURL((u) => /#\/schedule\/\d+$/.test(u.hash) && u.hash !== `#/schedule/${scheduleId}`);
    const replanId = Number(/schedule\/(\d+)$/.exec(page.url())![1]);
    const first = await page.locator(`[data-schedule-id="${replanId}"]`).getAttribute('data-status');
    expect(['pending', 'running', 'completed']).toContain(first);
    if (first !== 'completed') await page.getByTestId('live-progress').waitFor();
    await page
      .locator(`[data-schedule-id="${replanId}"][data-status="completed"]`)
      .waitFor({ timeout: 120_000 });
    await page.getByTestId('lineage').filter({ hasText: 'Version 2' }).waitFor();
    // The diff table is the API's result.replan.
    const replanned = await apiClient.request('GET', `/schedule/${replanId}`);
    expect(replanned.body.parent_id).toBe(scheduleId);
    const diff = replanned.body.result.replan;
    expect(diff.moved.length).toBeGreaterThan(0);
    const diffView = page.getByTestId('replan-diff');
    await diffView.waitFor();
    const rows = await diffView
      .locator('table.moved-lots tbody tr[data-lot-id]')
      .evaluateAll((els) =>
        els.map((e) => [
          e.getAttribute('data-lot-id'),
          e.getAttribute('data-from-line'),
          e.getAttribute('data-to-line'),
        ]),
      );
    expect(rows).toEqual(diff.moved.map((m: any) => [m.lot_id, String(m.from_line), String(m.to_line)]));
    expect(await diffView.locator('table.kpi-deltas tbody tr[data-kpi]').count()).toBe(
      Object.keys(diff.kpi_deltas).length,
    );
    await diffView.locator('tr[data-kpi="makespan"] td').filter({ hasText: / h$/ }).waitFor();
    await page.getByTestId('replan-added').filter({ hasText: 'Added: none' }).waitFor();
    await page.getByTestId('replan-removed').filter({ hasText: 'Removed: none' }).waitFor();
    // The down line's lane shows the downtime; no other lane does.
    const downOnLane = await page
      .locator(`.gantt .lane[data-line="${line}"] .bar[data-kind="DOWNTIME"]`)
      .count();
    expect(downOnLane).toBeGreaterThanOrEqual(1);
    expect(await page.locator('.gantt .bar[data-kind="DOWNTIME"]').count()).toBe(downOnLane);
    expect(await page.locator('.gantt .bar-fill[data-lot-id]').count()).toBe(csvLotIds().length);
    await page.screenshot({ path: path.join(SHOTS, 'replan-line-down.png'), fullPage: true });
    // Back to the parent.
    await diffView.getByRole('link', { name: `schedule #${scheduleId}` }).click();
    await page.locator(`[data-schedule-id="${scheduleId}"][data-status="completed"]`).waitFor();
  });

  test('the runs list shows both runs with their status', async () => {
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.locator(`tr[data-run-id="${scheduleId}"][data-status="completed"]`).waitFor();
    await page.getByRole('tab', { name: 'Comparisons' }).click();
    await page.locator('tr[data-status="completed"]').first().waitFor();
    await page.getByRole('tab', { name: 'Schedules' }).click();
    await page.locator(`tr[data-run-id="${scheduleId}"]`).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'runs.png') });
  });

  test('every control on every page has an accessible name', async () => {
    for (const hash of ['#/', '#/new', '#/compare/new', '#/templates', `#/schedule/${scheduleId}`]) {
      await page.goto(`${base}/console/${hash}`);
      await page.locator('main h1').waitFor();
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea, button, a[href]')]
          .filter((el) => {
            const named =
              (el as HTMLInputElement).labels?.length ||
              el.getAttribute('aria-label') ||
              el.getAttribute('aria-labelledby') ||
              (el.textContent ?? '').trim();
            return !named;
          })
          .map((el) => el.outerHTML.slice(0, 80)),
      );
      expect({ hash, unnamed }).toEqual({ hash, unnamed: [] });
    }
  });

  test('an expired access token is refreshed without a trace; Log out ends the session', async () => {
    // Spoil the access token: the next call answers 401, the client rotates the pair and retries.
    await page.evaluate(() => {
      const t = JSON.parse(sessionStorage.getItem('fillsched.tokens')!);
      sessionStorage.setItem('fillsched.tokens', JSON.stringify({ ...t, access_token: 'expired' }));
    });
    await page.goto(`${base}/console/#/`);
    await page.reload();
    await page.locator(`tr[data-run-id="${scheduleId}"]`).waitFor();
    const rotated = await page.evaluate(() => JSON.parse(sessionStorage.getItem('fillsched.tokens')!));
    expect(rotated.access_token).not.toBe('expired');
    const me = await fetch(`${base}/api/v1/auth/me`, {
      headers: { Authorization: `Bearer ${rotated.access_token}` },
    });
    expect(me.status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('fillsched.tokens'))).toBeNull();
    const after = await fetch(`${base}/api/v1/auth/me`, {
      headers: { Authorization: `Bearer ${rotated.access_token}` },
    });
    expect(after.status).toBe(401);
    // Back in for the next tests.
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
  });

  test('config templates: create, validate, set default', async () => {
    await page.getByRole('link', { name: 'Config templates' }).click();
    await page.getByLabel('Name').fill('Three lines');
    await page.getByLabel('Settings (JSON)').fill('{"line_count": 0}');
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The settings are not valid').waitFor();
    await page.getByLabel('Settings (JSON)').fill('{"line_count": 3, "changeover_time": 30}');
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The settings are valid.').waitFor();
    await page.getByRole('button', { name: 'Create' }).click();
    const row = page.locator('tr[data-template-id]').filter({ hasText: 'Three lines' });
    await row.waitFor();
    await row.getByRole('button', { name: /Set default/ }).click();
    await row.getByText('default', { exact: true }).waitFor();
    const def = await apiClient.request('GET', '/config/default');
    expect(def.body.name).toBe('Three lines');
    await page.screenshot({ path: path.join(SHOTS, 'templates.png'), fullPage: true });
  });

  test('a 2,000-lot plan renders in the Gantt (render time printed as a figure)', async () => {
    const types = ['VialA', 'VialB', 'VialC', 'VialD', 'VialE', 'VialF', 'VialG', 'VialH'];
    const lots = Array.from({ length: 2000 }, (_, i) => ({
      lot_id: `L${String(i + 1).padStart(4, '0')}`,
      type: types[(i * 7) % types.length],
      vials: 20_000 + ((i * 7919) % 50) * 10_000,
    }));
    await page.getByRole('link', { name: 'Runs' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const created = await apiClient.request('POST', '/schedule', {
      name: '2,000 lots',
      lots_data: lots,
      strategy: 'hybrid-pack',
      config: { line_count: 8 },
      time_limit_s: 15,
    });
    expect(created.status).toBe(202);
    const id = created.body.id;
    // The runs list (open before the run was created) shows it after a refresh and follows it live.
    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.locator(`tr[data-run-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await page.locator(`tr[data-run-id="${id}"][data-status="running"]`).waitFor({ timeout: 60_000 });
    await row.filter({ hasText: /running \d+ %/ }).waitFor({ timeout: 60_000 });
    // Watch it run: phase, percent and the best makespan against the lower bound, live.
    await page.goto(`${base}/console/#/schedule/${id}`);
    const live = page.getByTestId('live-progress');
    await live
      .filter({ hasText: /best makespan [\d.]+ h · lower bound [\d.]+ h · gap/ })
      .waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(SHOTS, 'progress.png') });
    await page.locator(`[data-schedule-id="${id}"][data-status="completed"]`).waitFor({ timeout: 240_000 });
    const t0 = Date.now();
    await page.reload();
    const bars = page.locator('.gantt .bar-fill[data-lot-id]');
    await waitUntil(async () => (await bars.count()) === 2000, 60_000, '2,000 bars');
    const loadMs = Date.now() - t0;
    const renderMs = Number(await page.locator('.gantt-figure').getAttribute('data-render-ms'));
    // Zoom in once (re-render at a larger scale), as a planner would.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await waitUntil(async () => (await bars.count()) === 2000, 10_000, 'bars after zoom');
    const zoomMs = Number(await page.locator('.gantt-figure').getAttribute('data-render-ms'));
    process.stdout.write(
      `[figure] console Gantt, 2,000 lots (${await page.locator('.gantt .bar').count()} bars, Chromium headless): ` +
        `render ${renderMs} ms (markup + insert + layout), zoomed re-render ${zoomMs} ms, ` +
        `page open to all bars shown ${loadMs} ms (includes fetching the plan)\n`,
    );
    expect(renderMs).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'gantt-2000-lots.png') });
  });
});
