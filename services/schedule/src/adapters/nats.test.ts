import { RPC, toChunks } from '@fillsched/contracts';
import { ServiceUnavailableError, type RpcReply, type RpcRequest } from '@fillsched/service-kit';
import { scriptedServiceClient } from '@fillsched/service-kit/testing';
import { makeResult } from '../repos.contract';
import { NatsResultFetcher } from './nats';

describe('NatsResultFetcher', () => {
  const chunks = toChunks(makeResult(40), 2_000);
  const chunkReply = (payload: RpcRequest): RpcReply => {
    const { index } = payload.body as { index: number };
    return chunks[index]
      ? { status: 200, body: { job_id: 'schedule.1', chunk: chunks[index] } }
      : { status: 404, body: { detail: 'Result chunk not found' } };
  };

  test('takes every chunk over in order, as the solver stored them', async () => {
    expect(chunks.length).toBeGreaterThan(2);
    const { client, calls } = scriptedServiceClient((_s, p) => chunkReply(p));
    const r = await new NatsResultFetcher(client).fetch('schedule.1');
    expect(r).toEqual({ kind: 'ok', chunks });
    expect(calls.map((c) => c.payload.body)).toEqual(
      chunks.map((_c, index) => ({ job_id: 'schedule.1', index })),
    );
    expect(calls.every((c) => c.subject === RPC.solver.result)).toBe(true);
  });

  test('a result in one chunk takes one request', async () => {
    const one = toChunks(makeResult(0));
    const { client, calls } = scriptedServiceClient(() => ({
      status: 200,
      body: { job_id: 'schedule.1', chunk: one[0] },
    }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({ kind: 'ok', chunks: one });
    expect(calls).toHaveLength(1);
  });

  test('chunks are kept as sent: a field the schema does not name is not dropped', async () => {
    const [head] = toChunks(makeResult(2));
    const sent = { ...head, activities: head.activities.map((a) => ({ ...a, note: 'kept' })) };
    const { client } = scriptedServiceClient(() => ({ status: 200, body: { chunk: sent } }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({ kind: 'ok', chunks: [sent] });
  });

  test('404 on the head → not_found', async () => {
    const { client } = scriptedServiceClient(() => ({ status: 404, body: { detail: 'Result not found' } }));
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toEqual({ kind: 'not_found' });
  });

  test('a chunk that vanished midway (result deleted underneath) → unavailable, never a shorter result', async () => {
    const { client } = scriptedServiceClient((_s, p) =>
      (p.body as { index: number }).index === 2 ? { status: 404, body: {} } : chunkReply(p),
    );
    expect(await new NatsResultFetcher(client).fetch('schedule.1')).toMatchObject({
      kind: 'unavailable',
      reason: 'solver replied 404 for chunk 2',
    });
  });

  test('chunks that do not make one document (one short of its place) → unavailable', async () => {
    const { client } = scriptedServiceClient((_s, p) => {
      const { index } = p.body as { index: number };
      return index === 1
        ? { status: 200, body: { chunk: { ...chunks[1], activities: chunks[1].activities.slice(1) } } }
        : chunkReply(p);
    });
    expect((await new NatsResultFetcher(client).fetch('schedule.1')).kind).toBe('unavailable');
  });

  test.each([
    ['a 500', { status: 500, body: {} }],
    ['a 422', { status: 422, body: {} }],
    ['a malformed chunk', { status: 200, body: { chunk: { index: 0, activities: 'x' } } }],
    ['no chunk at all', { status: 200, body: {} }],
    ['no responders', new ServiceUnavailableError('solver', 'no_responders')],
  ])('%s → unavailable', async (_what, answer) => {
    const { client } = scriptedServiceClient(() => answer as RpcReply | Error);
    expect((await new NatsResultFetcher(client).fetch('schedule.1')).kind).toBe('unavailable');
  });
});
