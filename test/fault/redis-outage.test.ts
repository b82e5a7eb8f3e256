import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_KEY } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { usePrivateStack } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

let socket: TestSocket;

const stack = usePrivateStack();

beforeAll(async () => {
  socket = await connect(stack.ticker.url, ALL_KEY);
});
afterAll(async () => {
  socket?.close();
});

const ready = async () => (await fetch(`${stack.ticker.url}/readyz`)).status;

describe('while Redis is down', () => {
  it('readiness is 503, POST is 503 (nothing half-accepted), sockets stay open; all resumes when it is back', async () => {
    const rec = new Recorder(socket);
    let reconnects = 0;
    socket.io.on('reconnect_attempt', () => reconnects++);
    await subscribeOk(socket, { limit: 0 });
    expect((await postHeadline(stack.ticker.url, { text: 'before the outage' })).status).toBe(202);
    await rec.count(1);

    await stack.redis.server.kill();
    await until(async () => (await ready()) === 503, 'readyz turns 503');
    const refused = await postHeadline(stack.ticker.url, { text: 'during the outage' });
    expect(refused.status).toBe(503);
    expect(refused.json.error?.code).toBe('unavailable');
    const retryAfter = await fetch(`${stack.ticker.url}/api/headlines`, {
      method: 'POST',
      headers: { authorization: 'Bearer ed_test_token_1', 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'during the outage' }),
    }).then((r) => r.headers.get('retry-after'));
    expect(retryAfter).toBe('1');
    // A subscribe meanwhile gets a clear error, not a hang.
    const probe = await connect(stack.ticker.url, ALL_KEY);
    const ack = await probe.timeout(10_000).emitWithAck('subscribe', { limit: 5 });
    expect(ack).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    probe.close();
    expect(socket.connected).toBe(true);

    await stack.redis.server.start();
    await until(async () => (await ready()) === 200, 'readyz turns 200 again', 20_000);
    // The ingest queue's connection may come back a moment after readiness; a desk retries 503s.
    await until(
      async () => (await postHeadline(stack.ticker.url, { text: 'after the outage' })).status === 202,
      'POST accepted again',
      20_000,
    );
    const got = await rec.count(2);
    expect(got.map((h) => h.text)).toEqual(['before the outage', 'after the outage']);
    expect(got.map((h) => h.seq)).toEqual([got[0]!.seq, got[0]!.seq + 1]);
    expect(socket.connected).toBe(true);
    expect(reconnects).toBe(0);
  });
});
