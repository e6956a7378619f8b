import fs from 'node:fs';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import mongoose from 'mongoose';
import { findFreePort, findRepoRoot, startMongoForTests, startNatsForTests } from './testing';

jest.setTimeout(30000);

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('test servers', () => {
  it('findFreePort returns a bindable port', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(await listening(port)).toBe(false);
  });

  it('startNatsForTests gives a JetStream server in under 2 s; stop() kills it and removes its dir', async () => {
    const t0 = Date.now();
    const nats = await startNatsForTests();
    expect(Date.now() - t0).toBeLessThan(2000);
    try {
      const nc = await connect({ servers: nats.url });
      expect(nc.info?.jetstream).toBe(true);
      expect(nc.info?.max_payload).toBe(8 * 1024 * 1024);
      await nc.close();
      expect(fs.existsSync(nats.storeDir)).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(await listening(nats.port)).toBe(false);
    expect(fs.existsSync(nats.storeDir)).toBe(false);
    await nats.stop(); // idempotent
  });

  it('startNatsForTests({ port }) on a port another server holds fails clearly instead of reusing it', async () => {
    const nats = await startNatsForTests();
    try {
      await expect(startNatsForTests({ port: nats.port })).rejects.toThrow(/address already in use/);
    } finally {
      await nats.stop();
    }
  });

  it('startMongoForTests gives a fresh database per call and stops cleanly', async () => {
    const [a, b] = await Promise.all([startMongoForTests(), startMongoForTests()]);
    try {
      expect(a.dbName).not.toBe(b.dbName);
      expect(a.url).toContain(a.dbName);
      const conn = await mongoose
        .createConnection(a.url, {
          directConnection: !a.external,
          serverSelectionTimeoutMS: 5000,
          serverMonitoringMode: 'poll',
        })
        .asPromise();
      await conn.collection('t').insertOne({ x: 1 });
      expect(await conn.collection('t').countDocuments()).toBe(1);
      await conn.close();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    if (!a.external) expect(await listening(Number(new URL(a.url).port))).toBe(false);
  });

  it('finds the repo root from its own folder', () => {
    expect(fs.existsSync(`${findRepoRoot()}/scripts/mongo-wire-server.mjs`)).toBe(true);
  });
});
