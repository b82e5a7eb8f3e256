import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildEditor } from '../../server/editor/build.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { buildWidget } from '../../widgets/scripts/build.js';
import { postHeadline } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { LOCAL_TIME_ZONE, launchChromium, noChromium } from '../helpers/editor-browser.js';
import { useStack } from '../helpers/harness.js';
import { axeViolations } from './axe.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

// The demo page and the editor console as an auditor (axe-core) and a keyboard-only editor meet
// them, against a real server and Redis.

const ADMIN_TOKEN = 'ed_a11y_admin_token';

let ticker: RunningTicker;
let browser: Browser;
let page: Page;

const active = () =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLElement | null;
    return {
      id: a?.id ?? '',
      tag: a?.tagName ?? '',
      text: a?.tagName === 'BUTTON' ? (a.textContent ?? '') : '',
      row: a?.closest('li')?.querySelector('.text')?.textContent ?? null,
      outline: a === null || a === document.body ? 'none' : getComputedStyle(a).outlineStyle,
    };
  });

/** Presses Tab (or Shift+Tab) until focus is where `want` says: the way a keyboard user gets there. */
async function tabTo(want: (a: Awaited<ReturnType<typeof active>>) => boolean, what: string, back = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (want(await active())) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${what}; focus is on ${JSON.stringify(await active())}`);
}

const rowMeta = (text: string, meta: string) =>
  page
    .locator('#recent li', { has: page.locator('.text', { hasText: text }) })
    .locator('.meta', { hasText: meta })
    .waitFor();

async function signIn(): Promise<void> {
  await page.getByLabel('Token', { exact: true }).fill(EDITOR_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#live', { hasText: 'live' }).waitFor();
}

describe.skipIf(noChromium !== null)(`demo page and editor console, accessibility in Chromium ${noChromium ?? ''}`, () => {
  beforeAll(async () => {
    await Promise.all([buildEditor(), buildWidget()]);
    ticker = await stack.startTicker({
      // A change whose text contains POISON fails in the worker; past this horizon it is failed for
      // good and listed under "Failed (not published)".
      retryHorizonMs: 1500,
      faultFailTextContaining: 'POISON',
      config: testConfig({
        editors: [
          { name: 'test-desk', token: EDITOR_TOKEN },
          { name: 'licensing', token: ADMIN_TOKEN, admin: true },
        ],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: 'wgt_dev_demo_page', name: 'demo', topics: ['*'] },
        ],
      }),
    });
    for (const [text, urgency, url] of [
      ['Central bank holds rate at 16%', 'routine', 'https://wire.example.com/a/1'],
      ['ارتفاع أسعار النفط بعد قرار أوبك+', 'urgent', undefined],
      ['<img src=x onerror="window.__pwned=1"> Brent rises', 'bulletin', undefined],
      ['Oil jumps 5%', 'flash', 'https://wire.example.com/a/2'],
    ] as const) {
      expect((await postHeadline(ticker.url, { text, urgency, topics: ['energy'], ...(url ? { url } : {}) })).status).toBe(202);
    }
    browser = await launchChromium();
    const context = await browser.newContext({ timezoneId: LOCAL_TIME_ZONE, locale: 'en-US', viewport: { width: 1000, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await ticker?.close();
  });

  it('axe: the demo page, with both widgets live, has no violations', async () => {
    await page.goto(`${ticker.url}/`);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('headline-ticker')].every((w) => (w.shadowRoot?.querySelectorAll('[part=list] > li').length ?? 0) >= 4),
    );
    expect(await axeViolations(page)).toEqual([]);
  });

  it('axe: the editor signed out, signed in, correcting, and with the confirm dialog open has no violations', async () => {
    await page.goto(`${ticker.url}/editor`);
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // A refused token shows its error: still none.
    await page.getByLabel('Token', { exact: true }).fill('ed_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await signIn();
    await rowMeta('Oil jumps 5%', 'published');
    // Something scheduled and something withdrawn, so every kind of row is on the page.
    await page.getByLabel('Headline', { exact: true }).fill('Embargoed results');
    await page.getByLabel('Embargo until', { exact: true }).fill('2099-01-01T10:00:00');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.locator('#scheduled li').first().waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await page.locator('#recent li', { hasText: 'Central bank' }).getByRole('button', { name: 'Correct' }).click();
    await page.locator('#draft-title', { hasText: 'Correcting' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Stop correcting' }).click();

    await page.locator('#recent li', { hasText: 'Brent rises' }).getByRole('button', { name: 'Withdraw' }).click();
    await page.getByRole('dialog', { name: 'Withdraw this headline?' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, withdraw' }).click();
    await rowMeta('Brent rises', 'withdrawn');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('keyboard only: publish, correct, withdraw, cancel a scheduled item; focus is visible, trapped in the dialog and returned', async () => {
    // Another desk has scheduled something; this editor will cancel it.
    const embargoUntil = new Date(Date.UTC(2099, 0, 1, 10)).toISOString();
    expect((await postHeadline(ticker.url, { text: 'Keyboard desk: embargoed figures', embargoUntil })).status).toBe(202);
    // Start signed out with nothing remembered.
    await page.goto(`${ticker.url}/healthz`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${ticker.url}/editor`);
    await page.evaluate(() => {
      const w = window as unknown as { pointer: number };
      w.pointer = 0;
      for (const type of ['pointerdown', 'mousedown', 'pointerup', 'mouseup']) document.addEventListener(type, () => w.pointer++, true);
    });

    // The token field has focus on opening.
    expect(await active()).toMatchObject({ id: 'token' });
    await page.keyboard.type(EDITOR_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#live', { hasText: 'live' }).waitFor();

    // Publish: focus lands in Headline.
    expect(await active()).toMatchObject({ id: 'text', outline: 'solid' });
    await page.keyboard.type('Keyboard desk: grain exports resume');
    await page.keyboard.press('Control+Enter');
    await rowMeta('grain exports resume', 'published · v1');

    // Correct: Tab to the row's Correct button; Enter moves focus into the form, loaded.
    const onRow = (label: string, text: string) => (a: Awaited<ReturnType<typeof active>>) =>
      a.text === label && (a.row ?? '').includes(text);
    await tabTo(onRow('Correct', 'grain exports resume'), 'Correct on the new row');
    expect((await active()).outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await active()).toMatchObject({ id: 'text' });
    expect(await page.locator('#draft-title').textContent()).toContain('Correcting');
    // Escape stops correcting and returns focus to the button that started it.
    await page.keyboard.press('Escape');
    expect(await active()).toMatchObject({ text: 'Correct', row: 'Keyboard desk: grain exports resume' });
    expect(await page.locator('#draft-title').textContent()).toBe('New headline');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Keyboard desk: grain exports resume in full');
    await page.keyboard.press('Control+Enter');
    await rowMeta('in full', 'corrected · v2');
    // The row was redrawn with the new version; focus stayed on its Correct button.
    expect(await active()).toMatchObject({ text: 'Correct', row: 'Keyboard desk: grain exports resume in full' });

    // Withdraw: the dialog opens on "No, keep it"; Tab goes round its two buttons only.
    await page.keyboard.press('Tab');
    expect(await active()).toMatchObject({ text: 'Withdraw' });
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Withdraw this headline?' }).waitFor();
    expect(await active()).toMatchObject({ text: 'No, keep it', outline: 'solid' });
    const round: string[] = [];
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab']) {
      await page.keyboard.press(key);
      round.push((await active()).text);
    }
    expect(round).toEqual(['Yes, withdraw', 'No, keep it', 'Yes, withdraw', 'No, keep it', 'Yes, withdraw']);
    // Escape keeps it, and focus is back on Withdraw.
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await active()).toMatchObject({ text: 'Withdraw', row: 'Keyboard desk: grain exports resume in full' });
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Withdraw this headline?' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await rowMeta('in full', 'withdrawn · v3');
    // The withdrawn row has no buttons: focus is on the row itself, not lost to the page.
    expect(await active()).toMatchObject({ tag: 'LI', row: 'Keyboard desk: grain exports resume in full' });

    // Cancel a scheduled item (another desk scheduled it before this one signed in).
    const item = page.locator('#scheduled li', { hasText: 'embargoed figures' });
    await item.waitFor();
    await tabTo(onRow('Cancel', 'embargoed figures'), 'Cancel on the scheduled item');
    await page.keyboard.press('Enter');
    await page.locator('#form-status', { hasText: /^Cancelled; it will not go out/ }).waitFor();
    expect(await item.count()).toBe(0);
    // The item is gone: focus moved to its neighbour's Cancel (the other scheduled item).
    expect(await active()).toMatchObject({ text: 'Cancel', row: 'Embargoed results' });
    const scheduled = (await (
      await fetch(`${ticker.url}/api/headlines/scheduled`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } })
    ).json()) as {
      scheduled: { text: string }[];
    };
    expect(scheduled.scheduled.map((s) => s.text)).toEqual(['Embargoed results']);

    expect(await page.evaluate(() => (window as unknown as { pointer: number }).pointer)).toBe(0);
  });
  it('axe: the Licences view (an admin) and the Failed list (a poisoned change) have no violations', async () => {
    const poisoned = await postHeadline(ticker.url, { text: 'POISON story for the Failed list' });
    expect(poisoned.status).toBe(202);
    await ticker.usage!.flush();
    await page.goto(`${ticker.url}/healthz`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${ticker.url}/editor`);
    await page.getByLabel('Token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live', { hasText: 'live' }).waitFor();
    const licences = page.getByRole('region', { name: /Licences/u });
    await licences.locator('tr.key', { hasText: 'demo' }).waitFor();
    const failed = page.getByRole('region', { name: 'Failed (not published)' });
    await failed.getByText('POISON story for the Failed list').waitFor({ timeout: 15_000 });
    expect(await axeViolations(page)).toEqual([]);
  });
});
