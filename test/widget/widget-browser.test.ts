import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { RunningTicker } from '../../server/src/ticker.js';
import { buildWidget } from '../../widgets/scripts/build.js';
// The element's global typings (HTMLElementTagNameMap['headline-ticker']), for the page-side code.
import type {} from '../../widgets/src/define.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';

const hostile = JSON.parse(readFileSync(new URL('../fixtures/hostile-text.json', import.meta.url), 'utf8')) as {
  mustRenderAsText: string[];
};
const wire = JSON.parse(readFileSync(new URL('../fixtures/wire-2019-12-14.json', import.meta.url), 'utf8')) as {
  timezone: string;
  headlines: { publishedAt: string; text: string; topics: string[]; symbols?: string[]; urgency?: Headline['urgency'] }[];
  expectedListLines: string[];
};

const KEY = 'wgt_browser_test';

let ticker: RunningTicker;
let host: HostServer;
let foreign: HostServer;
let browser: Browser;
let config: ReturnType<typeof testConfig>;
const pageErrors: string[] = [];

/** A host page that embeds the widget the documented way: one script tag and the elements. */
const embed = (body: string) =>
  `<!doctype html><meta charset="utf-8"><title>host</title><body>${body}<script src="${ticker.url}/widget.js" async></script>`;

async function open(url: string): Promise<{ page: Page; sockets: string[]; openSockets: () => number }> {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const sockets: string[] = [];
  let closed = 0;
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('close', () => closed++);
  });
  page.on('pageerror', (err) => pageErrors.push(`${url}: ${err.message}`));
  await page.goto(url);
  return { page, sockets, openSockets: () => sockets.length - closed };
}

/** The headline texts a widget's list holds, top to bottom (in scroll mode, the tape's first copy must agree). */
const texts = (page: Page, selector: string) =>
  page.evaluate((sel) => {
    const root = document.querySelector(sel)?.shadowRoot;
    const list = [...(root?.querySelectorAll('[part=list] > li .text') ?? [])].map((e) => e.textContent);
    const tape = root?.querySelector('[part=items]');
    if (tape) {
      const onTape = [...tape.querySelectorAll(':scope > li .text')].map((e) => e.textContent);
      if (JSON.stringify(onTape) !== JSON.stringify(list)) return [...list, `(the tape differs: ${JSON.stringify(onTape)})`];
    }
    return list;
  }, selector);
const times = (page: Page, selector: string) =>
  page.evaluate(
    (sel) => [...(document.querySelector(sel)?.shadowRoot?.querySelectorAll('[part=list] > li time') ?? [])].map((e) => e.textContent),
    selector,
  );
const untilShown = (page: Page, selector: string, n: number) =>
  page.waitForFunction(
    ([sel, count]) => (document.querySelector(sel)?.shadowRoot?.querySelectorAll('[part=list] > li').length ?? 0) === count,
    [selector, n] as const,
    { timeout: 10_000 },
  );
const untilStatus = (page: Page, selector: string, status: string) =>
  page.waitForFunction(
    ([sel, s]) => document.querySelector<HTMLElementTagNameMap['headline-ticker']>(sel)?.status === s,
    [selector, status] as const,
    { timeout: 10_000 },
  );

