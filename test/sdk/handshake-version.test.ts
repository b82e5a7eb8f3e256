import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { TickerClient } from '@headline-ticker/sdk';
import { PROTOCOL_VERSION } from '@headline-ticker/sdk/protocol';
import { ClientLog } from '../helpers/sdk-client.js';

// A plain Socket.IO server standing in for a gateway, recording what each handshake carried: the
// server can only tell an old client from a new one if the SDK says which protocol it speaks.
const handshakes: Record<string, unknown>[] = [];
const http = createServer();
const io = new Server(http);
let url = '';

beforeAll(async () => {
  io.use((socket, next) => {
    handshakes.push(socket.handshake.auth);
    next();
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

it('the SDK sends its protocol version `v` in the handshake, beside the key', async () => {
  const client = new TickerClient({ url, key: 'sdk_handshake' });
  const log = new ClientLog(client);
  try {
    await log.status('live', 1, 10_000);
    expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(1);
    expect(handshakes).toEqual([{ key: 'sdk_handshake', v: PROTOCOL_VERSION }]);
  } finally {
    await client.close();
  }
});
