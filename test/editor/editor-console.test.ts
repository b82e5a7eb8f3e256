import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { buildEditor } from '../../server/editor/build.js';
import type { AuditEntry } from '@headline-ticker/sdk/protocol';
import { Recorder, connect, postHeadline, subscribeOk, type TestSocket } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { LOCAL_TIME_ZONE, launchChromium, localDateTime, noChromium } from '../helpers/editor-browser.js';
import { useStack } from '../helpers/harness.js';
import { until } from '../helpers/wait.js';

const NIGHT_TOKEN = 'ed_test_night_desk';

let browser: Browser;
let context: BrowserContext;
/** One tab for the file, as an editor keeps one open: a new renderer per test costs seconds on a busy machine. */
let page: Page;
let desk: TestSocket;
let atDesk: Recorder;

const stack = useStack({
  ticker: {
    config: testConfig({
      editors: [
        { name: 'test-desk', token: EDITOR_TOKEN },
        { name: 'night-desk', token: NIGHT_TOKEN },
      ],
    }),
  },
});

beforeAll(async () => {
  if (noChromium !== null) return;
  await buildEditor();
  browser = await launchChromium();
  context = await browser.newContext({ timezoneId: LOCAL_TIME_ZONE });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  desk = await connect(stack.ticker.url, ALL_KEY);
  atDesk = new Recorder(desk);
  await subscribeOk(desk, { limit: 0 });
});

afterAll(async () => {
  desk?.close();
  await browser?.close();
});

