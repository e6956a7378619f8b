import { RPC } from '@fillsched/contracts';
import {
  ServiceTimeoutError,
  ServiceUnavailableError,
  type RpcReply,
  type RpcRequest,
  type ServiceClient,
} from '@fillsched/service-kit';
import { makeActivities } from '../repos.contract';
import { NatsConfigResolver, NatsResultFetcher } from './nats';

/** A ServiceClient whose replies are scripted per call. */
function scriptedClient(answer: (subject: string, payload: RpcRequest) => RpcReply | Error) {
  const calls: Array<{ subject: string; payload: RpcRequest; timeoutMs?: number }> = [];
  const client = {
    service: 'fake',
    breaker: undefined as never,
    close: () => undefined,
    async request(subject: string, payload: RpcRequest, opts?: { timeoutMs?: number }) {
      calls.push({ subject, payload, timeoutMs: opts?.timeoutMs });
      const a = answer(subject, payload);
      if (a instanceof Error) throw a;
      return a;
    },
  } satisfies ServiceClient;
  return { client, calls };
}

const user = { id: 1, email: 'a@example.com', is_superuser: false };

describe('NatsConfigResolver', () => {
  test('200 → resolved config and template id; the request carries user, config_id and config', async () => {
    const { client, calls } = scriptedClient(() => ({
      status: 200,
      body: { config: { line_count: 2 }, template_id: 5 },
    }));
    const r = await new NatsConfigResolver(client, 1234).resolve(user, { config_id: 5, config: { a: 1 } });
    expect(r).toEqual({ kind: 'resolved', config: { line_count: 2 }, template_id: 5 });
    expect(calls).toEqual([
      {
        subject: RPC.config.resolve,
        payload: { user, body: { config_id: 5, config: { a: 1 } } },
        timeoutMs: 1234,
      },
    ]);
  });

  test('a missing template id is null', async () => {
    const { client } = scriptedClient(() => ({ status: 200, body: { config: {} } }));
    expect(await new NatsConfigResolver(client).resolve(user, { config_id: null, config: null })).toEqual({
      kind: 'resolved',
      config: {},
      template_id: null,
    });
  });

  test('4xx → rejected with status and body to pass through', async () => {
    const { client } = scriptedClient(() => ({
      status: 404,
      body: { detail: 'Configuration template not found' },
    }));
    expect(await new NatsConfigResolver(client).resolve(user, { config_id: 9, config: null })).toEqual({
      kind: 'rejected',
      status: 404,
      body: { detail: 'Configuration template not found' },
    });
  });

  test.each([
    ['a 500 reply', { status: 500, body: { detail: 'Internal server error' } }],
    ['a malformed 200', { status: 200, body: { config: [1] } }],
    ['a 200 without body', { status: 200, body: null }],
    ['no responders', new ServiceUnavailableError('config', 'no_responders')],
    ['a timeout', new ServiceTimeoutError('config')],
    ['any other error', new Error('boom')],
  ])('%s → unavailable', async (_what, answer) => {
    const { client } = scriptedClient(() => answer as RpcReply | Error);
    const r = await new NatsConfigResolver(client).resolve(user, { config_id: null, config: null });
    expect(r.kind).toBe('unavailable');
  });
});

describe('NatsResultFetcher', () => {
  const activities = makeActivities(5);
  const pageReply = (payload: RpcRequest, total = activities.length): RpcReply => {
    const { offset, limit } = payload.body as { offset: number; limit: number };
    return {
      status: 200,
      body: {
        result: { makespan: 10, lower_bound: 9, activities: ['must be ignored'] },
        activities: activities.slice(offset, offset + limit),
        total_activities: total,
      },
    };
  };

  test('reads every page in order and assembles the result', async () => {
    const { client, calls } = scriptedClient((_s, p) => pageReply(p));
    const r = await new NatsResultFetcher(client, { pageSize: 2 }).fetch('schedule.1');
    expect(r).toEqual({ kind: 'ok', result: { makespan: 10, lower_bound: 9, activities } });
    expect(calls.map((c) => c.payload.body)).toEqual([
      { job_id: 'schedule.1', offset: 0, limit: 2 },
      { job_id: 'schedule.1', offset: 2, limit: 2 },
      { job_id: 'schedule.1', offset: 4, limit: 2 },
    ]);
    expect(calls.every((c) => c.subject === RPC.solver.result)).toBe(true);
  });

  test('a result with no activities takes one request', async () => {
    const { client, calls } = scriptedClient(() => ({
      status: 200,
      body: { result: { makespan: 0 }, activities: [], total_activities: 0 },
    }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({
      kind: 'ok',
      result: { makespan: 0, activities: [] },
    });
    expect(calls).toHaveLength(1);
  });

  test('404 → not_found', async () => {
    const { client } = scriptedClient(() => ({ status: 404, body: { detail: 'Result not found' } }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({ kind: 'not_found' });
  });

  test('a page that ends early (result changed underneath) → unavailable, never a loop', async () => {
    const { client, calls } = scriptedClient((_s, p) => pageReply(p, 50));
    const r = await new NatsResultFetcher(client, { pageSize: 2 }).fetch('schedule.1');
    expect(r).toMatchObject({ kind: 'unavailable', reason: 'result page ended early' });
    expect(calls.length).toBeLessThanOrEqual(4);
  });

  test.each([
    ['a 500', { status: 500, body: {} }],
    ['a 422', { status: 422, body: {} }],
    ['a malformed page', { status: 200, body: { activities: 'x' } }],
    ['no responders', new ServiceUnavailableError('solver', 'no_responders')],
  ])('%s → unavailable', async (_what, answer) => {
    const { client } = scriptedClient(() => answer as RpcReply | Error);
    expect((await new NatsResultFetcher(client).fetch('schedule.1')).kind).toBe('unavailable');
  });
});
