// WebSocket missing, refused or stalled on the way: the SDK (Node) and the widget (Chromium)
// still show the first live headline within 5 s, over HTTP long-polling. Each proxy sits in
// front of one real in-process ticker (test/helpers/upgrade-proxy.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { io as socketIo } from 'socket.io-client';
import { TickerClient, type SocketFactory, type TickerSocket } from '@headline-ticker/sdk';
import type { RunningTicker } from '../../server/src/ticker.js';
import { buildWidget } from '../../widgets/scripts/build.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { startUpgradeProxy, type UpgradeMode, type UpgradeProxy } from '../helpers/upgrade-proxy.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const FIRST_HEADLINE_MS = 5_000;
const WIDGET_KEY = 'wgt_transport_test';

let ticker: RunningTicker;
let host: HostServer;
const proxies: UpgradeProxy[] = [];
const clients: TickerClient[] = [];

const MODES: [string, UpgradeMode][] = [
  ['refuses the Upgrade with 403', { kind: 'reject', status: 403 }],
  ['refuses the Upgrade with 400', { kind: 'reject', status: 400 }],
  ['never answers the Upgrade', { kind: 'stall' }],
];

async function proxy(mode: UpgradeMode): Promise<UpgradeProxy> {
  const p = await startUpgradeProxy(ticker.url, mode);
  proxies.push(p);
  return p;
}

async function publish(text: string, topic: string): Promise<void> {
  const res = await postHeadline(ticker.url, { text, topics: [topic] });
  expect(res.status).toBe(202);
}

/** An SDK client whose socket.io socket the test can inspect (which transport it ended on). */
function sdkClient(
  url: string,
  topic: string,
  transports?: ('polling' | 'websocket')[],
): { client: TickerClient; log: ClientLog; socket: () => TickerSocket } {
  let socket: TickerSocket | null = null;
  const io: SocketFactory = (u, options) => (socket = socketIo(u, options) as TickerSocket);
  const client = new TickerClient({
    url,
    key: ALL_KEY,
    topics: [topic],
    limit: 0,
    io,
    ...(transports ? { socketOptions: { transports } } : {}),
  });
  clients.push(client);
  return { client, log: new ClientLog(client), socket: () => socket! };
}

beforeAll(async () => {
  host = await startHostServer();
  const config = testConfig({
    editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
    keys: [
      { key: ALL_KEY, name: 'all topics', topics: ['*'] },
      { key: WIDGET_KEY, name: 'host page', topics: ['*'], origins: [host.origin] },
    ],
  });
  ticker = await stack.startTicker({ config });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(proxies.map((p) => p.close()));
  await ticker?.close();
  await host?.close();
});

describe('the proxies behave as the proxies they stand for', () => {
  it('passing the Upgrade: the SDK upgrades to WebSocket after the polling handshake', async () => {
    const p = await proxy({ kind: 'pass' });
    const { client, log, socket } = sdkClient(p.url, 'pass');
    await client.ready(FIRST_HEADLINE_MS);
    await publish('through a friendly proxy', 'pass');
    await log.text('through a friendly proxy');
    await until(() => socket().io.engine.transport.name === 'websocket', 'the transport upgraded');
    expect(p.upgrades).toBeGreaterThanOrEqual(1);
  });

  it('refusing: a websocket-only client is refused, it never goes live', async () => {
    const p = await proxy({ kind: 'reject', status: 403 });
    const { log } = sdkClient(p.url, 'ws-only', ['websocket']);
    await log.status('reconnecting');
    expect(log.statuses.at(-1)).toMatchObject({ reason: 'connect_failed' });
    expect(log.statuses.some((s) => s.status === 'live')).toBe(false);
    expect(p.upgrades).toBeGreaterThanOrEqual(1);
  });

  it('stalling: a websocket-only client hangs (this is why polling goes first)', async () => {
    const p = await proxy({ kind: 'stall' });
    const { client } = sdkClient(p.url, 'ws-only', ['websocket']);
    await expect(client.ready(FIRST_HEADLINE_MS)).rejects.toThrow(/not live within/u);
    expect(client.status).toBe('connecting');
    expect(p.upgrades).toBeGreaterThanOrEqual(1);
  }, 15_000);
});

