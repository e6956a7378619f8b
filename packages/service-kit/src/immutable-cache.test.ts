import { ImmutableCache } from './immutable-cache';

test('least recently used out first, by entries and by weight; a value above the bound is not kept', () => {
  const c = new ImmutableCache<string>({ maxEntries: 3, maxWeight: 10 });
  c.set('a', 1, 'A', 3, c.mark());
  c.set('b', 2, 'B', 3, c.mark());
  expect(c.get('a')).toBe('A'); // a is now the most recently used
  c.set('c', 3, 'C', 3, c.mark());
  c.set('d', 4, 'D', 3, c.mark()); // 4 entries > 3: b (least recent) goes
  expect([c.get('b'), c.get('a'), c.get('c'), c.get('d')]).toEqual([undefined, 'A', 'C', 'D']);
  c.set('e', 5, 'E', 7, c.mark()); // weight 3 + 3 + 3 + 7 > 10: a and c go
  expect([c.get('a'), c.get('c'), c.get('d'), c.get('e')]).toEqual([undefined, undefined, 'D', 'E']);
  c.set('f', 6, 'F', 11, c.mark());
  expect(c.get('f')).toBeUndefined();
  expect(c.size()).toBe(2);
});

test('forget drops every entry of a group and refuses values read before it', () => {
  const c = new ImmutableCache<string>({ maxEntries: 10, maxWeight: 100 });
  c.set('1|alice', 1, 'x', 1, c.mark());
  c.set('1|bob', 1, 'y', 1, c.mark());
  c.set('2|alice', 2, 'z', 1, c.mark());
  const since = c.mark();
  c.forget(1);
  expect([c.get('1|alice'), c.get('1|bob'), c.get('2|alice')]).toEqual([undefined, undefined, 'z']);
  c.set('3|alice', 3, 'late', 1, since); // built by a read that may have raced the delete
  expect(c.get('3|alice')).toBeUndefined();
  c.set('3|alice', 3, 'fresh', 1, c.mark());
  expect(c.get('3|alice')).toBe('fresh');
});
