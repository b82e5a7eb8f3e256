// Versions a site can pin: the immutable per-release bundle URL with its SRI hash (Chromium
// enforces it), every earlier release's pinned URL kept across the upgrade (widgets/releases/),
// the protocol version in the handshake, and the previous release's SDK (built from git history)
// and widget bundle (as released) against the current server.
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningTicker } from '../../server/src/ticker.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { connect, postHeadline } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';
import { ensureBuilt } from './build.js';

const execFile = promisify(execFileCb);
/** The previous release (0.1.0): the commit before this one's work began. */
export const PREVIOUS_RELEASE = '19244c2';
const WIDGET_KEY = 'wgt_versions_page';

interface Release {
  version: string;
  path: string;
  integrity: string;
}
interface Manifest extends Release {
  releases: Release[];
}
/** Released widget bundles, committed; the build copies each into dist/v/ (widgets/releases/README.md). */
const RELEASES = join(ROOT, 'widgets/releases');
const committedReleases = () => readdirSync(RELEASES).filter((v) => /^\d+\.\d+\.\d+$/u.test(v));
const sri = (body: Buffer) => `sha384-${createHash('sha384').update(body).digest('base64')}`;

/**
 * The previous release's client-sdk/ from git, built in a temp dir against this
 * repository's installed dependencies (but its own SDK: the workspace link points there).
 */