beforeEach(async () => {
  if (noChromium !== null) return;
  // Each test starts signed out, with nothing remembered: the tab's storage is cleared from a
  // same-origin page that runs no console script (which could sign in again meanwhile).
  await page.unrouteAll();
  await page.goto(`${stack.ticker.url}/healthz`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${stack.ticker.url}/editor`);
});

/** Resolves with the first headline at the desk (since the call) that `match`es. */
async function arrives(match: (h: Headline) => boolean, timeoutMs = 10_000): Promise<Headline> {
  let found: Headline | undefined;
  await until(() => (found = atDesk.received.find(match)) !== undefined, 'a matching headline reached the desk', timeoutMs);
  return found!;
}

/** Publishes a marker over REST and waits for it at the desk: everything queued before it is out. */
async function marker(extra: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<Headline> {
  const text = `marker ${Math.random().toString(36).slice(2)}`;
  expect((await postHeadline(stack.ticker.url, { text, ...extra })).status).toBe(202);
  return arrives((h) => h.text === text, timeoutMs);
}

async function audit(query = ''): Promise<{ status: number; entries: AuditEntry[] }> {
  const res = await fetch(`${stack.ticker.url}/api/audit${query}`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } });
  return { status: res.status, entries: ((await res.json()) as { entries: AuditEntry[] }).entries };
}

async function signedIn(token = EDITOR_TOKEN, name = 'test-desk'): Promise<Page> {
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#who', { hasText: `Signed in as ${name}` }).waitFor();
  await page.locator('#live', { hasText: 'live' }).waitFor();
  expect(await page.getByLabel('Token', { exact: true }).isVisible()).toBe(false);
  return page;
}

const row = (_page: Page, text: string) => page.locator('#recent li', { has: page.locator('.text', { hasText: text }) });

describe.skipIf(noChromium !== null)(`editor console in Chromium ${noChromium ?? ''}`, () => {
  it('refuses a wrong token visibly, keeps it out of the URL and storage, and shows no console', async () => {
    await page.getByLabel('Token', { exact: true }).fill('ed_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'refused' });
    await refusal.waitFor();
    expect(await refusal.isVisible()).toBe(true);
    expect(await page.locator('#console').isVisible()).toBe(false);
    expect(page.url()).toBe(`${stack.ticker.url}/editor`);
    expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('ed_not_a_real_token');
    // An API key is not an editor token either.
    await page.getByLabel('Token', { exact: true }).fill(ALL_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await refusal.waitFor();
    expect(await page.locator('#console').isVisible()).toBe(false);
  });

  it('publishes with urgency, topics and symbols by keyboard (Ctrl+Enter); the desk gets those fields', async () => {
    await signedIn();
    expect(await page.evaluate(() => sessionStorage.getItem('headline-ticker.editor.token'))).toBe(EDITOR_TOKEN);
    // A reload keeps the session (the tab's sessionStorage), with no token in the URL.
    await page.reload();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    expect(await page.locator('#who').textContent()).toBe('Signed in as test-desk');
    await page.getByLabel('Headline', { exact: true }).fill('  Gazprom   raises\tgas exports 🚀 ');
    expect(await page.locator('#preview').textContent()).toMatch(/^\d\d\/\d\d \d\d:\d\d {2}Gazprom raises gas exports 🚀$/u);
    expect(await page.locator('#text-count').textContent()).toBe('28 / 300');
    await page.getByLabel('Topics', { exact: true }).fill('energy, Politics');
    await page.getByLabel('Symbols', { exact: true }).fill('gazp');
    await page.getByLabel('Urgency', { exact: true }).focus();
    await page.getByLabel('Urgency', { exact: true }).selectOption('flash');
    await page.getByLabel('Headline', { exact: true }).press('Control+Enter');
    const h = await arrives((x) => x.text === 'Gazprom raises gas exports 🚀');
    expect(h).toMatchObject({
      version: 1,
      status: 'published',
      urgency: 'flash',
      topics: ['energy', 'politics'],
      symbols: ['GAZP'],
      source: 'desk',
    });
    // The live list shows it with its status, version and who published it (from the audit).
    await row(page, 'Gazprom raises').locator('.meta', { hasText: 'published · v1 · flash' }).waitFor();
    await row(page, 'Gazprom raises').locator('.meta', { hasText: 'published by test-desk' }).waitFor();
    expect(await page.getByLabel('Headline', { exact: true }).inputValue()).toBe('');
  });

  it('corrects a published headline: version 2 at the desk, same id', async () => {
    await signedIn();
    await page.getByLabel('Headline', { exact: true }).fill('Central bank holds rate at 16%');
    await page.getByRole('button', { name: 'Publish' }).click();
    const v1 = await arrives((x) => x.text === 'Central bank holds rate at 16%');
    await row(page, 'Central bank holds').getByRole('button', { name: 'Correct' }).click();
    expect(await page.getByLabel('Headline', { exact: true }).inputValue()).toBe('Central bank holds rate at 16%');
    await page.getByLabel('Headline', { exact: true }).fill('Central bank holds rate at 16.5%');
    await page.getByRole('button', { name: 'Save correction' }).click();
    const v2 = await arrives((x) => x.id === v1.id && x.version === 2);
    expect(v2).toMatchObject({ status: 'corrected', text: 'Central bank holds rate at 16.5%', publishedAt: v1.publishedAt });
    expect(v2.seq).toBeGreaterThan(v1.seq);
    await row(page, '16.5%').locator('.meta', { hasText: 'corrected · v2' }).waitFor();
    await row(page, '16.5%').locator('.meta', { hasText: 'corrected by test-desk' }).waitFor();
  });

  it('withdraws after an in-page confirmation; the desk gets it as withdrawn', async () => {
    await signedIn();
    await page.getByLabel('Headline', { exact: true }).fill('Unconfirmed report of merger');
    await page.getByRole('button', { name: 'Publish' }).click();
    const h = await arrives((x) => x.text === 'Unconfirmed report of merger');
    await row(page, 'Unconfirmed report').getByRole('button', { name: 'Withdraw' }).click();
    const dialog = page.getByRole('dialog', { name: 'Withdraw this headline?' });
    await dialog.waitFor();
    expect(await dialog.locator('#confirm-text').textContent()).toBe('Unconfirmed report of merger');
    // Escape keeps it: nothing is sent.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await row(page, 'Unconfirmed report').getByRole('button', { name: 'Withdraw' }).click();
    await dialog.getByRole('button', { name: 'Yes, withdraw' }).click();
    const w = await arrives((x) => x.id === h.id && x.status === 'withdrawn');
    expect(w.version).toBe(2);
    expect(atDesk.received.filter((x) => x.id === h.id)).toHaveLength(2);
    await row(page, 'Unconfirmed report').locator('.meta', { hasText: 'withdrawn · v2' }).waitFor();
  });

  it('works by keyboard alone: sign in, write, publish, withdraw', async () => {
    // The token field has focus on opening; Enter signs in.
    await page.keyboard.type(EDITOR_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#live', { hasText: 'live' }).waitFor();
    // Focus lands in Headline; Tab walks the fields in order.
    await page.keyboard.type('Typed without a mouse');
    for (const name of ['Summary', 'URL', 'Topics']) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(name === 'URL' ? 'url' : name.toLowerCase());
    }
    await page.keyboard.type('business');
    await page.keyboard.press('Control+Enter');
    const h = await arrives((x) => x.text === 'Typed without a mouse');
    expect(h.topics).toEqual(['business']);
    // Withdraw: focus the row's button, Enter, then confirm in the dialog by keyboard.
    await row(page, 'Typed without a mouse').getByRole('button', { name: 'Withdraw' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Withdraw this headline?' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('No, keep it');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Yes, withdraw');
    await page.keyboard.press('Enter');
    await arrives((x) => x.id === h.id && x.status === 'withdrawn');
  });

  it('a blank headline publishes nothing and the server error shows next to the field', async () => {
    await signedIn();
    const seq = await stack.currentSeq();
    await page.getByLabel('Headline', { exact: true }).fill('   \t ');
    await page.getByLabel('URL', { exact: true }).fill('javascript:alert(1)');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#text-error', { hasText: 'must not be empty' }).waitFor();
    await page.locator('#url-error', { hasText: 'http(s)' }).waitFor();
    expect(await page.getByLabel('Headline', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await stack.currentSeq()).toBe(seq);
    expect(await stack.redis.client.zcard(stack.keys.queue('ingest', 'delayed'))).toBe(0);
  });

  it('a double click, or a retry after a network error, publishes once', async () => {
    await signedIn();
    await page.getByLabel('Headline', { exact: true }).fill('Double-clicked flash');
    await page.getByRole('button', { name: 'Publish' }).dblclick();
    await page.locator('#form-status', { hasText: /^Published \(/ }).waitFor();

    // The answer is lost after the server took the request: the editor sends again.
    let requests = 0;
    await page.route('**/api/headlines', async (route) => {
      requests++;
      await route.fetch();
      await route.abort('failed');
    });
    await page.getByLabel('Headline', { exact: true }).fill('Flash whose answer was lost');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#form-error', { hasText: 'Network error' }).waitFor();
    await page.unroute('**/api/headlines');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#form-status', { hasText: /^Published \(/ }).waitFor();
    expect(requests).toBe(1);

    await marker();
    const doubled = atDesk.received.filter((x) => x.text === 'Double-clicked flash');
    const lost = atDesk.received.filter((x) => x.text === 'Flash whose answer was lost');
    expect(doubled).toHaveLength(1);
    expect(lost).toHaveLength(1);
    for (const h of [...doubled, ...lost]) {
      const { entries } = await audit(`?id=${h.id}`);
      expect(entries).toEqual([expect.objectContaining({ id: h.id, action: 'publish', editor: 'test-desk', seq: h.seq, version: 1 })]);
    }
  });

  it('a scheduled headline shows its time and, cancelled, never goes out', async () => {
    await signedIn();
    const at = new Date(Math.floor((Date.now() + 4000) / 1000) * 1000);
    await page.getByLabel('Headline', { exact: true }).fill('Embargoed results, cancelled');
    await page.getByLabel('Embargo until', { exact: true }).fill(localDateTime(at));
    expect(await page.locator('#preview').textContent()).toMatch(/ {2}Embargoed results, cancelled$/u);
    await page.getByRole('button', { name: 'Publish' }).click();
    const item = page.locator('#scheduled li', { hasText: 'Embargoed results, cancelled' });
    await item.waitFor();
    expect(await item.locator('time').getAttribute('datetime')).toBe(at.toISOString());
    await item.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#form-status', { hasText: /^Cancelled; it will not go out/ }).waitFor();
    expect(await item.count()).toBe(0);

    // A marker embargoed a second later has gone out, so the cancelled one's time has passed.
    await marker({ embargoUntil: new Date(at.getTime() + 1000).toISOString() }, 15_000);
    expect(Date.now()).toBeGreaterThan(at.getTime());
    expect(atDesk.received.filter((x) => x.text === 'Embargoed results, cancelled')).toEqual([]);
    const { entries } = await audit('?limit=10');
    const cancel = entries.find((e) => e.action === 'cancel');
    expect(cancel).toEqual({ id: expect.any(String), action: 'cancel', editor: 'test-desk', at: expect.any(String) });
  });

  it('audit API: editors only; entries carry the editor names, newest first', async () => {
    expect((await fetch(`${stack.ticker.url}/api/audit`)).status).toBe(401);
    expect((await fetch(`${stack.ticker.url}/api/audit`, { headers: { authorization: `Bearer ${ALL_KEY}` } })).status).toBe(401);
    expect((await fetch(`${stack.ticker.url}/api/audit?limit=0`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } })).status).toBe(
      400,
    );
    expect((await fetch(`${stack.ticker.url}/api/audit?id=../x`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } })).status).toBe(
      400,
    );

    await signedIn(NIGHT_TOKEN, 'night-desk');
    await page.getByLabel('Headline', { exact: true }).fill('Night desk flash');
    await page.getByRole('button', { name: 'Publish' }).click();
    const h = await arrives((x) => x.text === 'Night desk flash');
    await row(page, 'Night desk flash').locator('.meta', { hasText: 'published by night-desk' }).waitFor();

    const { status, entries } = await audit('?limit=50');
    expect(status).toBe(200);
    expect(entries[0]).toEqual({ id: h.id, action: 'publish', editor: 'night-desk', at: expect.any(String), seq: h.seq, version: 1 });
    expect(new Set(entries.map((e) => e.editor))).toEqual(new Set(['night-desk', 'test-desk']));
    expect(new Set(entries.map((e) => e.action))).toEqual(new Set(['publish', 'correct', 'withdraw', 'cancel']));
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });
});
