import { failureReply, isStoreUnavailable } from './unavailable';

// The driver's own shapes: a class whose `name` getter says what it is, and subclasses that name
// themselves differently (mongodb's cmap/errors: PoolClearedOnNetworkError extends
// PoolClearedError extends MongoNetworkError).
class MongoNetworkError extends Error {
  get name(): string {
    return 'MongoNetworkError';
  }
}
class PoolClearedError extends MongoNetworkError {
  get name(): string {
    return 'MongoPoolClearedError';
  }
}
class PoolClearedOnNetworkError extends PoolClearedError {
  get name(): string {
    return 'PoolClearedOnNetworkError';
  }
}
class MongoServerError extends Error {
  get name(): string {
    return 'MongoServerError';
  }
}

test('a request in flight when the store dies (PoolClearedOnNetworkError) is a store outage: 503', () => {
  const err = new PoolClearedOnNetworkError('connection closed');
  expect(isStoreUnavailable(err)).toBe(true);
  expect(failureReply(err)).toMatchObject({ status: 503, headers: { 'Retry-After': '2' } });
  expect(isStoreUnavailable(new Error('wrapped', { cause: err }))).toBe(true);
});

test('the named driver errors count; a server refusing the request and plain errors do not', () => {
  expect(isStoreUnavailable(new MongoNetworkError('x'))).toBe(true);
  expect(isStoreUnavailable(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' }))).toBe(true);
  expect(isStoreUnavailable(new MongoServerError('E11000 duplicate key'))).toBe(false);
  expect(isStoreUnavailable(new TypeError('x'))).toBe(false);
  expect(failureReply(new MongoServerError('x')).status).toBe(500);
});
