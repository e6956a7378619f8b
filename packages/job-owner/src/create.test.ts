import { EVENT_TYPES, makeEvent, type RpcUser } from '@fillsched/contracts';
import { createLogger, withCorrelation } from '@fillsched/service-kit';
import { resolveJobConfig, solveRequestedEvent } from './create';
import { readSolveLifecycleEvent } from './events';
import type { ConfigResolver, ResolveOutcome } from './ports';

const user: RpcUser = { id: 3, email: 'u@example.com', is_superuser: false };

/** Answers every resolve with `outcome` and records the requests. */
function resolverAnswering(outcome: ResolveOutcome) {
  const calls: Array<{ user: RpcUser; req: unknown }> = [];
  const configResolver: ConfigResolver = {
    resolve: async (u, req) => {
      calls.push({ user: u, req });
      return outcome;
    },
  };
  const warnings: Array<{ fields: unknown; msg: string }> = [];
  const logger = createLogger('job-owner-test', 'silent');
  logger.warn = ((fields: unknown, msg: string) => void warnings.push({ fields, msg })) as never;
  return { deps: { configResolver, logger }, calls, warnings };
}

describe('resolveJobConfig', () => {
  test('resolved → the merged config and template id; the request goes to the resolver as given', async () => {
    const { deps, calls } = resolverAnswering({
      kind: 'resolved',
      config: { line_count: 2 },
      template_id: 7,
    });
    const req = { config_id: 7, config: { a: 1 } };
    expect(await resolveJobConfig(deps, user, req, 'scheduling')).toEqual({
      kind: 'ok',
      config: { line_count: 2 },
      template_id: 7,
    });
    expect(calls).toEqual([{ user, req }]);
    await resolveJobConfig(deps, user, {}, 'scheduling');
    expect(calls[1]).toEqual({ user, req: { config_id: null, config: null } });
  });

  test("rejected → the config service's reply passes through unchanged", async () => {
    const { deps } = resolverAnswering({ kind: 'rejected', status: 404, body: { detail: 'not found' } });
    expect(await resolveJobConfig(deps, user, { config_id: 9, config: null }, 'scheduling')).toEqual({
      kind: 'reply',
      reply: { status: 404, body: { detail: 'not found' } },
    });
  });

  test('unavailable with a config_id → 503 naming the config service', async () => {
    const { deps, warnings } = resolverAnswering({ kind: 'unavailable', reason: 'timeout' });
    expect(await resolveJobConfig(deps, user, { config_id: 9, config: { a: 1 } }, 'scheduling')).toEqual({
      kind: 'reply',
      reply: { status: 503, body: { detail: 'Service unavailable: config' } },
    });
    expect(warnings).toEqual([
      { fields: { reason: 'timeout', config_id: 9 }, msg: 'config service unavailable' },
    ]);
  });

  test('unavailable without a config_id → the request config itself (or {}), no template, and a warning', async () => {
    const { deps, warnings } = resolverAnswering({ kind: 'unavailable', reason: 'no responders' });
    const own = { a: 1 };
    const r = await resolveJobConfig(deps, user, { config_id: null, config: own }, 'comparing');
    expect(r).toEqual({ kind: 'ok', config: own, template_id: null });
    // The same object: callers re-validate only when a template changed the config.
    expect(r.kind === 'ok' && r.config).toBe(own);
    expect(await resolveJobConfig(deps, user, { config_id: null, config: null }, 'comparing')).toEqual({
      kind: 'ok',
      config: {},
      template_id: null,
    });
    expect(warnings[0]).toEqual({
      fields: { reason: 'no responders', user_id: 3 },
      msg: 'config service unavailable: comparing with the request config only (default template not applied)',
    });
  });
});

describe('solveRequestedEvent', () => {
  const base = {
    source: 'fillsched/test',
    job_id: 'schedule.12',
    owner: { kind: 'schedule' as const, id: 12, user_id: 3 },
    strategy: 'smart-pack',
    input: { lots_data: [{ 'Lot ID': 'A' }], config: { line_count: 1 } },
    time: new Date('2026-01-02T03:04:05.000Z'),
  };

  test('a deterministic id from the job id, the correlation id in hand, and the job as data', async () => {
    const ev = await withCorrelation('cid-1', async () =>
      solveRequestedEvent({ ...base, seed: 5, time_limit_s: 2.5 }),
    );
    expect(ev).toMatchObject({
      type: EVENT_TYPES.solveRequested,
      source: 'fillsched/test',
      subject: 'schedule.12',
      id: 'solve.requested:schedule.12',
      correlationid: 'cid-1',
      time: '2026-01-02T03:04:05.000Z',
      data: {
        job_id: 'schedule.12',
        owner: { kind: 'schedule', id: 12, user_id: 3 },
        strategy: 'smart-pack',
        input: { lots_data: [{ 'Lot ID': 'A' }], config: { line_count: 1 }, start_time: null },
        seed: 5,
        time_limit_s: 2.5,
      },
    });
  });

  test('absent or null seed and time limit are left out, not sent as null', () => {
    const ev = solveRequestedEvent({ ...base, seed: null, time_limit_s: undefined });
    expect(Object.keys(ev.data)).toEqual(['job_id', 'owner', 'strategy', 'input']);
  });

  test('an unknown strategy never reaches the queue', () => {
    expect(() => solveRequestedEvent({ ...base, strategy: 'bogus' })).toThrow();
  });
});

describe('readSolveLifecycleEvent', () => {
  const data = {
    job_id: 'comparison.4.lpt-pack',
    owner: { kind: 'comparison', id: 4, user_id: 1 },
    strategy: 'lpt-pack',
  };
  const ev = (type: string, d: unknown = data) => makeEvent({ type, source: 'x', data: d });

  test.each([EVENT_TYPES.solveStarted, EVENT_TYPES.solveCancelled])(
    '%s of an own job → the event',
    (type) => {
      const e = ev(type);
      expect(readSolveLifecycleEvent(e, 'comparison')).toMatchObject({ kind: 'event', event: e, data });
    },
  );

  test.each([
    ['not json-like', 'x'],
    ['null', null],
    ['a plain object', { hello: 1 }],
  ])('%s → term', (_what, raw) => {
    expect(readSolveLifecycleEvent(raw, 'schedule')).toEqual({
      kind: 'settled',
      decision: { action: 'term', reason: 'not a CloudEvent' },
    });
  });

  test('malformed data of a lifecycle type → term naming the type', () => {
    const r = readSolveLifecycleEvent(ev(EVENT_TYPES.solveCompleted), 'comparison');
    expect(r).toMatchObject({ kind: 'settled', decision: { action: 'term' } });
    expect(r.kind === 'settled' && r.decision.action === 'term' && r.decision.reason).toMatch(
      new RegExp(`^invalid ${EVENT_TYPES.solveCompleted} data`),
    );
  });

  test('other event types and other owners are acked and ignored', () => {
    expect(readSolveLifecycleEvent(ev(EVENT_TYPES.solveProgress, {}), 'comparison')).toEqual({
      kind: 'settled',
      decision: { action: 'ack', note: `ignored event type ${EVENT_TYPES.solveProgress}` },
    });
    expect(readSolveLifecycleEvent(ev(EVENT_TYPES.solveStarted), 'schedule')).toEqual({
      kind: 'settled',
      decision: { action: 'ack', note: 'not a schedule job' },
    });
  });
});
