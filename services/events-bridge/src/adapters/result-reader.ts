import {
  ComparisonExportSchema,
  RESULT_EXPORT_PAGE_MAX,
  RPC,
  ResultExportPageSchema,
  assembleResultDocument,
  type ComparisonResultDocument,
  type ResultExportPage,
} from '@fillsched/contracts';
import type { RpcReply, ServiceClient } from '@fillsched/service-kit';
import type { ResultRead, ResultReader } from '../ports';

const reasonOf = (body: unknown): string => {
  const d = (body as { detail?: unknown } | null)?.detail;
  return typeof d === 'string' ? d : JSON.stringify(d ?? body);
};

/** 5xx throws (retried), 404 is `gone`, another non-200 `refused`; null = a 200 to read on. */
function settle(service: string, reply: RpcReply): ResultRead | null {
  if (reply.status === 404) return { kind: 'gone' };
  if (reply.status >= 500)
    throw new Error(`${service} service replied ${reply.status}: ${reasonOf(reply.body)}`);
  if (reply.status !== 200) return { kind: 'refused', status: reply.status, reason: reasonOf(reply.body) };
  return null;
}

/**
 * A completed schedule's document from the schedule service (`RPC.schedule.resultExport`), page by
 * page so every reply stays under NATS max_payload however large the plan; a completed
 * comparison's from the comparison service (`RPC.comparison.resultExport`, one small reply).
 * Timeouts and no responders throw (the owner cannot answer now: retried).
 */
export function natsResultReader(
  clients: { schedule: Pick<ServiceClient, 'request'>; comparison: Pick<ServiceClient, 'request'> },
  opts: { pageSize?: number; timeoutMs?: number } = {},
): ResultReader {
  const limit = opts.pageSize ?? RESULT_EXPORT_PAGE_MAX;
  const timeoutMs = opts.timeoutMs ?? 10_000;

  async function comparison(id: number): Promise<ResultRead> {
    const reply = await clients.comparison.request(
      RPC.comparison.resultExport,
      { params: { id: String(id) } },
      { timeoutMs },
    );
    const settled = settle('comparison', reply);
    if (settled) return settled;
    const doc = ComparisonExportSchema.safeParse(reply.body);
    if (!doc.success) throw new Error(`malformed comparison result-export: ${doc.error.message}`);
    // the reply as sent (the schema only checks it): the document GET /compare/{id} shows
    return { kind: 'ok', document: reply.body as ComparisonResultDocument };
  }

  async function schedule(id: number): Promise<ResultRead> {
    const items: unknown[] = [];
    let first: ResultExportPage | undefined;
    let total = Infinity;
    while (items.length < total) {
      const reply = await clients.schedule.request(
        RPC.schedule.resultExport,
        { params: { id: String(id) }, query: { offset: items.length, limit } },
        { timeoutMs },
      );
      const settled = settle('schedule', reply);
      if (settled) return settled;
      const page = ResultExportPageSchema.safeParse(reply.body);
      if (!page.success) throw new Error(`malformed result-export page: ${page.error.message}`);
      if (page.data.offset !== items.length) throw new Error('result-export page out of place');
      first ??= reply.body as ResultExportPage;
      total = page.data.total;
      // An empty page before the end would loop forever: the stored result changed under us.
      if (page.data.items.length === 0 && items.length < total) throw new Error('result pages ended early');
      items.push(...page.data.items);
    }
    if (!first) throw new Error('no result-export page');
    return { kind: 'ok', document: assembleResultDocument(first, items) };
  }

  return { read: (t) => (t.kind === 'schedule' ? schedule(t.id) : comparison(t.id)) };
}