describe('the SDK in Node behind a proxy that blocks WebSocket', () => {
  it.each(MODES)('a proxy that %s: live and the first headline within 5 s, on polling', async (_name, mode) => {
    const p = await proxy(mode);
    const topic = `sdk-${mode.kind}-${p.url.split(':').at(-1)}`;
    const started = Date.now();
    const { client, log, socket } = sdkClient(p.url, topic);
    await client.ready(FIRST_HEADLINE_MS);
    await publish('first over polling', topic);
    await log.text('first over polling', FIRST_HEADLINE_MS);
    expect(Date.now() - started).toBeLessThan(FIRST_HEADLINE_MS);
    // The upgrade was tried and failed (or is still waiting): the client stays on polling and works.
    await until(() => p.upgrades >= 1, 'the client tried the upgrade');
    expect(socket().io.engine.transport.name).toBe('polling');
    await publish('second over polling', topic);
    await log.text('second over polling');
    expect(log.texts).toEqual(['first over polling', 'second over polling']);
    expect(log.errors).toEqual([]);
  });
});

describe.skipIf(!hasChromium)(
  `the widget in Chromium behind a proxy that blocks WebSocket${hasChromium ? '' : ` (${NO_CHROMIUM})`}`,
  () => {
    let browser: Browser;
    beforeAll(async () => {
      [browser] = await Promise.all([launchChromium(), buildWidget()]);
    });
    afterAll(async () => {
      await browser?.close();
    });

    /** Opens a host page whose widget (script and connection) goes through `server`; resolves once the headline shows. */
    async function firstHeadline(
      server: string,
      topic: string,
      options: { noWebSocket?: boolean } = {},
    ): Promise<{ page: Page; elapsed: number; websockets: number }> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      let websockets = 0;
      page.on('websocket', () => websockets++);
      if (options.noWebSocket)
        await page.addInitScript(() =>
          Object.defineProperty(window, 'WebSocket', { value: undefined, configurable: true, writable: true }),
        );
      const url = host.page(
        `/${topic}.html`,
        `<!doctype html><meta charset="utf-8"><title>host</title><body>
       <headline-ticker id="w" key="${WIDGET_KEY}" topics="${topic}" limit="5"></headline-ticker>
       <script src="${server}/widget.js" async></script>`,
      );
      const started = Date.now();
      await page.goto(url);
      await page.waitForFunction(() => document.querySelector<HTMLElement & { status?: string }>('#w')?.status === 'live', undefined, {
        timeout: FIRST_HEADLINE_MS,
      });
      await publish(`widget first on ${topic}`, topic);
      await page.waitForFunction(
        (t) => document.querySelector('#w')?.shadowRoot?.textContent?.includes(t) === true,
        `widget first on ${topic}`,
        {
          timeout: FIRST_HEADLINE_MS,
        },
      );
      const elapsed = Date.now() - started;
      expect(errors).toEqual([]);
      return { page, elapsed, websockets };
    }

    it.each(MODES)('a proxy that %s: the first live headline shows within 5 s', async (_name, mode) => {
      const p = await proxy(mode);
      const { page, elapsed } = await firstHeadline(p.url, `widget-${mode.kind}-${p.url.split(':').at(-1)}`);
      expect(elapsed).toBeLessThan(FIRST_HEADLINE_MS);
      await until(() => p.upgrades >= 1, 'the browser tried the upgrade');
      await page.close();
    });

    it('four widgets with one key share one polling session: one handshake, every widget live', async () => {
      const p = await proxy({ kind: 'reject', status: 403 });
      const page = await browser.newPage();
      const ids = ['a', 'b', 'c', 'd'];
      await page.goto(
        host.page(
          '/shared.html',
          `<!doctype html><meta charset="utf-8"><body>
         ${ids.map((id) => `<headline-ticker id="${id}" key="${WIDGET_KEY}" topics="shared-${id}" limit="3"></headline-ticker>`).join('')}
         <script src="${p.url}/widget.js" async></script>`,
        ),
      );
      for (const id of ids) {
        await page.waitForFunction((sel) => document.querySelector<HTMLElement & { status?: string }>(sel)?.status === 'live', `#${id}`);
      }
      await publish('for widget d', 'shared-d');
      await page.waitForFunction(() => document.querySelector('#d')?.shadowRoot?.textContent?.includes('for widget d') === true);
      // A handshake is a polling request without a session id.
      const handshakes = p.paths.filter((path) => path.startsWith('/socket.io/') && !path.includes('sid='));
      expect(handshakes).toHaveLength(1);
      await page.close();
    });

    it('a browser without WebSocket: the first live headline shows within 5 s', async () => {
      const p = await proxy({ kind: 'pass' });
      const { page, elapsed, websockets } = await firstHeadline(p.url, 'widget-no-websocket', { noWebSocket: true });
      expect(elapsed).toBeLessThan(FIRST_HEADLINE_MS);
      expect(websockets).toBe(0);
      expect(p.upgrades).toBe(0);
      await page.close();
    });
  },
);
