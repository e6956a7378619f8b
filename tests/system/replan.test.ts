// System test of re-planning (issue 9 item 2): a real platform (own nats-server, every service as its
// own process), a completed 40-lot, 3-line schedule, then POST /schedule/{id}/replan with a line
// breakdown, an urgent lot and a cancelled one, solved by the solver pool with progress on the
// WebSocket. The result is checked with the engine's replan checker against the parent's frozen prefix.
import { attachReplan, checkReplan, normalizeInput, prepareReplan } from '@fillsched/engine';
import { ApiClient, collectWs, waitUntil } from './client';

const { startPlatform } = require('../../scripts/platform');

jest.setTimeout(240_000);

const T0 = '2025-03-03T00:00:00.000Z';
const at = (h: number) => new Date(Date.parse(T0) + h * 3.6e6).toISOString();
const lots = Array.from({ length: 40 }, (_, i) => ({
  lot_id: `R${String(i).padStart(3, '0')}`,
  product: `P${i % 4}`,
  quantity: Math.round((3 + (i % 6)) * 19920),
  priority: i % 3,
  ...(i % 5 === 0 ? { end_window: at(60 + 4 * i) } : {}),
}));
const config = { line_count: 3, clean_hours: 4, window_hours: 120 };

describe('replan through the solver pool', () => {
  let platform: any;
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    platform = await startPlatform({ privateNats: true, gatewayPort: 0, solvers: 1, stdio: 'ignore' });
    alice = new ApiClient(platform.gatewayUrl);
    bob = new ApiClient(platform.gatewayUrl);
    await alice.registerAndLogin('replan-alice@example.com');
    await bob.registerAndLogin('replan-bob@example.com');
  });

  afterAll(async () => {
    await platform?.stop();
  });

  const completed = (id: number) =>
    waitUntil(
      async () => {
        const r = await alice.request('GET', `/schedule/${id}`);
        return r.body.status === 'completed' && r.body.result ? r.body : null;
      },
      60_000,
      `schedule ${id} completed`,
    );

  test('a breakdown replan keeps the frozen prefix, honours the downtime and reports the diff', async () => {
    const created = await alice.request('POST', '/schedule', {
      name: 'Week 10',
      lots_data: lots,
      strategy: 'smart-pack',
      config,
      start_time: T0,
    });
    expect(created.status).toBe(202);
    const parentId = created.body.id;

    // not completed yet (or just now): 409 only while it is pending/running
    const early = await alice.request('POST', `/schedule/${parentId}/replan`, { at: at(20) });
    expect([202, 409]).toContain(early.status);
    const parent = await completed(parentId);
    expect(parent.result.explanations.score.terms[0]).toMatchObject({ term: 'makespan' });
    if (early.status === 202) await completed(early.body.id);

    // the line goes down when its running lot ends
    const line2 = parent.result.activities.filter((a: any) => a.line === 2 && a.kind === 'FILL');
    const running = line2.find((a: any) => Date.parse(a.end) > Date.parse(at(20)))!;
    const downStart = Date.parse(running.end) > Date.parse(at(20)) ? running.end : at(20);
    const downEnd = new Date(Date.parse(downStart) + 36 * 3.6e6).toISOString();
    const lastLot = line2[line2.length - 1].lot_id;
    const body = {
      at: at(20),
      disruptions: [
        { type: 'line_down', line: 2, start: downStart, end: downEnd, reason: 'pump failure' },
        {
          type: 'lot_added',
          lot: { lot_id: 'URGENT', product: 'P1', quantity: 5 * 19920, priority: 5, end_window: at(60) },
        },
        { type: 'lot_removed', lot_id: lastLot },
      ],
    };

    // another user's replan of it: 404; a line_down on a started lot: 422 with its loc, nothing stored
    expect((await bob.request('POST', `/schedule/${parentId}/replan`, body)).status).toBe(404);
    const before = (await alice.request('GET', '/schedules?page_size=100')).body.total;
    const overlap = await alice.request('POST', `/schedule/${parentId}/replan`, {
      at: at(20),
      disruptions: [{ type: 'line_down', line: 2, start: at(1), end: at(30) }],
    });
    expect(overlap.status).toBe(422);
    expect(overlap.body.detail[0].loc).toEqual(['body', 'disruptions', 0, 'start']);
    expect((await alice.request('GET', '/schedules?page_size=100')).body.total).toBe(before);

    const res = await alice.request('POST', `/schedule/${parentId}/replan`, body);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending',
      parent_id: parentId,
      version: 2,
      strategy: 'smart-pack',
    });
    const live = await collectWs(alice.wsUrl('schedule', res.body.id));
    expect(live.messages[live.messages.length - 1]).toMatchObject({ type: 'complete', progress: 100 });

    const child = await completed(res.body.id);
    expect(child).toMatchObject({ parent_id: parentId, version: 2 });
    const diff = child.result.replan;
    expect(diff).toMatchObject({ parent_id: parentId, added: ['URGENT'], removed: [lastLot] });
    expect(diff.frozen_lots).toBeGreaterThan(0);
    expect(typeof diff.kpi_deltas.makespan).toBe('number');
    expect(child.result.explanations.score.terms.map((t: any) => t.term)).toContain('stability');

    // the engine's replan checker, fed with what the API stored: frozen prefix, downtime, every rule
    const prep = prepareReplan(
      {
        id: parentId,
        input: { lots_data: lots, config, start_time: T0 },
        activities: parent.result.activities,
        kpis: parent.result.kpis,
      },
      body,
      new Date(T0),
    );
    if (!prep.ok) throw new Error(JSON.stringify(prep.errors));
    const inst = attachReplan(normalizeInput(prep.input), prep.context);
    if (!inst.ok) throw new Error(JSON.stringify(inst.errors));
    expect(checkReplan(inst.instance, child.result).violations).toEqual([]);
    const fills = child.result.activities.filter((a: any) => a.kind === 'FILL');
    expect(fills).toHaveLength(lots.length);
    expect(
      child.result.activities.some((a: any) => a.kind === 'DOWNTIME' && a.reason === 'pump failure'),
    ).toBe(true);
  });
});
