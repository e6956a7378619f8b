import { makeEvent } from './cloudevents';
import { fromKafkaRecord, kafkaKeyOf, toKafkaRecord } from './kafka';

describe('Kafka binding of the events stream', () => {
  test('key is <kind>.<id> of the NATS subject, null outside the layout', () => {
    expect(kafkaKeyOf('fillsched.events.schedule.42.completed')).toBe('schedule.42');
    expect(kafkaKeyOf('fillsched.events.schedule.42.status.running')).toBe('schedule.42');
    expect(kafkaKeyOf('fillsched.events.comparison.7.finished')).toBe('comparison.7');
    expect(kafkaKeyOf('fillsched.events.other.7.x')).toBeNull();
    expect(kafkaKeyOf('fillsched.events.schedule.abc.x')).toBeNull();
  });

  test('binary mode: attributes as ce_* headers, content-type, data as value; round trip', () => {
    const event = makeEvent({
      type: 'com.fillsched.solve.completed',
      source: '/fillsched/solver/s1',
      subject: 'schedule.42',
      id: 'schedule.42:completed',
      correlationid: 'c-1',
      data: { job_id: 'schedule.42', n: 1 },
    });
    const rec = toKafkaRecord(event, 'schedule.42');
    expect(rec.key).toBe('schedule.42');
    expect(rec.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'schedule.42:completed',
      ce_source: '/fillsched/solver/s1',
      ce_type: 'com.fillsched.solve.completed',
      ce_subject: 'schedule.42',
      ce_time: event.time,
      ce_correlationid: 'c-1',
      'content-type': 'application/json',
    });
    expect(JSON.parse(rec.value)).toEqual({ job_id: 'schedule.42', n: 1 });
    expect(fromKafkaRecord(rec.headers, rec.value)).toEqual(event);
  });

  test('absent optional attributes give no header', () => {
    const event = makeEvent({ type: 't', source: '/s', data: null, id: 'x' });
    const rec = toKafkaRecord(event, 'k');
    expect(Object.keys(rec.headers).sort()).toEqual(
      ['ce_id', 'ce_source', 'ce_specversion', 'ce_time', 'ce_type', 'content-type'].sort(),
    );
  });
});