async function editorCall(method: 'PATCH' | 'DELETE', id: string, body?: unknown): Promise<number> {
  const res = await fetch(`${ticker.url}/api/headlines/${id}`, {
    method,
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.status;
}

async function publish(text: string, fields: Record<string, unknown>): Promise<string> {
  const res = await postHeadline(ticker.url, { text, ...fields });
  expect(res.status).toBe(202);
  return res.json.id!;
}

describe.skipIf(!hasChromium)(
  `<headline-ticker> in Chromium, embedded from another origin${hasChromium ? '' : ` (${NO_CHROMIUM})`}`,
  () => {
    const stack = useStack({ ticker: false });
    let live: Awaited<ReturnType<typeof open>>;

    beforeAll(async () => {
      [host, foreign] = await Promise.all([startHostServer(), startHostServer()]);
      config = testConfig({
        editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: KEY, name: 'host page', topics: ['*'], origins: [host.origin] },
        ],
      });
      [ticker, browser] = await Promise.all([stack.startTicker({ config }), launchChromium(), buildWidget()]).then(
        ([t, b]) => [t, b] as const,
      );
      live = await open(
        host.page(
          '/live.html',
          embed(`
          <headline-ticker id="hostile-list" key="${KEY}" topics="hostile" limit="20"></headline-ticker>
          <headline-ticker id="hostile-tape" key="${KEY}" topics="hostile" limit="20" mode="scroll"></headline-ticker>
          <headline-ticker id="desk" key="${KEY}" topics="desk"></headline-ticker>
          <headline-ticker id="energy" key="${KEY}" symbols="GAZP"></headline-ticker>`),
        ),
      );
      for (const id of ['hostile-list', 'hostile-tape', 'desk', 'energy']) await untilStatus(live.page, `#${id}`, 'live');
    });

    afterAll(async () => {
      await browser?.close();
      await Promise.all([host?.close(), foreign?.close()]);
    });

    it('shows every hostile text literally, in both modes, and runs none of it', async () => {
      for (const text of hostile.mustRenderAsText) await publish(text, { topics: ['hostile'] });
      const n = hostile.mustRenderAsText.length;
      await untilShown(live.page, '#hostile-list', n);
      await untilShown(live.page, '#hostile-tape', n);
      // As the server normalises whitespace; newest on top, so the last one published comes first.
      // bidi controls are stripped on the way in (docs/protocol.md)
      const expected = hostile.mustRenderAsText
        .map((t) =>
          t
            .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '')
            .replace(/\s+/gu, ' ')
            .trim(),
        )
        .reverse();
      expect(await texts(live.page, '#hostile-list')).toEqual(expected);
      expect(await texts(live.page, '#hostile-tape')).toEqual(expected);
      const probe = await live.page.evaluate(() => ({
        pwned: (window as { __pwned?: unknown }).__pwned,
        injected: [...document.querySelectorAll('headline-ticker')].flatMap((el) => [
          ...(el.shadowRoot?.querySelectorAll('img, script, svg, b') ?? []),
        ]).length,
        dirs: [...(document.querySelector('#hostile-list')?.shadowRoot?.querySelectorAll('.text') ?? [])].map((e) => e.getAttribute('dir')),
        // Globals a blank window of this origin does not have: the element must add none.
        globals: (() => {
          const blank = document.body.appendChild(document.createElement('iframe'));
          const added = Object.keys(window).filter((k) => !/^\d+$/u.test(k) && !(k in blank.contentWindow!));
          blank.remove();
          return added;
        })(),
      }));
      expect(probe.pwned).toBeUndefined();
      expect(probe.injected).toBe(0);
      expect(probe.dirs).toEqual(expected.map(() => 'auto'));
      expect(probe.globals).toEqual([]);
    });

    it('puts the newest on top, corrects a line in place, removes a withdrawn one, links with rel=noopener', async () => {
      const a = await publish('Desk item A', { topics: ['desk'] });
      const b = await publish('Desk item B', { topics: ['desk'], url: 'https://wire.example.com/b' });
      await publish('Desk item C', { topics: ['desk'], urgency: 'flash' });
      await untilShown(live.page, '#desk', 3);
      expect(await texts(live.page, '#desk')).toEqual(['Desk item C', 'Desk item B', 'Desk item A']);
      const link = await live.page.evaluate(() => {
        const a = document.querySelector('#desk')?.shadowRoot?.querySelector('a.text');
        return a && { href: a.getAttribute('href'), rel: a.getAttribute('rel'), target: a.getAttribute('target'), text: a.textContent };
      });
      expect(link).toEqual({ href: 'https://wire.example.com/b', rel: 'noopener', target: '_blank', text: 'Desk item B' });
      expect(await live.page.evaluate(() => document.querySelector('#desk')?.shadowRoot?.querySelector('li')?.getAttribute('part'))).toBe(
        'item flash',
      );

      // Mark B's line, so "in place" means the same element at the same position.
      await live.page.evaluate(
        () =>
          ((document.querySelector('#desk')!.shadowRoot!.querySelectorAll('li')[1] as HTMLElement & { marked?: boolean }).marked = true),
      );
      expect(await editorCall('PATCH', b, { text: 'Desk item B, corrected' })).toBe(202);
      await live.page.waitForFunction(() => document.querySelector('#desk')?.shadowRoot?.textContent?.includes('B, corrected'));
      expect(await texts(live.page, '#desk')).toEqual(['Desk item C', 'Desk item B, corrected', 'Desk item A']);
      expect(
        await live.page.evaluate(
          () => (document.querySelector('#desk')!.shadowRoot!.querySelectorAll('li')[1] as HTMLElement & { marked?: boolean }).marked,
        ),
      ).toBe(true);

      expect(await editorCall('DELETE', a)).toBe(202);
      await untilShown(live.page, '#desk', 2);
      expect(await texts(live.page, '#desk')).toEqual(['Desk item C', 'Desk item B, corrected']);
    });

    it('serves four widgets on one page from one WebSocket, each showing only its own filter', async () => {
      await publish('Gazprom raises gas exports', { topics: ['energy'], symbols: ['GAZP'] });
      await untilShown(live.page, '#energy', 1);
      expect(await texts(live.page, '#energy')).toEqual(['Gazprom raises gas exports']);
      expect(await texts(live.page, '#desk')).not.toContain('Gazprom raises gas exports');
      expect(live.sockets).toHaveLength(1);
      expect(live.sockets[0]).toContain(new URL(ticker.url).host);
    });

    it('a widget added later with a new topic gets its backlog; the page still holds one connection', async () => {
      await publish('Published before the widget existed', { topics: ['late'] });
      await live.page.evaluate((key) => {
        const el = document.createElement('headline-ticker');
        el.id = 'late';
        el.setAttribute('key', key);
        el.setAttribute('topics', 'late');
        document.body.append(el);
      }, KEY);
      await untilShown(live.page, '#late', 1);
      expect(await texts(live.page, '#late')).toEqual(['Published before the widget existed']);
      // The shared client was replaced by one for the wider union: the old socket is closed.
      await live.page.waitForFunction(
        () => (document.querySelector('#desk') as HTMLElementTagNameMap['headline-ticker']).status === 'live',
      );
      expect(await texts(live.page, '#desk')).toEqual(['Desk item C', 'Desk item B, corrected']);
      await publish('Still live for everyone', { topics: ['desk', 'late'] });
      await live.page.waitForFunction(() => document.querySelector('#desk')?.shadowRoot?.textContent?.includes('Still live'));
      await live.page.waitForFunction(() => document.querySelector('#late')?.shadowRoot?.textContent?.includes('Still live'));
      expect(live.openSockets()).toBe(1);
    });

    it('shows a quiet "unavailable" line while the server is away, then reconnects with nothing repeated or lost', async () => {
      const before = await texts(live.page, '#desk');
      const port = ticker.port;
      await ticker.close();
      await untilStatus(live.page, '#desk', 'unavailable');
      const line = await live.page.evaluate(() => document.querySelector('#desk')?.shadowRoot?.querySelector('[part=status]')?.textContent);
      expect(line).toContain('unavailable');
      expect(await texts(live.page, '#desk')).toEqual(before); // what was shown stays
      ticker = await stack.startTicker({ config, port });
      await untilStatus(live.page, '#desk', 'live');
      await publish('After the restart', { topics: ['desk'] });
      await untilShown(live.page, '#desk', before.length + 1);
      expect(await texts(live.page, '#desk')).toEqual(['After the restart', ...before]);
      expect(live.openSockets()).toBe(1);
    });

    it('a page on an origin the key is not bound to gets nothing, a quiet state line and no error', async () => {
      const { page, sockets } = await open(foreign.page('/foreign.html', embed(`<headline-ticker id="w" key="${KEY}"></headline-ticker>`)));
      await untilStatus(page, '#w', 'refused');
      expect(await texts(page, '#w')).toEqual([]);
      const line = await page.evaluate(() => {
        const status = document.querySelector('#w')?.shadowRoot?.querySelector('[part=status]');
        return status instanceof HTMLElement ? { hidden: status.hidden, text: status.textContent } : null;
      });
      expect(line).toEqual({ hidden: false, text: expect.stringContaining('not licensed') });
      expect(sockets).toHaveLength(1); // it tried, once, and was refused in the handshake
      await page.close();
    });

    describe("rendering, fed through the element's feedSource (no server involved)", () => {
      let page: Page;

      /** Adds a widget whose source is a stub the test drives: the "small internal interface". */
      const addFed = (id: string, attrs: Record<string, string>, headlines: Headline[]) =>
        page.evaluate(
          ([id, attrs, headlines]) => {
            const el = document.createElement('headline-ticker');
            el.id = id;
            for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
            el.feedSource = {
              attach(_request, sink) {
                sink.status('live');
                sink.reset(headlines);
                return () => undefined;
              },
            };
            document.body.append(el);
          },
          [id, attrs, headlines] as const,
        );

      const wireHeadlines: Headline[] = wire.headlines.map((h, i) => ({
        id: `wire-${i}`,
        seq: wire.headlines.length - i,
        version: 1,
        status: 'published',
        text: h.text,
        topics: h.topics,
        symbols: h.symbols ?? [],
        urgency: h.urgency ?? 'routine',
        lang: 'en',
        source: 'desk',
        publishedAt: h.publishedAt,
        updatedAt: h.publishedAt,
      }));

      beforeAll(async () => {
        ({ page } = await open(host.page('/fed.html', embed(''))));
        await page.waitForFunction(() => customElements.get('headline-ticker') !== undefined);
      });

      it(`writes the agency column of ${wire.timezone} as the fixture expects, newest on top`, async () => {
        // Given oldest first, shown newest first.
        await addFed('moscow', { key: 'stub', timezone: wire.timezone, limit: '10' }, [...wireHeadlines].reverse());
        await untilShown(page, '#moscow', 10);
        expect(await times(page, '#moscow')).toEqual(wire.expectedListLines);
        expect(await texts(page, '#moscow')).toEqual(wire.headlines.map((h) => h.text));
        // Attributes change at run time: a locale asks for its own short date and time.
        await page.evaluate(() => document.querySelector('#moscow')!.setAttribute('locale', 'de-DE'));
        await page.waitForFunction(
          () => document.querySelector('#moscow')?.shadowRoot?.querySelector('time')?.textContent === '14.12.19, 21:55',
        );
        await page.evaluate(() => document.querySelector('#moscow')!.setAttribute('timezone', 'UTC'));
        await page.waitForFunction(
          () => document.querySelector('#moscow')?.shadowRoot?.querySelector('time')?.textContent === '14.12.19, 18:55',
        );
      });

      it('loops the tape seamlessly; the pause button, hover and keyboard focus stop it', async () => {
        await addFed('tape', { key: 'stub', mode: 'scroll', timezone: wire.timezone }, wireHeadlines);
        await untilShown(page, '#tape', 10);
        const state = () =>
          page.evaluate(() => {
            const root = document.querySelector('#tape')!.shadowRoot!;
            const [animation] = root.querySelector('.track')!.getAnimations();
            const button = root.querySelector('[part=pause-button]')!;
            return { play: animation?.playState, pressed: button.getAttribute('aria-pressed') };
          });
        expect(await state()).toEqual({ play: 'running', pressed: 'false' });
        // The tape is presentation: both copies hidden from assistive technology (the list beside
        // it carries the headlines), the same text in each.
        const copies = await page.evaluate(() =>
          [...document.querySelector('#tape')!.shadowRoot!.querySelectorAll('.copy')].map((c) => ({
            hidden: c.closest('[aria-hidden="true"]') !== null,
            text: c.textContent,
          })),
        );
        expect(copies).toHaveLength(2);
        expect(copies[0]).toMatchObject({ hidden: true });
        expect(copies[1]).toEqual({ hidden: true, text: copies[0]!.text });

        // Clicked from script: no hover, no focus, so only the button itself can pause it.
        const click = () =>
          page.evaluate(() =>
            (document.querySelector('#tape')!.shadowRoot!.querySelector('[part=pause-button]') as HTMLButtonElement).click(),
          );
        await click();
        expect(await state()).toEqual({ play: 'paused', pressed: 'true' });
        await click();
        expect(await state()).toEqual({ play: 'running', pressed: 'false' });

        await page.evaluate(() =>
          (document.querySelector('#tape')!.shadowRoot!.querySelector('[part=pause-button]') as HTMLButtonElement).focus(),
        );
        expect((await state()).play).toBe('paused');
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        expect((await state()).play).toBe('running');
        await page.hover('#tape');
        expect((await state()).play).toBe('paused');
        await page.mouse.move(0, 590);
        expect((await state()).play).toBe('running');
      });

      it('does not move under prefers-reduced-motion: items wrap, the loop copy and button are gone', async () => {
        await page.emulateMedia({ reducedMotion: 'reduce' });
        const still = await page.evaluate(() => {
          const root = document.querySelector('#tape')!.shadowRoot!;
          const track = root.querySelector('.track')!;
          const copies = root.querySelectorAll('.copy');
          return {
            animations: track.getAnimations().length,
            loopCopy: getComputedStyle(copies[1]!).display,
            wrap: getComputedStyle(copies[0]!).flexWrap,
            button: getComputedStyle(root.querySelector('[part=pause-button]')!).display,
          };
        });
        expect(still).toEqual({ animations: 0, loopCopy: 'none', wrap: 'wrap', button: 'none' });
        await page.emulateMedia({ reducedMotion: null });
      });
    });

    it('raised no error on any page', () => {
      expect(pageErrors).toEqual([]);
    });
  },
);
