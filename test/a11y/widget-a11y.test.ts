import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { buildWidget, WIDGET_BUNDLE } from '../../widgets/scripts/build.js';
import { hasChromium, launchChromium, NO_CHROMIUM } from '../helpers/browser.js';
import { axeViolations } from './axe.js';

// The widget as a screen-reader user, a keyboard user and an auditor meet it. It is fed through
// its `feedSource` (the element is the same whatever feeds it), so each case sets exactly the
// headlines it needs and counts exactly what is said.

const hostile = JSON.parse(readFileSync(new URL('../fixtures/hostile-text.json', import.meta.url), 'utf8')) as {
  mustRenderAsText: string[];
};
const wire = JSON.parse(readFileSync(new URL('../fixtures/wire-2019-12-14.json', import.meta.url), 'utf8')) as {
  headlines: { publishedAt: string; text: string; topics: string[] }[];
};

const URGENCIES: Headline['urgency'][] = ['flash', 'bulletin', 'urgent', 'routine'];
let seq = 0;
function headline(text: string, fields: Partial<Headline> = {}): Headline {
  seq++;
  const at = new Date(Date.UTC(2019, 11, 14, 12, 0, seq)).toISOString();
  return {
    id: `h${seq}`,
    seq,
    version: 1,
    status: 'published',
    text,
    topics: ['desk'],
    symbols: [],
    urgency: 'routine',
    lang: 'en',
    source: 'desk',
    publishedAt: at,
    updatedAt: at,
    ...fields,
  };
}

/** Hostile and right-to-left texts, every urgency, some with links: what an auditor would feed it. */
const MIXED: Headline[] = [
  ...hostile.mustRenderAsText.map((t) => t.replace(/\s+/gu, ' ').trim()),
  'ارتفاع أسعار النفط بعد قرار أوبك+',
  'שוק המניות בתל אביב נסגר בעלייה',
  ...wire.headlines.slice(0, 4).map((h) => h.text),
].map((text, i) => headline(text, { urgency: URGENCIES[i % 4]!, ...(i % 3 === 0 ? { url: `https://wire.example.com/a/${i}` } : {}) }));

/** WCAG 2 contrast ratio of two computed `rgb(r, g, b)` colours. */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/gu) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

let browser: Browser;
let page: Page;

/** A host page with its own landmarks and heading, and one fed widget (`#w`) in it. */
async function hostWith(attrs: Record<string, string>, headlines: readonly Headline[], theme: 'light' | 'dark' = 'light'): Promise<void> {
  const bg = theme === 'dark' ? '#010409' : '#ffffff';
  await page.setContent(`<!doctype html><html lang="en"><meta charset="utf-8"><title>host</title>
    <body style="background:${bg};color:${theme === 'dark' ? '#e6edf3' : '#1b1f24'}"><main><h1>Host page</h1></main>`);
  await page.addScriptTag({ path: WIDGET_BUNDLE });
  await page.evaluate(
    ([attrs, headlines, theme]) => {
      const el = document.createElement('headline-ticker');
      el.id = 'w';
      for (const [k, v] of Object.entries({ key: 'stub', theme, timezone: 'UTC', ...attrs })) el.setAttribute(k, v);
      const said: string[] = [];
      (window as unknown as { said: string[] }).said = said;
      el.feedSource = {
        attach(_request, sink) {
          (window as unknown as { sink: typeof sink }).sink = sink;
          sink.status('live');
          sink.reset(headlines);
          return () => undefined;
        },
      };
      document.querySelector('main')!.append(el);
      // What a screen reader is handed: every line added to a live region of the widget.
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) said.push(n.textContent ?? '');
      }).observe(el.shadowRoot!.querySelector('[aria-live]:not([aria-live="off"])')!, {
        childList: true,
        subtree: true,
        characterData: true,
      });
    },
    [attrs, headlines, theme] as const,
  );
  await page.waitForFunction(
    (n) => document.querySelector('#w')?.shadowRoot?.querySelectorAll('[part=list] > li').length === n,
    headlines.length,
  );
}

/** Feeds live events (published, corrected, withdrawn), then a snapshot if given; returns what was said. */
const feed = (events: readonly Headline[], reset?: readonly Headline[]) =>
  page.evaluate(
    async ([events, reset]) => {
      const w = window as unknown as { said: string[]; sink: { event(h: unknown): void; reset(h: readonly unknown[]): void } };
      w.said.length = 0;
      for (const h of events) w.sink.event(h);
      if (reset !== null) w.sink.reset(reset);
      // The widget draws (and speaks) on a microtask; a task later it has done both.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return [...w.said];
    },
    [events, reset ?? null] as const,
  );

