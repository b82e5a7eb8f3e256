import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Server, type ExtendedError } from 'socket.io';
import { TickerClient } from '@headline-ticker/sdk';
import { CONNECT_ERROR, type OverloadedInfo } from '@headline-ticker/sdk/protocol';
import { ClientLog } from '../helpers/sdk-client.js';

// A plain Socket.IO server standing in for an overloaded gateway: it refuses the first two
// handshakes with `overloaded` and a retry hint, then admits and answers the subscribe.
const RETRY_AFTER_MS = 600;
const attempts: number[] = [];
const http = createServer();
const io = new Server(http);
let url = '';

beforeAll(async () => {
  io.use((_socket, next) => {
    attempts.push(Date.now());
    if (attempts.length > 2) return next();
    const err: ExtendedError = new Error(CONNECT_ERROR.overloaded);
    err.data = { retryAfterMs: RETRY_AFTER_MS } satisfies OverloadedInfo;
    next(err);
  });
  io.on('connection', (socket) => {
    socket.on('subscribe', (_req: unknown, ack: (a: unknown) => void) => ack({ ok: true, headlines: [], seq: 0 }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => void io.close(() => resolve()));
});

it('an `overloaded` refusal is waited out (its retryAfterMs, plus jitter) instead of the short backoff, then the client goes live', async () => {
  // Without the hint this client would be back within 40 ms.
  const client = new TickerClient({ url, key: 'k', reconnect: { minDelayMs: 20, maxDelayMs: 40, byeSpreadMs: 40 } });
  const log = new ClientLog(client);
  try {
    await log.status('live', 1, 10_000);
    expect(attempts).toHaveLength(3);
    for (let i = 1; i < attempts.length; i++) {
      const gap = attempts[i]! - attempts[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(RETRY_AFTER_MS);
      // the jitter on top is the bye spread (at most 40 ms here), plus scheduling
      expect(gap).toBeLessThan(RETRY_AFTER_MS + 1000);
    }
    // Not an error the application must handle: the client is retrying, as it says in its status.
    expect(log.errors).toEqual([]);
    expect(log.statuses.filter((s) => s.status === 'reconnecting').map((s) => s.reason)).toEqual(['connect_failed']);
  } finally {
    await client.close();
  }
});
