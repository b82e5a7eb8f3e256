// Takes docs/images/editor.png: `node --conditions=ticker-source --import tsx test/editor/screenshot.ts`.
// A private redis-server, the stack in-process, a few headlines, the console mid-draft.
import { fileURLToPath } from 'node:url';
import { buildEditor } from '../../server/editor/build.js';
import { postHeadline } from '../helpers/clients.js';
import { EDITOR_TOKEN } from '../helpers/config.js';
import { LOCAL_TIME_ZONE, launchChromium, localDateTime } from '../helpers/editor-browser.js';
import { startTestRedis } from '../helpers/redis.js';
import { startInProcess } from '../helpers/stack.js';

const OUT = fileURLToPath(new URL('../../docs/images/editor.png', import.meta.url));

await buildEditor();
const redis = await startTestRedis();
const ticker = await startInProcess(redis.url);
const browser = await launchChromium();
try {
  const auth = { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' };
  await postHeadline(ticker.url, { text: 'Oil output cut extended to June, OPEC+ delegates say', topics: ['energy'], urgency: 'urgent' });
  const wrong = await postHeadline(ticker.url, { text: 'Central bank raises key rate to 16%', topics: ['economy'], urgency: 'bulletin' });
  await postHeadline(ticker.url, { text: 'Unconfirmed: merger talks collapse', topics: ['business'] });
  await postHeadline(ticker.url, { text: 'Gazprom raises gas exports to China', topics: ['energy'], symbols: ['GAZP'], urgency: 'flash' });
  await new Promise((r) => setTimeout(r, 500)); // screenshot staging only: let the worker publish
  await fetch(`${ticker.url}/api/headlines/${wrong.json.id}`, {
    method: 'PATCH',
    headers: auth,
    body: JSON.stringify({ text: 'Central bank raises key rate to 16.5%' }),
  });

  const page = await (await browser.newContext({ timezoneId: LOCAL_TIME_ZONE, viewport: { width: 1000, height: 1200 } })).newPage();
  await page.goto(`${ticker.url}/editor`);
  await page.getByLabel('Token', { exact: true }).fill(EDITOR_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#live', { hasText: 'live' }).waitFor();
  await page.getByLabel('Headline', { exact: true }).fill('Quarterly results due at 09:00');
  await page.getByLabel('Embargo until', { exact: true }).fill(localDateTime(new Date(Date.now() + 3_600_000)));
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.locator('#scheduled li').waitFor();
  await page.getByLabel('Headline', { exact: true }).fill('Parliament passes   budget  in first reading');
  await page.getByLabel('Topics', { exact: true }).fill('politics, economy');
  await page.getByLabel('Urgency', { exact: true }).selectOption('flash');
  await page.locator('#recent li .meta', { hasText: 'corrected by' }).waitFor();
  await page.screenshot({ path: OUT, fullPage: true });
  process.stdout.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
  await ticker.close();
  await redis.stop();
}
