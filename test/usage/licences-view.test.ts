import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { buildEditor } from '../../server/editor/build.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import type { UsageReport } from '../../server/src/usage/usage-report.js';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, WIDGET_KEY, WIDGET_ORIGIN, testConfig } from '../helpers/config.js';
import { LOCAL_TIME_ZONE, launchChromium, noChromium } from '../helpers/editor-browser.js';
import { useStack } from '../helpers/harness.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const ADMIN_TOKEN = 'ed_usage_admin_token';
// A forged Origin header is anyone's text: it must show as text, never as markup.
const HOSTILE_ORIGIN = 'http://evil.test/<img src=x onerror="document.title=1">';

let ticker: RunningTicker;
let browser: Browser;
let page: Page;
const sockets: TestSocket[] = [];

function refusedHandshake(url: string, key: string, headers: Record<string, string>): Promise<void> {
  const s = io(url, { auth: { key }, transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
  return new Promise((resolve, reject) => {
    s.once('connect', () => (s.close(), reject(new Error('accepted'))));
    s.once('connect_error', () => (s.close(), resolve()));
  });
}

beforeAll(async () => {
  if (noChromium !== null) return;
  await buildEditor();
  ticker = await stack.startTicker({
    config: testConfig({
      editors: [
        { name: 'desk', token: EDITOR_TOKEN },
        { name: 'licensing', token: ADMIN_TOKEN, admin: true },
      ],
      keys: [
        { key: ALL_KEY, name: 'Acme Trading', topics: ['*'] },
        { key: WIDGET_KEY, name: 'Example widget', topics: ['*'], origins: [WIDGET_ORIGIN] },
      ],
      usage: { flushSeconds: 60 },
    }),
  });
  for (let i = 0; i < 2; i++) sockets.push(await connect(ticker.url, WIDGET_KEY, { origin: WIDGET_ORIGIN }));
  sockets.push(await connect(ticker.url, ALL_KEY));
  const recs = sockets.map((s) => new Recorder(s));
  for (const s of sockets) await subscribeOk(s, { limit: 0 });
  for (let i = 0; i < 3; i++) expect((await postHeadline(ticker.url, { text: `licences ${i}`, topics: ['energy'] })).status).toBe(202);
  for (const r of recs) await r.count(3);
  await refusedHandshake(ticker.url, WIDGET_KEY, { origin: 'http://pirate.test', referer: 'http://pirate.test/copy.html' });
  await refusedHandshake(ticker.url, WIDGET_KEY, { origin: 'http://pirate.test' });
  await refusedHandshake(ticker.url, WIDGET_KEY, { origin: HOSTILE_ORIGIN });
  await ticker.usage!.flush();
  browser = await launchChromium();
  page = await (await browser.newContext({ timezoneId: LOCAL_TIME_ZONE })).newPage();
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await ticker?.close();
});

async function signIn(token: string): Promise<void> {
  await page.goto(`${ticker.url}/healthz`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${ticker.url}/editor`);
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who').filter({ hasText: 'Signed in as' }).waitFor();
}

describe("the console's Licences view", () => {
  it.skipIf(noChromium !== null)(`shows admins the figures per key, the refused origins and the chart ${noChromium ?? ''}`, async () => {
    const api = (await (
      await fetch(`${ticker.url}/api/usage`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as UsageReport;
    await signIn(ADMIN_TOKEN);
    const section = page.getByRole('region', { name: /Licences/u });
    await section.waitFor();
    const widget = section.locator('tr.key', { hasText: 'Example widget' });
    const cells = async (row: typeof widget) => ({
      now: await row.locator('td.now').textContent(),
      peak: await row.locator('td.peak').textContent(),
      deliveries: await row.locator('td.deliveries').textContent(),
    });
    expect(await cells(widget)).toEqual({ now: '2', peak: '2', deliveries: '6' });
    expect(await cells(section.locator('tr.key', { hasText: 'Acme Trading' }))).toEqual({ now: '1', peak: '1', deliveries: '3' });
    // the per-origin line under the widget key
    expect(await cells(section.locator('tr.origin-row', { hasText: WIDGET_ORIGIN }))).toEqual({ now: '2', peak: '2', deliveries: '6' });
    // refused origins with counts and the referring page, most frequent first
    const refused = widget.locator('td.refused');
    expect(await refused.locator('.refused-total').textContent()).toBe('3 refused');
    const items = await refused.locator('li').allTextContents();
    expect(items[0]).toBe('http://pirate.test 2× from http://pirate.test/copy.html');
    expect(items).toContain(`${HOSTILE_ORIGIN} 1×`);
    expect(await page.title()).not.toBe('1');
    expect(await page.locator('img').count()).toBe(0);
    // the chart: 24 hourly bars, the last one this hour's peak, with a text alternative
    const chart = widget.getByRole('img');
    expect(await chart.getAttribute('aria-label')).toMatch(/highest 2 in the hour from \d\d:00 UTC/u);
    const bars = chart.locator('rect.bar');
    expect(await bars.count()).toBe(24);
    expect(await bars.last().getAttribute('data-viewers')).toBe('2');
    expect(Number(await bars.last().getAttribute('height'))).toBeGreaterThan(20);
    // the same figures as the API
    const w = api.keys.find((k) => k.name === 'Example widget')!;
    expect([w.viewersNow, w.peakViewers, w.deliveries, w.refused.total]).toEqual([2, 2, 6, 3]);
  });

  it.skipIf(noChromium !== null)(`is not shown to an editor without admin ${noChromium ?? ''}`, async () => {
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/usage'));
    await signIn(EDITOR_TOKEN);
    // the console is up; the usage request was answered 403 and the section stays hidden
    expect((await answered).status()).toBe(403);
    expect(await page.locator('#licences').isHidden()).toBe(true);
    expect(await page.locator('table.licences').count()).toBe(0);
  });
});
