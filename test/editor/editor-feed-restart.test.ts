// The console's live view is the SDK's TickerClient with the editor token. When Redis loses its
// data under an open console (FLUSHALL), the feed starts again at seq 1: the console must follow
// the new feed and be live again without a reload (it used to stay "not live").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildEditor } from '../../server/editor/build.js';
import { postHeadline } from '../helpers/clients.js';
import { launchChromium, noChromium } from '../helpers/editor-browser.js';
import { usePrivateStack } from '../helpers/harness.js';
import { EDITOR_TOKEN } from '../helpers/config.js';

// Flushes Redis: a redis-server of its own.
const stack = usePrivateStack();

let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (noChromium !== null) return;
  await buildEditor();
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(20_000);
});
afterAll(async () => {
  await browser?.close();
});

const row = (text: string) => page.locator('#recent li', { has: page.locator('.text', { hasText: text }) });

describe.skipIf(noChromium !== null)(`the console follows a feed that started again ${noChromium ?? ''}`, () => {
  it('FLUSHALL under an open console, then a new publish: live again and showing it, no reload', { timeout: 60_000 }, async () => {
    await page.goto(`${stack.ticker.url}/editor`);
    await page.getByLabel('Token', { exact: true }).fill(EDITOR_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#live', { hasText: /^live$/u }).waitFor();
    expect((await postHeadline(stack.ticker.url, { text: 'before the loss' })).status).toBe(202);
    await row('before the loss').waitFor();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    await stack.redis.client.flushall();
    // The gateway notices within its once-a-second tail check and says goodbye; the client resets
    // onto the new feed (the old console resumed with a `since` ahead of it and stayed "not live"):
    // the list is replaced by the new feed's snapshot, empty, and the console is live again.
    await row('before the loss').waitFor({ state: 'detached' });
    await page.locator('#live', { hasText: /^live$/u }).waitFor();
    expect((await postHeadline(stack.ticker.url, { text: 'after the loss' })).status).toBe(202);
    await row('after the loss').waitFor();
    expect(await page.locator('#live').textContent()).toBe('live');
    expect(navigations).toBe(0);
  });
});
