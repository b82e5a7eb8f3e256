// A client on HTTP long-polling (what a proxy that blocks WebSocket forces) is served by
// Socket.IO alone: Express must never answer /socket.io/ too (that crashed the process with
// ERR_HTTP_HEADERS_SENT, uncaught, from three plain HTTP requests and no credentials).
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { waitFor } from '../helpers/wait.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

describe('long-polling clients', () => {
  let node: TickerProcess;

  beforeAll(async () => {
    node = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix, TICKER_CONFIG: writeConfigFile() });
  });
  afterAll(async () => {
    await node?.kill();
  });

  const alive = async () => {
    expect(node.child.exitCode).toBeNull();
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  };

  it('three plain HTTP requests on the polling transport do not bring the process down', async () => {
    const base = `${node.url}/socket.io/?EIO=4&transport=polling`;
    const open = await fetch(base);
    expect(open.status).toBe(200);
    const sid = /"sid":"([^"]+)"/u.exec(await open.text())?.[1];
    expect(sid).toBeDefined();
    const post = await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40{"key":"nope"}', headers: { 'content-type': 'text/plain' } });
    expect(post.status).toBe(200);
    expect(await post.text()).toBe('ok');
    const poll = await fetch(`${base}&sid=${sid}`);
    expect(poll.status).toBe(200);
    expect(await poll.text()).toContain('unauthorized');
    await alive();
    expect(node.output()).not.toContain('ERR_HTTP_HEADERS_SENT');
  });

  it('a polling-only socket.io-client connects, subscribes and receives a live headline', async () => {
    const socket: TestSocket = io(node.url, { auth: { key: ALL_KEY }, transports: ['polling'], reconnection: false, forceNew: true });
    try {
      await waitFor(socket, 'connect');
      expect(socket.io.engine.transport.name).toBe('polling');
      const ack = await subscribeOk(socket, { topics: ['energy'] });
      const next = waitFor<Headline>(socket, 'headline');
      expect((await postHeadline(node.url, { text: 'Polled headline', topics: ['energy'] })).status).toBe(202);
      const h = await next;
      expect(h.text).toBe('Polled headline');
      expect(h.seq).toBeGreaterThan(ack.seq);
      await alive();
    } finally {
      socket.close();
    }
  });
});
