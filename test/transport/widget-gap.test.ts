// The widget shows a few items: after a long gap it takes a fresh snapshot instead of paging
// through the backlog. Against the paging stand-in server (test/helpers/paging-server.ts),
// which also serves the built widget, in a real Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildWidget, WIDGET_BUNDLE } from '../../widgets/scripts/build.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { startPagingServer, type PagingServer } from '../helpers/paging-server.js';
import { until } from '../helpers/wait.js';

describe.skipIf(!hasChromium)(`the widget after a long gap${hasChromium ? '' : ` (${NO_CHROMIUM})`}`, () => {
  let browser: Browser;
  let host: HostServer;
  let server: PagingServer;

  beforeAll(async () => {
    [browser, host, server] = await Promise.all([
      launchChromium(),
      startHostServer(),
      startPagingServer(10, { scripts: { '/widget.js': WIDGET_BUNDLE } }),
      buildWidget(),
    ]).then(([b, h, s]) => [b, h, s] as const);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.close(), host?.close()]);
  });

  it('a resume answered with `more` becomes a fresh snapshot of its few items, not a walk through the backlog', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(
      host.page(
        '/gap.html',
        `<!doctype html><meta charset="utf-8"><body>
         <headline-ticker id="w" key="wgt_gap" topics="energy" limit="5"></headline-ticker>
         <script src="${server.url}/widget.js" async></script>`,
      ),
    );
    const shown = () =>
      page.evaluate(() =>
        [...(document.querySelector('#w')?.shadowRoot?.querySelectorAll('.list > li .text') ?? [])].map((e) => e.textContent),
      );
    await page.waitForFunction(() => (document.querySelector('#w') as HTMLElement & { status?: string }).status === 'live');
    await until(async () => (await shown()).length === 5, 'the first snapshot shows');
    expect(await shown()).toEqual(['headline 10', 'headline 9', 'headline 8', 'headline 7', 'headline 6']);
    const first = server.subscribes.length;

    // The gateway goes away; 1,200 events (more than two pages) happen before the widget is back.
    server.bye('shutdown');
    server.publish(1200);
    await until(async () => (await shown())[0] === 'headline 1210', 'the widget shows the newest', 15_000);
    expect(await shown()).toEqual(['headline 1210', 'headline 1209', 'headline 1208', 'headline 1207', 'headline 1206']);
    // One page asked for, then a snapshot: never `since: 510`, `since: 1010`.
    expect(server.subscribes.slice(first).map((s) => s.request)).toEqual([
      expect.objectContaining({ since: 10 }),
      expect.objectContaining({ limit: 5 }),
    ]);
    expect(server.subscribes.at(-1)!.request.since).toBeUndefined();

    server.publish(1);
    await until(async () => (await shown())[0] === 'headline 1211', 'live goes on after the snapshot');
    expect(errors).toEqual([]);
    await page.close();
  }, 30_000);
});
