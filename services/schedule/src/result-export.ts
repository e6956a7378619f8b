import { MESSAGES, ResultExportQuerySchema, zodToDetail, type ResultExportPage } from '@fillsched/contracts';
import {
  detail,
  reply,
  unprocessable as invalid,
  type RpcReply,
  type RpcRequest,
} from '@fillsched/service-kit';
import type { ResultRepository, ScheduleRepository } from './ports';
import { withWarnings } from './replies';

/**
 * `RPC.schedule.resultExport` (internal, the events-bridge identity only): one page of a completed
 * schedule's whole document for the Kafka results topic, read through the same repository calls as
 * GET with `include_activities=false` and `/activities`, so the bridge reassembles exactly GET's
 * body. No user: the NATS permission matrix is the access control. 404 unknown (deleted), 409 not
 * completed or no stored result, 422 a bad id or query.
 */
export function createResultExportHandler(deps: {
  schedules: ScheduleRepository;
  results: ResultRepository;
}) {
  return async (req: RpcRequest): Promise<RpcReply> => {
    const id = Number(req.params?.id);
    if (!Number.isInteger(id) || id <= 0)
      return invalid([
        { loc: ['path', 'id'], msg: 'a positive integer schedule id', type: 'type_error.integer' },
      ]);
    const query = ResultExportQuerySchema.safeParse(req.query ?? {});
    if (!query.success) return invalid(zodToDetail(query.error, 'query'));
    const record = await deps.schedules.get(id);
    if (!record) return detail(404, MESSAGES.scheduleNotFound);
    if (record.status !== 'completed')
      return detail(409, `Schedule is not completed (status: ${record.status})`);
    const { offset, limit } = query.data;
    const [summary, page] = await Promise.all([
      deps.results.summary(id),
      deps.results.activities(id, { offset, limit }),
    ]);
    if (!summary || !page) return detail(409, 'Schedule result is not available');
    const body: ResultExportPage = {
      schedule: withWarnings(record),
      result: summary as ResultExportPage['result'],
      items: page.items,
      total: page.total,
      offset,
    };
    return reply(200, body);
  };
}
