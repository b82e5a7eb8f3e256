// The SDK and the widget package as a consumer gets them: `npm pack`ed, installed from the
// tarballs into a scratch project outside the repository, then used the five ways a consumer
// does — ESM import, CommonJS require, TypeScript under --strict (ESM and CJS files), the CLI
// from node_modules/.bin, and the browser bundles in Chromium — against a real server.
import { execFile as execFileCb } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { postHeadline } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';
import { ensureBuilt } from './build.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

const execFile = promisify(execFileCb);
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const WIDGET_KEY = 'wgt_consumer_page';

/** Packs a workspace into `dir`; returns the tarball's path. */
async function pack(workspace: string, dir: string): Promise<string> {
  const { stdout } = await execFile('npm', ['pack', '-w', workspace, '--pack-destination', dir, '--json', '--loglevel=error'], {
    cwd: ROOT,
  });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  return join(dir, info!.filename);
}

describe('the packed SDK and widgets, installed outside the repository', () => {
  let scratch: string;
  let ticker: RunningTicker;
  let host: HostServer;
  const run = (file: string, args: string[] = [], env: Record<string, string> = {}) =>
    execFile(process.execPath, [file, ...args], { cwd: scratch, env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000 });

  beforeAll(async () => {
    ensureBuilt('sdk', 'widgets');
    scratch = mkdtempSync(join(tmpdir(), 'ticker-consumer-'));
    const [sdk, widgets] = [await pack('client-sdk', scratch), await pack('widgets', scratch)];
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await execFile('npm', ['install', ...NPM_FLAGS, sdk, widgets], { cwd: scratch, timeout: 180_000 });
    host = await startHostServer();
    ticker = await stack.startTicker({
      config: testConfig({
        editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: WIDGET_KEY, name: 'consumer page', topics: ['*'], origins: [host.origin] },
        ],
      }),
    });
  }, 240_000);
  afterAll(async () => {
    await ticker?.close();
    await host?.close();
    if (scratch && process.env['KEEP_CONSUMER_SCRATCH'] !== '1') rmSync(scratch, { recursive: true, force: true });
  });

  it('is a real install: the tarballs, not links into the repository', () => {
    const pkg = JSON.parse(readFileSync(join(scratch, 'node_modules/@headline-ticker/sdk/package.json'), 'utf8')) as { version: string };
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/u);
    expect(readFileSync(join(scratch, 'package.json'), 'utf8')).toMatch(/"@headline-ticker\/sdk":"file:[^"]+\.tgz"/u);
    expect(scratch.startsWith(ROOT)).toBe(false);
  });

  it('ESM import: the client receives a published headline', async () => {
    writeFileSync(
      join(scratch, 'esm.mjs'),
      `import { TickerClient, TickerError, PROTOCOL_VERSION } from '@headline-ticker/sdk';
       import { HeadlineSchema } from '@headline-ticker/sdk/schemas';
       const [url, key] = process.argv.slice(2);
       if (!(new TickerError('bad_request', 'x') instanceof Error) || PROTOCOL_VERSION < 1) process.exit(3);
       const client = new TickerClient({ url, key, topics: ['energy'] });
       client.on('status', (s) => s.status === 'live' && console.log('live'));
       client.on('headline', async (h) => {
         console.log(JSON.stringify(HeadlineSchema.parse(h)));
         await client.close();
       });`,
    );
    const child = run('esm.mjs', [ticker.url, ALL_KEY]);
    // Publish until the client is live and takes one: it may still be connecting at the first.
    let out = '';
    child.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('live')) await new Promise((r) => setTimeout(r, 50));
    expect((await postHeadline(ticker.url, { text: 'ESM consumer', topics: ['energy'] })).status).toBe(202);
    const { stdout } = await child;
    expect(JSON.parse(stdout.split('\n')[1]!)).toMatchObject({ text: 'ESM consumer', topics: ['energy'] });
  });

  it('CommonJS require: the same classes and schemas', async () => {
    writeFileSync(
      join(scratch, 'cjs.cjs'),
      `const sdk = require('@headline-ticker/sdk');
       const { TickerError } = require('@headline-ticker/sdk/protocol');
       const { HeadlineInputSchema } = require('@headline-ticker/sdk/schemas');
       const parsed = HeadlineInputSchema.safeParse({ text: '  two   spaces ' });
       console.log(JSON.stringify({
         client: typeof sdk.TickerClient,
         sameError: sdk.TickerError === TickerError,
         text: parsed.success ? parsed.data.text : null,
         bad: HeadlineInputSchema.safeParse({ text: '' }).success,
       }));`,
    );
    const { stdout } = await run('cjs.cjs');
    expect(JSON.parse(stdout)).toEqual({ client: 'function', sameError: true, text: 'two spaces', bad: false });
  });

  it('types resolve under tsc --strict, for an ESM and a CommonJS TypeScript file', async () => {
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: [],
          skipLibCheck: false,
        },
        files: ['consumer.ts', 'consumer.cts', 'widget-consumer.ts'],
      }),
    );
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { TickerClient, TickerError, type Headline } from '@headline-ticker/sdk';
       import type { ErrorCode } from '@headline-ticker/sdk/protocol';
       import { HeadlineSchema } from '@headline-ticker/sdk/schemas';
       const client = new TickerClient({ url: 'http://localhost:8080', key: 'k', topics: ['energy'] });
       client.on('headline', (h: Headline) => { const text: string = h.text; const seq: number = h.seq; void text; void seq; });
       // @ts-expect-error: a Headline has no such field (fails if the types were any)
       client.on('headline', (h) => h.nope);
       const code: ErrorCode = new TickerError('bad_request', 'x').code;
       const parsed: Headline = HeadlineSchema.parse({});
       void code; void parsed;`,
    );
    writeFileSync(
      join(scratch, 'consumer.cts'),
      `import sdk = require('@headline-ticker/sdk');
       const e: sdk.TickerError = new sdk.TickerError('unauthorized', 'x');
       // @ts-expect-error: not an error code
       const bad: sdk.ErrorCode = 'nope';
       export = [e, bad];`,
    );
    writeFileSync(
      join(scratch, 'widget-consumer.ts'),
      `import { define, HeadlineTickerElement } from '@headline-ticker/widgets';
       const El: typeof HeadlineTickerElement = define();
       const el: HeadlineTickerElement = document.createElement('headline-ticker');
       void El; void el;`,
    );
    const result = await execFile(process.execPath, [TSC, '-p', scratch], { cwd: scratch, timeout: 110_000 }).then(
      () => '',
      (err: unknown) => {
        const e = err as { stdout?: string; message?: string };
        return e.stdout || e.message || String(err);
      },
    );
    expect(result).toBe('');
  }, 120_000);

  it('the CLI runs from node_modules/.bin', async () => {
    const bin = join(scratch, 'node_modules/.bin/headline-ticker');
    const help = await execFile(bin, ['help'], { cwd: scratch, env: { PATH: process.env['PATH'] ?? '' } });
    expect(help.stdout).toMatch(/usage/iu);
    const push = await execFile(bin, ['push', 'CLI consumer', '--topics', 'desk'], {
      cwd: scratch,
      env: { PATH: process.env['PATH'] ?? '', TICKER_URL: ticker.url, TICKER_EDITOR_TOKEN: EDITOR_TOKEN },
    });
    expect(push.stdout + push.stderr).toMatch(/queued/u);
    const texts = async () =>
      (
        (await (await fetch(`${ticker.url}/api/headlines?topics=desk&key=${ALL_KEY}`)).json()) as { headlines: { text: string }[] }
      ).headlines.map((h) => h.text);
    await expect.poll(texts, { timeout: 10_000 }).toContain('CLI consumer');
  });

  describe.skipIf(!hasChromium)(`in Chromium${hasChromium ? '' : ` (${NO_CHROMIUM})`}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('the widget bundle and the SDK browser bundle, as installed, load and get headlines', async () => {
      const files: Record<string, string> = {
        '/pkg/widget.js': 'node_modules/@headline-ticker/widgets/dist/widget.js',
        '/pkg/sdk.js': 'node_modules/@headline-ticker/sdk/dist/browser/sdk.js',
      };
      const page = await browser.newPage();
      await page.route(`${host.origin}/pkg/**`, (route) => {
        const file = files[new URL(route.request().url()).pathname];
        return file === undefined
          ? route.fulfill({ status: 404 })
          : route.fulfill({ status: 200, contentType: 'text/javascript', body: readFileSync(join(scratch, file)) });
      });
      const url = host.page(
        '/consumer.html',
        `<!doctype html><meta charset="utf-8">
         <headline-ticker key="${WIDGET_KEY}" server="${ticker.url}" topics="browser"></headline-ticker>
         <script src="/pkg/widget.js"></script>
         <script type="module">
           import { TickerClient } from '/pkg/sdk.js';
           const client = new TickerClient({ url: ${JSON.stringify(ticker.url)}, key: ${JSON.stringify(WIDGET_KEY)}, topics: ['browser'] });
           window.sdkLive = new Promise((r) => client.on('status', (s) => s.status === 'live' && r(true)));
           window.sdkGot = new Promise((r) => client.on('headline', (h) => r(h.text)));
         </script>`,
      );
      try {
        await page.goto(url);
        await page.waitForFunction(() => (window as { sdkLive?: unknown }).sdkLive !== undefined);
        await page.evaluate(() => (window as unknown as { sdkLive: Promise<boolean> }).sdkLive);
        expect(await page.evaluate(() => customElements.get('headline-ticker') !== undefined)).toBe(true);
        expect((await postHeadline(ticker.url, { text: 'Browser consumer', topics: ['browser'] })).status).toBe(202);
        expect(await page.evaluate(() => (window as unknown as { sdkGot: Promise<string> }).sdkGot)).toBe('Browser consumer');
        await page.locator('headline-ticker').getByText('Browser consumer').waitFor({ timeout: 10_000 });
      } finally {
        await page.close();
      }
    });
  });
});
