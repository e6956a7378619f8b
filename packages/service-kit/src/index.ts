export * from './config';
export * from './logging';
export * from './log-format';
export * from './metrics';
export * from './codec';
export * from './rpc';
export * from './nats';
export * from './responder';
export * from './client';
export * from './streams';
export * from './kv';
export * from './unavailable';
export * from './ops';
export * from './shutdown';
export * from './serve';
export * from './mongo';
// Test helpers only spawn processes when called, so exporting them here costs nothing.
export * from './testing';
