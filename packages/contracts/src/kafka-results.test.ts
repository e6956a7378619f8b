import { makeEvent } from './cloudevents';
import { EVENT_TYPES } from './events';
import {
  assembleResultDocument,
  resultRecordHeaders,
  resultTargetOf,
  type ResultExportPage,
} from './kafka-results';

const ev = (type: string, data: unknown) => makeEvent({ type, source: '/fillsched/schedule/s1', data });

test('what goes on the results topic: completed schedules and completed comparisons, nothing else', () => {
  expect(resultTargetOf(ev(EVENT_TYPES.scheduleCompleted, { schedule_id: 4 }))).toEqual({
    kind: 'schedule',
    id: 4,
  });
  expect(
    resultTargetOf(ev(EVENT_TYPES.comparisonFinished, { comparison_id: 2, status: 'completed' })),
  ).toEqual({
    kind: 'comparison',
    id: 2,
  });
  for (const e of [
    ev(EVENT_TYPES.comparisonFinished, { comparison_id: 2, status: 'failed' }),
    ev(EVENT_TYPES.scheduleFailed, { schedule_id: 4 }),
    ev(EVENT_TYPES.solveCompleted, { schedule_id: 4 }),
    ev(EVENT_TYPES.scheduleCompleted, { schedule_id: 'x' }),
    ev(EVENT_TYPES.scheduleCompleted, null),
  ])
    expect(resultTargetOf(e)).toBeNull();
});

test('headers derive from the announcing event only; the document is summary + activities', () => {
  const completed = ev(EVENT_TYPES.scheduleCompleted, { schedule_id: 4 });
  expect(resultRecordHeaders(completed, { kind: 'schedule', id: 4 })).toEqual({
    ce_specversion: '1.0',
    ce_id: 'schedule.result:4',
    ce_source: '/fillsched/schedule/s1',
    ce_type: 'com.fillsched.schedule.result',
    ce_subject: 'schedule.4',
    ce_time: completed.time,
    'content-type': 'application/json',
    'content-encoding': 'gzip',
  });
  const first = {
    schedule: { id: 4, name: 'n', status: 'completed' },
    result: { makespan: 1, activity_count: 2 },
    items: [],
    total: 2,
    offset: 0,
  } as unknown as ResultExportPage;
  expect(assembleResultDocument(first, ['a', 'b'])).toEqual({
    id: 4,
    name: 'n',
    status: 'completed',
    result: { makespan: 1, activities: ['a', 'b'] },
  });
});
