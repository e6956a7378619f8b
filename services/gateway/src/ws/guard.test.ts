import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import { WS_CLOSE } from '@fillsched/contracts';
import { DEFAULT_WS_LIMITS, SocketGuard, UserSockets } from './guard';

/** Just what the guard touches of a ws socket. */
class FakeSocket extends EventEmitter {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: string[] = [];
  closed: { code: number; reason: string } | null = null;
  paused = false;
  send(text: string) {
    this.sent.push(text);
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
    this.readyState = WebSocket.CLOSING;
  }
  pause() {
    this.paused = true;
  }
  terminate() {
    this.readyState = WebSocket.CLOSED;
  }
}

const limits = { ...DEFAULT_WS_LIMITS, inboundPerSecond: 3, maxBufferedBytes: 100 };

test('inbound rate: the message over the limit within a second closes with 4429 and stops reading', () => {
  let now = 0;
  const ws = new FakeSocket();
  const guard = new SocketGuard(ws as unknown as WebSocket, limits, () => now);
  expect([guard.inbound(), guard.inbound(), guard.inbound()]).toEqual([true, true, true]);
  now = 1000; // a new window
  expect([guard.inbound(), guard.inbound(), guard.inbound(), guard.inbound()]).toEqual([
    true,
    true,
    true,
    false,
  ]);
  expect(ws.closed?.code).toBe(WS_CLOSE.rateLimited);
  expect(ws.paused).toBe(true);
  expect(guard.inbound()).toBe(false);
});

test('send buffer: a message that would pass the cap closes with 4002 instead of queueing', () => {
  const ws = new FakeSocket();
  const guard = new SocketGuard(ws as unknown as WebSocket, limits);
  expect(guard.send('x'.repeat(60))).toBe(true);
  ws.bufferedAmount = 60;
  expect(guard.send('y'.repeat(41))).toBe(false);
  expect(ws.sent).toHaveLength(1);
  expect(ws.closed?.code).toBe(WS_CLOSE.slowConsumer);
  expect(guard.send('z')).toBe(false);
});

test('sockets per user: acquire up to the cap, release frees one (once)', () => {
  const users = new UserSockets(() => 2);
  const a = users.acquire(7)!;
  const b = users.acquire(7)!;
  expect(users.acquire(7)).toBeNull();
  expect(users.acquire(8)).not.toBeNull();
  a();
  a();
  expect(users.count(7)).toBe(1);
  expect(users.acquire(7)).not.toBeNull();
  b();
});
