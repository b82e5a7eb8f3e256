// Bare transport sessions (an engine.io handshake with no Socket.IO CONNECT, so no credentials
// checked yet) are capped per address too, and one that never sends its CONNECT is closed
// within seconds: thousands of them cannot be held open from one address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { connect, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startInProcess } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

const SESSIONS = 30;
const CONNECT_TIMEOUT_MS = 5000;

/** engine.io's polling handshake, as any HTTP client can send it: the status and body. */
async function bareHandshake(url: string, forwardedFor?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(
    `${url}/socket.io/?EIO=4&transport=polling`,
    forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {},
  );
  return { status: res.status, body: await res.text() };
}

describe('bare engine.io sessions per address', () => {
  let ticker: RunningTicker;
  const engineClients = () => (ticker.gateway!.io.engine as unknown as { clientsCount: number }).clientsCount;

  beforeAll(async () => {
    ticker = await startInProcess(stack.redis.url, {
      prefix: stack.prefix,
      config: testConfig({ limits: { socketsPerAddress: 20, sessionsPerAddress: SESSIONS, connectTimeoutMs: CONNECT_TIMEOUT_MS } }),
    });
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('beyond the cap a handshake is refused (403, too_many_connections), and nothing more is held', async () => {
    // all at once, well within connectTimeoutMs: no session has been dropped to free a place
    const answers = await Promise.all(Array.from({ length: 200 }, () => bareHandshake(ticker.url)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(SESSIONS);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(200 - SESSIONS);
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.body).toContain('too_many_connections');
    }
    expect(engineClients()).toBeLessThanOrEqual(SESSIONS);
  });

  it('a session that never sends its CONNECT is closed after connectTimeoutMs, and its place comes back', async () => {
    await until(() => engineClients() === 0, 'the bare sessions are closed', CONNECT_TIMEOUT_MS + 3000, 100);
    expect((await bareHandshake(ticker.url)).status).toBe(200);
  });

  it('another address is not affected (X-Forwarded-For from a trusted proxy)', async () => {
    await until(() => engineClients() === 0, 'the bare sessions are closed', CONNECT_TIMEOUT_MS + 3000, 100);
    for (let i = 0; i < SESSIONS; i++) expect((await bareHandshake(ticker.url, '203.0.113.9')).status).toBe(200);
    expect((await bareHandshake(ticker.url, '203.0.113.9')).status).toBe(403);
    expect((await bareHandshake(ticker.url, '203.0.113.10')).status).toBe(200);
  });

  it('a real client connects and is served as before; sessions of connected sockets stay open', async () => {
    await until(() => engineClients() === 0, 'the bare sessions are closed', CONNECT_TIMEOUT_MS + 3000, 100);
    const sockets: TestSocket[] = [];
    try {
      for (let i = 0; i < 5; i++) sockets.push(await connect(ticker.url, ALL_KEY));
      for (const s of sockets) await subscribeOk(s, {});
      await new Promise((r) => setTimeout(r, CONNECT_TIMEOUT_MS + 500)); // past connectTimeoutMs: a connected socket is not closed by it
      expect(sockets.every((s) => s.connected)).toBe(true);
    } finally {
      for (const s of sockets) s.close();
    }
  });
});
