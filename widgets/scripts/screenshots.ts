// Takes the screenshots in docs/widget.md: both modes, light and dark, from the built bundle,
// fed the wire fixture through the element's feedSource (no server needed).
// Run: npm run build -w widgets && node --conditions=ticker-source --import tsx widgets/scripts/screenshots.ts
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Headline } from '@headline-ticker/sdk/protocol';
import { launchChromium } from '../../test/helpers/browser.js';
import { WIDGET_BUNDLE } from './build.js';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const wire = JSON.parse(readFileSync(root('test/fixtures/wire-2019-12-14.json'), 'utf8')) as {
  headlines: { publishedAt: string; text: string; topics: string[]; symbols?: string[]; urgency?: Headline['urgency'] }[];
};
const headlines: Headline[] = wire.headlines.slice(0, 6).map((h, i) => ({
  id: `w${i}`,
  seq: 100 - i,
  version: 1,
  status: 'published',
  text: h.text,
  topics: h.topics,
  symbols: h.symbols ?? [],
  urgency: i === 0 ? 'flash' : i === 4 ? 'bulletin' : (h.urgency ?? 'routine'),
  lang: 'en',
  source: 'desk',
  publishedAt: h.publishedAt,
  updatedAt: h.publishedAt,
  ...(i === 0 ? { url: 'https://wire.example.com/a/1' } : {}),
}));

const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 760, height: 400 }, deviceScaleFactor: 1 });
await page.setContent('<!doctype html><meta charset="utf-8"><body style="margin:0;padding:16px">');
await page.addScriptTag({ path: WIDGET_BUNDLE });
// tsx names the functions it compiles with a `__name` helper the page does not have.
await page.evaluate('globalThis.__name = (f) => f');
for (const theme of ['light', 'dark'] as const) {
  for (const mode of ['list', 'scroll'] as const) {
    await page.evaluate(
      ([theme, mode, headlines]) => {
        document.body.style.background = theme === 'dark' ? '#010409' : '#f6f8fa';
        const el = document.createElement('headline-ticker');
        for (const [k, v] of Object.entries({ key: 'demo', theme, mode, timezone: 'Europe/Moscow', limit: '6' })) el.setAttribute(k, v);
        el.feedSource = { attach: (_r, sink) => (sink.status('live'), sink.reset(headlines), () => undefined) };
        document.body.replaceChildren(el);
      },
      [theme, mode, headlines] as const,
    );
    await page.waitForFunction(() => (document.querySelector('headline-ticker')?.shadowRoot?.querySelectorAll('li').length ?? 0) > 0);
    // The tape stopped a little way in, so several headlines show (the button stays as a reader sees it).
    await page.evaluate(() => {
      const [animation] = document.querySelector('headline-ticker')?.shadowRoot?.querySelector('.track')?.getAnimations() ?? [];
      animation?.pause();
      if (animation) animation.currentTime = 13_000;
    });
    await page.locator('body').screenshot({ path: root(`docs/images/widget-${mode}-${theme}.png`) });
  }
}
await browser.close();
