// The SDK client in a real Chromium: bundled for the browser the way the package builds it
// (esbuild, platform "browser", which fails on any Node module), talking to the real server.
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH as CHROMIUM, hasChromium, launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';

if (!hasChromium) console.warn(`test/sdk/browser.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

let browser: Browser;

describe.skipIf(!hasChromium)('TickerClient in Chromium', () => {
  const stack = useStack();

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('bundles without zod or Node modules, goes live, receives a headline, reads history, closes', { timeout: 60_000 }, async () => {
    const bundle = await build({
      entryPoints: [`${ROOT}client-sdk/src/index.ts`],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'HeadlineTickerSdk',
      platform: 'browser',
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(bundle.metafile.inputs).filter((p) => p.includes('node_modules/zod/'))).toEqual([]);

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Same origin as the server, so history() needs no CORS.
    await page.goto(`${stack.ticker.url}/healthz`);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    await page.evaluate(
      async ({ url, key }) => {
        const { TickerClient } = (window as unknown as { HeadlineTickerSdk: typeof import('@headline-ticker/sdk') }).HeadlineTickerSdk;
        const client = new TickerClient({ url, key, topics: ['browser'], limit: 0 });
        const w = window as unknown as { got: string[]; statuses: string[]; client: typeof client };
        w.got = [];
        w.statuses = [];
        w.client = client;
        client.on('headline', (h) => w.got.push(h.text));
        client.on('status', (s) => w.statuses.push(s.status));
        await client.ready(10_000);
      },
      { url: stack.ticker.url, key: ALL_KEY },
    );
    expect((await postHeadline(stack.ticker.url, { text: 'seen in Chromium', topics: ['browser'] })).status).toBe(202);
    await page.waitForFunction(() => (window as unknown as { got: string[] }).got.length > 0, undefined, { timeout: 10_000 });

    const result = await page.evaluate(async () => {
      const w = window as unknown as { got: string[]; statuses: string[]; client: import('@headline-ticker/sdk').TickerClient };
      const history = await w.client.history({ limit: 5 });
      await w.client.close();
      return { got: w.got, statuses: w.statuses, history: history.headlines.map((h) => h.text), status: w.client.status };
    });
    expect(result).toEqual({ got: ['seen in Chromium'], statuses: ['live', 'closed'], history: ['seen in Chromium'], status: 'closed' });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
