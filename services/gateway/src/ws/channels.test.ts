import {
  EVENT_TYPES,
  makeEvent,
  ownerStatusSubject,
  parseChannel,
  progressSubject,
  wsHistorySubject,
} from '@fillsched/contracts';
import { publicationsFor } from './channels';

const now = new Date('2026-01-01T00:00:00Z');
const summary = {
  makespan: 10,
  utilization: 0.5,
  changeovers: 1,
  lots_scheduled: 2,
  window_violations: 0,
  kpis: {},
  lower_bound: 9,
  gap: 0.1,
  execution_time: 0.2,
  activity_count: 4,
};
const status = (id: number, s: string, extra: Record<string, unknown> = {}) =>
  makeEvent({
    type: EVENT_TYPES.scheduleCompleted,
    source: '/fillsched/schedule/x',
    id: `schedule.${s}:${id}`,
    data: {
      schedule_id: id,
      user_id: 7,
      job_id: `schedule.${id}`,
      status: s,
      started_at: null,
      completed_at: null,
      error_message: null,
      error_code: null,
      summary: null,
      ...extra,
    },
  });

test('a schedule status event goes to its channel and to its owner`s user channel', () => {
  const pubs = publicationsFor(
    ownerStatusSubject('schedule', 42, 'completed'),
    status(42, 'completed', { summary }),
    now,
  );
  expect(pubs.map((p) => [p.channel, p.userId, p.final, p.data.type])).toEqual([
    ['schedule:42', undefined, true, 'complete'],
    ['user', 7, false, 'complete'],
  ]);
  expect(pubs[1].data.schedule_id).toBe(42);
  expect(pubs[0].eventId).toBe('schedule.completed:42');
});

test('progress goes to the resource channel only; solver stages of a schedule go nowhere', () => {
  const progress = makeEvent({
    type: EVENT_TYPES.solveProgress,
    source: '/fillsched/solver/1',
    id: 'schedule.5:progress:1:3',
    data: {
      job_id: 'schedule.5',
      owner: { kind: 'schedule', id: 5, user_id: 7 },
      strategy: 'smart-pack',
      phase: 'search',
      percent: 40,
      best_makespan: null,
      lower_bound: null,
      message: 'searching',
    },
  });
  const pubs = publicationsFor(progressSubject('schedule', 5), progress, now);
  expect(pubs.map((p) => p.channel)).toEqual(['schedule:5']);
  expect(publicationsFor('fillsched.events.schedule.5.started', progress, now)).toEqual([]);
  expect(publicationsFor('fillsched.other.subject', progress, now)).toEqual([]);
});

test('channel names and history subjects', () => {
  expect(parseChannel('schedule:12')).toEqual({ kind: 'schedule', id: 12 });
  expect(parseChannel('compare:3')).toEqual({ kind: 'compare', id: 3 });
  expect(parseChannel('user')).toEqual({ kind: 'user' });
  for (const bad of ['schedule:0', 'schedule:x', 'user:3', 'compare:', 'schedule:1.2'])
    expect(parseChannel(bad)).toBeNull();
  expect(wsHistorySubject('compare:3')).toBe('fillsched.ws.compare.3');
  expect(wsHistorySubject('user', 9)).toBe('fillsched.ws.user.9');
});
