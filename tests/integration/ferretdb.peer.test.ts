// The FerretDB peer itself (tests/peers/ferretdb.js): a real server on a free loopback port that
// enforces unique indexes, and that stop() ends and cleans up.
import fs from 'node:fs';
import net from 'node:net';
import mongoose from 'mongoose';

interface FerretDbServer {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}
const ferretdb = require('../peers/ferretdb') as {
  availability(): { ok: true } | { ok: false; reason: string };
  start(): Promise<FerretDbServer>;
};
const { peerUnavailable } = require('../peers/common') as {
  peerUnavailable(peer: string, reason: string): boolean;
};

const avail = ferretdb.availability();
// CI=true: peerUnavailable throws, so this file fails with the reason; elsewhere it skips.
const describeFerret = avail.ok || !peerUnavailable('ferretdb', avail.reason) ? describe : describe.skip;

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

describeFerret('FerretDB peer', () => {
  test('two servers side by side, each its own data; a unique index gives E11000; stop cleans up', async () => {
    const [a, b] = await Promise.all([ferretdb.start(), ferretdb.start()]);
    try {
      expect(a.port).not.toBe(b.port);
      const conn = await mongoose
        .createConnection(`${a.url}peer_test`, { directConnection: true })
        .asPromise();
      try {
        const coll = conn.collection('things');
        await coll.createIndex({ key: 1 }, { unique: true });
        await coll.insertOne({ key: 'k' });
        await expect(coll.insertOne({ key: 'k' })).rejects.toMatchObject({ code: 11000 });
        expect(await coll.countDocuments()).toBe(1);
      } finally {
        await conn.close();
      }
      expect(fs.readdirSync(a.dataDir).length).toBeGreaterThan(0); // SQLite files of peer_test
      expect(fs.readdirSync(b.dataDir)).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(fs.existsSync(a.dataDir)).toBe(false);
    expect(await answers(a.port)).toBe(false);
  });
});
