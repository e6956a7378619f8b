import {
  RESULT_EXPORT_PAGE_MAX,
  RPC,
  ResultExportPageSchema,
  assembleResultDocument,
  type ResultExportPage,
} from '@fillsched/contracts';
import type { ServiceClient } from '@fillsched/service-kit';
import type { ResultRead, ResultReader } from '../ports';

const reasonOf = (body: unknown): string => {
  const d = (body as { detail?: unknown } | null)?.detail;
  return typeof d === 'string' ? d : JSON.stringify(d ?? body);
};

/**
 * A completed schedule's document from the schedule service (`RPC.schedule.resultExport`), page by
 * page so every reply stays under NATS max_payload however large the plan. 5xx, timeouts and no
 * responders throw (the owner cannot answer now: retried); 404 is `gone`, another 4xx `refused`.
 */
export function natsResultReader(
  client: Pick<ServiceClient, 'request'>,
  opts: { pageSize?: number; timeoutMs?: number } = {},
): ResultReader {
  const limit = opts.pageSize ?? RESULT_EXPORT_PAGE_MAX;
  return {
    async read(scheduleId): Promise<ResultRead> {
      const items: unknown[] = [];
      let first: ResultExportPage | undefined;
      let total = Infinity;
      while (items.length < total) {
        const reply = await client.request(
          RPC.schedule.resultExport,
          { params: { id: String(scheduleId) }, query: { offset: items.length, limit } },
          { timeoutMs: opts.timeoutMs ?? 10_000 },
        );
        if (reply.status === 404) return { kind: 'gone' };
        if (reply.status >= 500)
          throw new Error(`schedule service replied ${reply.status}: ${reasonOf(reply.body)}`);
        if (reply.status !== 200)
          return { kind: 'refused', status: reply.status, reason: reasonOf(reply.body) };
        const page = ResultExportPageSchema.safeParse(reply.body);
        if (!page.success) throw new Error(`malformed result-export page: ${page.error.message}`);
        if (page.data.offset !== items.length) throw new Error('result-export page out of place');
        first ??= page.data;
        total = page.data.total;
        // An empty page before the end would loop forever: the stored result changed under us.
        if (page.data.items.length === 0 && items.length < total) throw new Error('result pages ended early');
        items.push(...page.data.items);
      }
      if (!first) throw new Error('no result-export page');
      return { kind: 'ok', document: assembleResultDocument(first, items) };
    },
  };
}