describe.skipIf(!hasChromium)(`<headline-ticker> accessibility in Chromium${hasChromium ? '' : ` (${NO_CHROMIUM})`}`, () => {
  beforeAll(async () => {
    [browser] = await Promise.all([launchChromium(), buildWidget()]);
    page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('the checker sees into shadow roots: the markup this replaced (a list with role="log") fails it', async () => {
    await page.setContent('<!doctype html><html lang="en"><title>control</title><main><h1>Control</h1><div id="old"></div></main>');
    await page.evaluate(() => {
      const root = document.querySelector('#old')!.attachShadow({ mode: 'open' });
      const ol = root.appendChild(document.createElement('ol'));
      ol.setAttribute('role', 'log');
      ol.appendChild(document.createElement('li')).textContent = 'Orphaned item';
    });
    const found = await axeViolations(page);
    expect(found.map((v) => v.split(' ')[0])).toEqual(expect.arrayContaining(['aria-allowed-role', 'listitem']));
  });

  for (const theme of ['light', 'dark'] as const) {
    for (const mode of ['list', 'scroll'] as const) {
      it(`axe: no violations in ${mode} mode, ${theme} theme, with hostile and right-to-left texts`, async () => {
        await hostWith({ mode, limit: '30' }, MIXED, theme);
        expect(await axeViolations(page)).toEqual([]);
      });
    }
  }

  it('axe: no violations in scroll mode with keyboard focus in its list (the list is shown), nor under reduced motion', async () => {
    await hostWith({ mode: 'scroll', limit: '30' }, MIXED, 'dark');
    await page.keyboard.press('Tab'); // the pause button
    await page.keyboard.press('Tab'); // the first link of the list
    expect(await page.evaluate(() => document.querySelector('#w')!.shadowRoot!.activeElement?.closest('[part=list]') !== null)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await axeViolations(page)).toEqual([]);
    await page.emulateMedia({ reducedMotion: null });
  });

  for (const theme of ['light', 'dark'] as const) {
    it(`contrast (${theme}): text, times and urgency marks at least 4.5:1, the focus ring and the pause button at least 3:1, in both modes`, async () => {
      const urgent = [
        headline('Flash line', { urgency: 'flash', url: 'https://wire.example.com/f' }),
        headline('Bulletin line', { urgency: 'bulletin' }),
        headline('Urgent line', { urgency: 'urgent' }),
        headline('Routine line'),
      ];
      const ratios: Record<string, number> = {};
      for (const mode of ['list', 'scroll'] as const) {
        await hostWith({ mode }, urgent, theme);
        await page.keyboard.press('Tab'); // focus on the first control (the link, or the pause button), so its ring is drawn
        const colours = await page.evaluate((mode) => {
          const host = document.querySelector('#w')!;
          const root = host.shadowRoot!;
          const scope = mode === 'list' ? root.querySelector('[part=list]')! : root.querySelector('[part=items]')!;
          const c = (sel: string, prop: 'color' | 'outlineColor' | 'borderTopColor' = 'color') =>
            getComputedStyle(root.querySelector(sel) ?? scope.querySelector(sel)!)[prop];
          const bg = getComputedStyle(host).backgroundColor;
          const out: Record<string, [string, string]> = {
            time: [scope.querySelector('time') ? getComputedStyle(scope.querySelector('time')!).color : '', bg],
            flashLabel: [getComputedStyle(scope.querySelector('.flash .urgency')!).color, bg],
            flashText: [getComputedStyle(scope.querySelector('.flash .text')!).color, bg],
            bulletinLabel: [getComputedStyle(scope.querySelector('.bulletin .urgency')!).color, bg],
            routineText: [getComputedStyle(scope.querySelector('.routine .text')!).color, bg],
            focusRing: [getComputedStyle(root.activeElement!).outlineColor, bg],
          };
          if (mode === 'scroll') {
            out['pauseGlyph'] = [c('[part=pause-button]'), getComputedStyle(root.querySelector('[part=pause-button]')!).backgroundColor];
            out['pauseBorder'] = [c('[part=pause-button]', 'borderTopColor'), bg];
          }
          return out;
        }, mode);
        for (const [name, [fg, bg]] of Object.entries(colours)) ratios[`${mode} ${name}`] = contrast(fg, bg);
      }
      const tooLow = Object.entries(ratios).filter(([name, r]) => r < (/focusRing|pauseBorder/u.test(name) ? 3 : 4.5));
      expect(tooLow, JSON.stringify(ratios)).toEqual([]);
      expect(Object.keys(ratios)).toHaveLength(14);
    });
  }

  for (const mode of ['list', 'scroll'] as const) {
    it(`the accessibility tree (${mode} mode) is a log holding a list of every headline, and there is one live region`, async () => {
      const shown = MIXED.slice(0, 5);
      await hostWith({ mode }, shown);
      const snapshot = await page.locator('#w').ariaSnapshot();
      expect(snapshot.match(/- log "Headlines":/gu)).toHaveLength(1);
      expect(snapshot.match(/- list:/gu)).toHaveLength(1);
      expect(snapshot.match(/- listitem:/gu)).toHaveLength(shown.length);
      // Newest first, each item's text as it is, the tape's copies not among them.
      const newestFirst = [...shown].reverse();
      const items = snapshot.split('- listitem:').slice(1);
      newestFirst.forEach((h, i) => expect(items[i]).toContain(h.text.replace(/\s+/gu, ' ').slice(0, 12)));
      const live = await page.evaluate(() => {
        const root = document.querySelector('#w')!.shadowRoot!;
        const implicit = new Set(['log', 'status', 'alert', 'marquee', 'timer']);
        return [...root.querySelectorAll('*')]
          .filter((e) => {
            const aria = e.getAttribute('aria-live');
            return aria !== null ? aria !== 'off' : implicit.has(e.getAttribute('role') ?? '') || e.tagName === 'OUTPUT';
          })
          .map((e) => `${e.getAttribute('part')}:${e.getAttribute('aria-live')}`);
      });
      expect(live).toEqual(['announcer:polite']);
    });
  }

  it('announces: a snapshot of 20 says nothing; a flash one line; a routine nothing (announce=flash)', async () => {
    await hostWith({}, []);
    const twenty = Array.from({ length: 20 }, (_, i) => headline(`Snapshot item ${i}`, { urgency: i % 2 === 0 ? 'flash' : 'routine' }));
    expect(await feed([], twenty)).toEqual([]);
    const flash = headline('Oil jumps 5%', { urgency: 'flash' });
    expect(await feed([flash])).toEqual(['Flash: Oil jumps 5%']);
    expect(await feed([headline('Routine market wrap')])).toEqual([]);
    expect(await feed([headline('Bulletin: not a flash', { urgency: 'bulletin' })])).toEqual([]);
    // What becomes of a flash is said, as what it is.
    expect(await feed([{ ...flash, seq: ++seq, version: 2, status: 'corrected', text: 'Oil jumps 6%' }])).toEqual([
      'Corrected: Oil jumps 6%',
    ]);
    expect(await feed([{ ...flash, seq: ++seq, version: 3, status: 'withdrawn', text: 'Oil jumps 6%' }])).toEqual([
      'Withdrawn: Oil jumps 6%',
    ]);
  });

  it('announces every change with announce=all, corrections and withdrawals as such; none with announce=none', async () => {
    const routine = headline('Rouble firms against the dollar');
    await hostWith({ announce: 'all' }, [routine]);
    expect(await feed([headline('Markets open higher')])).toEqual(['Markets open higher']);
    expect(await feed([headline('Ceasefire agreed', { urgency: 'bulletin' })])).toEqual(['Bulletin: Ceasefire agreed']);
    expect(await feed([{ ...routine, seq: ++seq, version: 2, status: 'corrected', text: 'Rouble firms against the euro' }])).toEqual([
      'Corrected: Rouble firms against the euro',
    ]);
    expect(await feed([{ ...routine, seq: ++seq, version: 3, status: 'withdrawn' }])).toEqual(['Withdrawn: Rouble firms against the euro']);
    // A withdrawal of something the widget never showed says nothing.
    expect(await feed([headline('Never shown', { status: 'withdrawn', version: 2 })])).toEqual([]);

    await page.evaluate(() => document.querySelector('#w')!.setAttribute('announce', 'none'));
    expect(await feed([headline('Quiet flash', { urgency: 'flash' })])).toEqual([]);
  });

  it('says nothing of what it does not show: a headline beyond the limit, or one that leaves the filter', async () => {
    const [a, b] = [headline('Shown A', { urgency: 'flash' }), headline('Shown B', { urgency: 'flash' })];
    await hostWith({ announce: 'all', limit: '2', topics: 'desk' }, [a, b]);
    const old = new Date(Date.UTC(2001, 0, 1)).toISOString();
    expect(await feed([headline('Older than both', { urgency: 'flash', publishedAt: old, updatedAt: old })])).toEqual([]);
    // A correction that moves B out of the widget's topics removes it, quietly.
    expect(await feed([{ ...b, seq: ++seq, version: 2, status: 'corrected', topics: ['sport'] }])).toEqual([]);
    expect(await page.evaluate(() => document.querySelector('#w')!.shadowRoot!.querySelector('[part=list]')!.textContent)).not.toContain(
      'Shown B',
    );
  });

  it('a burst of events (a replay after a reconnect) is one summary line, never a storm', async () => {
    await hostWith({ announce: 'all', limit: '50' }, []);
    const burst = Array.from({ length: 12 }, (_, i) => headline(`Replayed ${i}`, { urgency: 'flash' }));
    expect(await feed(burst)).toEqual(['12 headline updates']);
    const three = Array.from({ length: 3 }, (_, i) => headline(`Few ${i}`));
    expect(await feed(three)).toEqual(['Few 0', 'Few 1', 'Few 2']);
    // A reset says nothing, even with events queued before it in the same update.
    expect(await feed([headline('Before reset', { urgency: 'flash' })], [headline('After reset')])).toEqual([]);
  });

  it('keyboard (list mode): Tab reaches each headline link in order, with a visible focus ring, and leaves', async () => {
    const shown = MIXED.slice(0, 7);
    await hostWith({}, shown);
    const withLinks = [...shown].reverse().filter((h) => h.url !== undefined);
    for (const h of withLinks) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const a = document.querySelector('#w')!.shadowRoot!.activeElement as HTMLAnchorElement | null;
        return a && { href: a.getAttribute('href'), outline: getComputedStyle(a).outlineStyle, width: getComputedStyle(a).outlineWidth };
      });
      expect(focused).toEqual({ href: h.url, outline: 'solid', width: '2px' });
    }
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.querySelector('#w')!.shadowRoot!.activeElement)).toBeNull();
  });

  it('keyboard: the pause button and every headline link are reachable, operable and show their focus', async () => {
    await hostWith({ mode: 'scroll' }, MIXED.slice(0, 6));
    const state = () =>
      page.evaluate(() => {
        const root = document.querySelector('#w')!.shadowRoot!;
        const active = root.activeElement as HTMLElement | null;
        const log = root.querySelector('[part=log]')!;
        return {
          active: active?.getAttribute('part') ?? active?.tagName ?? null,
          outline: active ? getComputedStyle(active).outlineStyle : null,
          play: root.querySelector('.track')!.getAnimations()[0]?.playState,
          listShown: log.getBoundingClientRect().height > 1,
        };
      });
    await page.keyboard.press('Tab');
    expect(await state()).toMatchObject({ active: 'pause-button', outline: 'solid', play: 'paused', listShown: false });
    await page.keyboard.press('Space');
    expect(
      await page.evaluate(() =>
        document.querySelector('#w')!.shadowRoot!.querySelector('[part=pause-button]')!.getAttribute('aria-pressed'),
      ),
    ).toBe('true');
    await page.keyboard.press('Space');
    expect(
      await page.evaluate(() =>
        document.querySelector('#w')!.shadowRoot!.querySelector('[part=pause-button]')!.getAttribute('aria-pressed'),
      ),
    ).toBe('false');
    // The tape's own links are for the mouse; Tab goes to the list, which shows while it has focus.
    const links = MIXED.slice(0, 6).filter((h) => h.url !== undefined).length;
    for (let i = 0; i < links; i++) {
      await page.keyboard.press('Tab');
      expect(await state()).toMatchObject({ active: 'headline', outline: 'solid', play: 'paused', listShown: true });
    }
    await page.keyboard.press('Tab'); // out of the widget
    expect(await state()).toMatchObject({ active: null, play: 'running', listShown: false });
  });
});
