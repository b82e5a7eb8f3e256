// The shipped deploy/nginx.conf in a real nginx, in front of two gateways: a long-polling
// session stays on one gateway (sticky by client address), so a polling-only client goes live
// and receives. The same config without the hash (round robin) breaks it: the witness that the
// test can fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as socketIo } from 'socket.io-client';
import { TickerClient, type SocketFactory, type TickerSocket } from '@headline-ticker/sdk';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { NGINX_PATH, NO_NGINX, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { useStack } from '../helpers/harness.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const config = testConfig();
let gateways: RunningTicker[] = [];
const running: RunningNginx[] = [];
const clients: TickerClient[] = [];

beforeAll(async () => {
  if (NGINX_PATH === null) return;
  gateways = [await stack.startTicker({ config }), await stack.startTicker({ config, role: 'gateway' })];
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(running.map((n) => n.stop()));
  for (const g of gateways) await g.close();
});

async function nginx(edit?: (site: string) => string): Promise<RunningNginx> {
  const n = await startNginx(
    gateways.map((g) => g.url),
    edit,
  );
  running.push(n);
  return n;
}

function client(
  url: string,
  topic: string,
  transports: ('polling' | 'websocket')[],
): { client: TickerClient; log: ClientLog; socket: () => TickerSocket } {
  let socket: TickerSocket | null = null;
  const io: SocketFactory = (u, options) => (socket = socketIo(u, options) as TickerSocket);
  const c = new TickerClient({ url, key: ALL_KEY, topics: [topic], limit: 0, io, socketOptions: { transports } });
  clients.push(c);
  return { client: c, log: new ClientLog(c), socket: () => socket! };
}

describe.skipIf(NGINX_PATH === null)(`deploy/nginx.conf in front of two gateways${NGINX_PATH === null ? ` (${NO_NGINX})` : ''}`, () => {
  it('routes a long-polling session to one gateway: a polling-only client goes live and receives', async () => {
    const n = await nginx();
    expect(n.conf).toMatch(/hash \$remote_addr consistent;/u);
    const { client: c, log } = client(n.url, 'sticky', ['polling']);
    await c.ready(5_000);
    for (const text of ['sticky one', 'sticky two']) expect((await postHeadline(n.url, { text, topics: ['sticky'] })).status).toBe(202);
    await log.text('sticky two');
    expect(log.texts).toEqual(['sticky one', 'sticky two']);
    expect(log.statuses.map((s) => s.status)).toEqual(['live']);
  });

  it('passes the WebSocket upgrade: the default client upgrades', async () => {
    const n = await nginx();
    const { client: c, socket } = client(n.url, 'upgrade', ['polling', 'websocket']);
    await c.ready(5_000);
    await until(() => socket().io.engine.transport.name === 'websocket', 'the transport upgraded');
  });

  it('witness: the same config with round robin instead of the hash breaks polling (the session is unknown on the other gateway)', async () => {
    const n = await nginx((site) => site.replace(/^\s*hash \$remote_addr consistent;\s*$/mu, ''));
    expect(n.conf).not.toMatch(/^\s*hash /mu);
    const { client: c, log } = client(n.url, 'round-robin', ['polling']);
    await expect(c.ready(5_000)).rejects.toThrow(/not live within/u);
    expect(log.statuses.some((s) => s.status === 'reconnecting')).toBe(true);
  }, 15_000);
});