function buildPreviousRelease(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-previous-'));
  try {
    execFileSync('git', ['cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    throw new Error(`commit ${PREVIOUS_RELEASE} (release 0.1.0) is not in this clone: fetch the full history (git fetch --unshallow)`);
  }
  const tar = execFileSync('git', ['archive', PREVIOUS_RELEASE, 'client-sdk', 'tsconfig.json', 'package.json'], {
    cwd: ROOT,
    maxBuffer: 64 << 20,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  mkdirSync(join(dir, 'node_modules', '@headline-ticker'), { recursive: true });
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== '@headline-ticker' && name !== '.cache') symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  }
  symlinkSync(join(dir, 'client-sdk'), join(dir, 'node_modules', '@headline-ticker', 'sdk'));
  execFileSync(process.execPath, ['client-sdk/scripts/build.mjs'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

describe('versions a site can pin', () => {
  let ticker: RunningTicker;
  let host: HostServer;
  let manifest: Manifest;
  let previous: string;

  beforeAll(async () => {
    ensureBuilt('sdk', 'widgets');
    previous = buildPreviousRelease();
    host = await startHostServer();
    ticker = await stack.startTicker({
      config: testConfig({
        editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: WIDGET_KEY, name: 'pinning page', topics: ['*'], origins: [host.origin] },
        ],
      }),
    });
    manifest = (await (await fetch(`${ticker.url}/widget/manifest.json`)).json()) as Manifest;
  }, 240_000);
  afterAll(async () => {
    await ticker?.close();
    await host?.close();
    if (previous) rmSync(previous, { recursive: true, force: true });
  });

  it('serves the release bundle at an immutable URL whose bytes match the published SRI hash', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'widgets/package.json'), 'utf8')) as { version: string }).version;
    expect(manifest).toMatchObject({ version, path: `/widget/${version}/widget.js` });
    const res = await fetch(`${ticker.url}${manifest.path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = Buffer.from(await res.arrayBuffer());
    expect(`sha384-${createHash('sha384').update(body).digest('base64')}`).toBe(manifest.integrity);
    // The moving URL serves the same release, with a short cache.
    const moving = await fetch(`${ticker.url}/widget.js`);
    expect(Buffer.from(await moving.arrayBuffer()).equals(body)).toBe(true);
    expect(moving.headers.get('cache-control')).not.toMatch(/immutable/u);
  });

  it("keeps every earlier release's pinned URL across the upgrade: the committed bytes, immutable, under their published SRI hash", async () => {
    const kept = committedReleases();
    expect(kept).toContain('0.1.0'); // the release before this one, as it was served
    expect(manifest.releases.at(-1)).toEqual({ version: manifest.version, path: manifest.path, integrity: manifest.integrity });
    for (const version of kept) {
      const committed = readFileSync(join(RELEASES, version, 'widget.js'));
      const entry = manifest.releases.find((r) => r.version === version);
      expect(entry, version).toEqual({ version, path: `/widget/${version}/widget.js`, integrity: sri(committed) });
      const res = await fetch(`${ticker.url}${entry!.path}`);
      expect(res.status, version).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await res.arrayBuffer()).equals(committed), version).toBe(true);
    }
  });

  it('the build refuses to change a released version: an immutable URL needs a new version for new bytes', async () => {
    const { writeRelease } = await import('../../widgets/scripts/build.js');
    const pkg = mkdtempSync(join(tmpdir(), 'ticker-release-'));
    try {
      for (const [v, body] of [
        ['1.0.0', 'old()'],
        ['1.1.0', 'released()'],
      ]) {
        mkdirSync(join(pkg, 'releases', v!), { recursive: true });
        writeFileSync(join(pkg, 'releases', v!, 'widget.js'), body!);
      }
      writeFileSync(join(pkg, 'bundle.js'), 'changed()');
      expect(() => writeRelease(join(pkg, 'bundle.js'), pkg, '1.1.0')).toThrow(/released with other bytes/u);
      const m = writeRelease(join(pkg, 'bundle.js'), pkg, '1.2.0');
      expect(m.releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
      expect(readFileSync(join(pkg, 'dist/v/1.0.0/widget.js'), 'utf8')).toBe('old()');
      expect(m.integrity).toBe(sri(Buffer.from('changed()')));
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });

  it('answers 404 for a release it does not have, and for anything that is not a version', async () => {
    for (const path of ['/widget/9.9.9/widget.js', '/widget/..%2F..%2Fpackage.json/widget.js', '/widget/latest/widget.js']) {
      const res = await fetch(`${ticker.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
  });

  it('accepts the current protocol version and none, refuses an unknown one', async () => {
    const withVersion = await connect(ticker.url, ALL_KEY);
    withVersion.close();
    const { io } = await import('socket.io-client');
    const handshake = (auth: Record<string, unknown>) =>
      new Promise<string>((resolve) => {
        const s = io(ticker.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
        s.once('connect', () => (s.close(), resolve('connected')));
        s.once('connect_error', (err) => (s.close(), resolve(err.message)));
      });
    expect(await handshake({ key: ALL_KEY, v: 1 })).toBe('connected');
    expect(await handshake({ key: ALL_KEY })).toBe('connected');
    expect(await handshake({ key: ALL_KEY, v: 99 })).toBe('unsupported_version');
    expect(await handshake({ key: ALL_KEY, v: 'one' })).toBe('unsupported_version');
  });

  it("the previous release's SDK (from git) receives headlines in order from the current server", async () => {
    const script = `
      const { TickerClient } = await import(${JSON.stringify(join(previous, 'client-sdk/dist/esm/index.js'))});
      const [url, key] = process.argv.slice(1);
      const client = new TickerClient({ url, key, topics: ['compat'] });
      const seen = [];
      client.on('status', (s) => s.status === 'live' && console.log('live'));
      client.on('headline', async (h) => {
        seen.push(h.text);
        if (seen.length === 2) { console.log(JSON.stringify(seen)); await client.close(); }
      });`;
    const child = execFile(process.execPath, ['--input-type=module', '-e', script, ticker.url, ALL_KEY], { timeout: 30_000 });
    let out = '';
    child.child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    while (!out.includes('live')) await new Promise((r) => setTimeout(r, 50));
    expect((await postHeadline(ticker.url, { text: 'compat one', topics: ['compat'] })).status).toBe(202);
    expect((await postHeadline(ticker.url, { text: 'compat two', topics: ['compat'] })).status).toBe(202);
    const { stdout } = await child;
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual(['compat one', 'compat two']);
  });

  describe.skipIf(!hasChromium)(`in Chromium${hasChromium ? '' : ` (${NO_CHROMIUM})`}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    const defined = async (html: string, routes: Record<string, Buffer> = {}) => {
      const page = await browser.newPage();
      for (const [path, body] of Object.entries(routes)) {
        await page.route(`${host.origin}${path}`, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body }));
      }
      const blocked: string[] = [];
      page.on('console', (m) => m.type() === 'error' && blocked.push(m.text()));
      await page.goto(host.page(`/p${Math.random().toString(36).slice(2)}.html`, `<!doctype html><meta charset="utf-8">${html}`), {
        waitUntil: 'load',
      });
      return { page, blocked, isDefined: () => page.evaluate(() => customElements.get('headline-ticker') !== undefined) };
    };

    it('a pinned <script integrity=…> loads; a tampered hash is refused by the browser', async () => {
      const good = await defined(
        `<script src="${ticker.url}${manifest.path}" integrity="${manifest.integrity}" crossorigin="anonymous"></script>`,
      );
      expect(await good.isDefined()).toBe(true);
      await good.page.close();
      const wrong = manifest.integrity.replace(/^sha384-./u, (m) => (m.endsWith('A') ? 'sha384-B' : 'sha384-A'));
      const bad = await defined(`<script src="${ticker.url}${manifest.path}" integrity="${wrong}" crossorigin="anonymous"></script>`);
      expect(await bad.isDefined()).toBe(false);
      expect(bad.blocked.join('\n')).toMatch(/integrity/iu);
      await bad.page.close();
    });

    it("the previous release's widget, pinned at its versioned URL with its SRI hash, shows headlines from the current server", async () => {
      const previousWidget = manifest.releases.at(-2)!;
      expect(previousWidget.version).not.toBe(manifest.version);
      const { page, blocked } = await defined(
        `<headline-ticker key="${WIDGET_KEY}" server="${ticker.url}" topics="compat-widget"></headline-ticker>` +
          `<script src="${ticker.url}${previousWidget.path}" integrity="${previousWidget.integrity}" crossorigin="anonymous"></script>`,
      );
      try {
        expect(blocked).toEqual([]);
        await page.waitForFunction(() => document.querySelector('headline-ticker')?.shadowRoot !== null);
        expect((await postHeadline(ticker.url, { text: 'old widget, new server', topics: ['compat-widget'] })).status).toBe(202);
        await page.locator('headline-ticker').getByText('old widget, new server').waitFor({ timeout: 10_000 });
      } finally {
        await page.close();
      }
    });
  });
});
