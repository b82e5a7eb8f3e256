import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Server, type Socket } from 'socket.io';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { owedBytes, watchBackpressure, type Backpressure } from '../../server/src/gateway/backpressure.js';
import { createLogger } from '../../server/src/logger.js';
import { ALL_KEY } from '../helpers/config.js';
import { rawConnect, type RawSocket } from '../helpers/raw-socket.js';
import { useStack } from '../helpers/harness.js';
import { until, waitFor } from '../helpers/wait.js';

const CHUNK = 'x'.repeat(64 * 1024);
const MAX_SOCKET_BYTES = 256 * 1024;
const BYE = /^42\["bye",\{"reason":"slow_consumer","retryAfterMs":\d+\}\]$/u;
const pause = () => new Promise((r) => setTimeout(r, 2));

/** Broadcasts 64 KiB packets, one every few ms, until `done` (at most 600: 38 MiB). */
async function flood(emit: () => void, done: () => boolean): Promise<number> {
  for (let i = 0; i < 600; i++) {
    if (done()) return i;
    emit();
    await pause();
  }
  throw new Error('the slow socket was never shed');
}

describe('backpressure on a plain Socket.IO server', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  let watch: Backpressure | null = null;
  const clients: RawSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    watch?.close();
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });

  const connectRaw = async () => {
    const arrived = waitFor<Socket>(io, 'connection');
    const client = await rawConnect(url, {});
    clients.push(client);
    return { client, server: await arrived };
  };

  it('a reader that stops reading is sent bye slow_consumer and disconnected; the others are not', async () => {
    watch = watchBackpressure(io, {
      logger: createLogger('silent'),
      maxSocketBytes: MAX_SOCKET_BYTES,
      checkIntervalMs: 20,
      graceMs: 30_000, // long: this test reads the bye after the shedding
    });
    const slow = await connectRaw();
    const healthy = await connectRaw();
    slow.client.tcp.pause();
    let serverDisconnect: string | null = null;
    slow.server.once('disconnect', (reason) => (serverDisconnect = reason));

    const sent = await flood(
      () => io.emit('headline', CHUNK),
      () => serverDisconnect !== null,
    );
    expect(serverDisconnect).toBe('server namespace disconnect');
    expect(watch.stats().shed).toBe(1);
    expect(healthy.server.connected).toBe(true);
    // Out of the broadcast: what it owes no longer grows, whatever is sent after.
    const owed = owedBytes(slow.server);
    for (let i = 0; i < 20; i++) io.emit('headline', CHUNK);
    expect(owedBytes(slow.server)).toBe(owed);

    // Once it reads again it gets what was queued, then the bye, then the close.
    slow.client.tcp.resume();
    await slow.client.closed;
    const events = slow.client.packets.filter((p) => p.startsWith('42'));
    expect(events.at(-1)).toMatch(BYE);
    expect(events.length).toBe(sent + 1);
    // The healthy reader got everything, no bye.
    await until(() => healthy.client.packets.length >= sent + 20, 'the healthy reader has every packet');
    expect(healthy.client.packets.filter((p) => BYE.test(p))).toEqual([]);
  });

  it('a shed socket that never reads again has its connection cut after the grace period', async () => {
    watch = watchBackpressure(io, {
      logger: createLogger('silent'),
      maxSocketBytes: MAX_SOCKET_BYTES,
      checkIntervalMs: 20,
      graceMs: 100,
    });
    const slow = await connectRaw();
    slow.client.tcp.pause();
    const engineClosed = waitFor<string>(slow.server.conn, 'close');
    let shed = false;
    slow.server.once('disconnect', () => (shed = true));
    await flood(
      () => io.emit('headline', CHUNK),
      () => shed,
    );
    // The Engine.IO connection (and the backlog it holds) is gone though the peer never read.
    await engineClosed;
    await new Promise((r) => setImmediate(r)); // Engine.IO clears its buffer on the next tick
    expect(owedBytes(slow.server)).toBe(0);
  });
});

describe('backpressure in the gateway', () => {
  const stack = useStack();

  it('sheds a subscriber that stops reading, with the default limits', async () => {
    const gateway = stack.ticker.gateway!;
    const slow = await rawConnect(stack.ticker.url, { key: ALL_KEY });
    slow.send('420["subscribe",{}]');
    await slow.next((p) => p.startsWith('430[{"ok":true'));
    slow.tcp.pause();
    // Straight onto the broadcast (not through the log): only the socket's buffer is under test.
    const big = { id: 'h', seq: 1, text: 'big', summary: CHUNK, topics: [], symbols: [] } as unknown as Headline;
    await flood(
      () => gateway.io.emit('headline', big),
      () => gateway.backpressure.stats().shed > 0,
    );
    expect(gateway.backpressure.stats().shed).toBe(1);
    expect(gateway.io.of('/').sockets.size).toBe(0);
    slow.ws.terminate();
  });
});
