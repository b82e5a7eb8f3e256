// GET /api/stream (Server-Sent Events) with no client library: curl -N as a child process,
// Node's fetch, Chromium's EventSource, and both curl and Chromium through the shipped nginx
// configuration — including, for each, a resume with Last-Event-ID after a dropped connection
// (for Chromium: the proxy restarts and the browser reconnects by itself), nothing lost or doubled.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { REPLAY_PAGE_MAX_EVENTS } from '@headline-ticker/sdk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_MS } from '../../server/src/api/stream-route.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { hasChromium, launchChromium, NO_CHROMIUM, startHostServer, type HostServer } from '../helpers/browser.js';
import { postHeadline } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN, testConfig } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server; each ticker here has a feed of its own under this file's prefix.
const stack = useStack({ ticker: false });

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Parses an SSE byte stream as it arrives (the format from the HTML standard, no library). */
class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | null = null;
  #buffer = '';

  push(chunk: string): void {
    this.#buffer += chunk;
    let cut: number;
    while ((cut = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, cut);
      this.#buffer = this.#buffer.slice(cut + 2);
      const e: SseEvent = { event: 'message', data: '' };
      let hasData = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
        else if (line.startsWith('id: ')) e.id = line.slice(4);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) {
          e.data += line.slice(6);
          hasData = true;
        }
      }
      if (hasData) this.events.push(e);
    }
  }

  headlines(): { seq: number; text: string }[] {
    return this.events.filter((e) => e.event === 'headline').map((e) => JSON.parse(e.data) as { seq: number; text: string });
  }
}

/** `curl -sN` as a child process, its output parsed as it comes. */
function curl(url: string, headers: Record<string, string> = {}): { reader: SseReader; child: ChildProcess; stop: () => Promise<void> } {
  const args = ['-sN', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const reader = new SseReader();
  child.stdout.on('data', (c: Buffer) => reader.push(c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    reader,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function publish(base: string, texts: string[], topics = ['sse']): Promise<void> {
  for (const text of texts) {
    const r = await postHeadline(base, { text, topics });
    if (r.status !== 202) throw new Error(`publish: ${r.status} ${JSON.stringify(r.json)}`);
  }
}

async function streamsOpen(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^ticker_streams_open (\d+)/mu.exec(text)?.[1] ?? NaN);
}

describe('GET /api/stream (Server-Sent Events)', () => {
  let ticker: RunningTicker;
  let host: HostServer;
  const WIDGET_KEY = 'wgt_stream_page';

  beforeAll(async () => {
    host = await startHostServer();
    ticker = await stack.startTicker({
      prefix: 'direct',
      stream: { heartbeatMs: 200, retryMs: 1000, retryJitterMs: 500 },
      config: testConfig({
        editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: 'sdk_energy_only', name: 'energy only', topics: ['energy'] },
          { key: 'demo_delayed', name: 'delayed demo', topics: ['*'], delaySeconds: 2 },
          { key: 'sdk_revoke_me', name: 'to be revoked', topics: ['*'] },
          { key: WIDGET_KEY, name: 'stream page', topics: ['*'], origins: [host.origin] },
        ],
      }),
    });
  });
  afterAll(async () => {
    await ticker?.close();
    await host?.close();
  });

  it('refuses a missing key (401) and a bad query (400) as JSON, before any stream', async () => {
    const none = await fetch(`${ticker.url}/api/stream`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const bad = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&since=-1`);
    expect(bad.status).toBe(400);
    const version = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&v=99`);
    expect(version.status).toBe(400);
    const badId = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}`, { headers: { 'last-event-id': 'abc' } });
    expect(badId.status).toBe(400);
  });

  it.skipIf(!hasCurl)('curl -N gets the tape: retry with jitter, heartbeats, live headlines with their seq as id', async () => {
    const c = curl(`${ticker.url}/api/stream?topics=sse`, { authorization: `Bearer ${ALL_KEY}` });
    try {
      await until(() => c.reader.retry !== null, 'the retry line');
      expect(c.reader.retry).toBeGreaterThanOrEqual(1000);
      expect(c.reader.retry).toBeLessThan(1500);
      await publish(ticker.url, ['curl one', 'curl two']);
      await until(() => c.reader.headlines().length >= 2, 'two headlines over curl');
      const [one, two] = c.reader.headlines();
      expect([one!.text, two!.text]).toEqual(['curl one', 'curl two']);
      expect(c.reader.events.filter((e) => e.event === 'headline').map((e) => Number(e.id))).toEqual([one!.seq, two!.seq]);
      await until(() => c.reader.comments.includes('heartbeat'), 'a heartbeat comment');
    } finally {
      await c.stop();
    }
    // The client went away: its stream, tap and heartbeat are gone.
    await until(async () => (await streamsOpen(ticker.url)) === 0, 'no open stream');
  });

  it('tells each stream its own reconnect delay: retry jittered within [retryMs, retryMs + retryJitterMs)', async () => {
    // One value in range would not tell a constant from a jittered delay: several streams must
    // differ, or a gateway restart would have every client reconnect in the same instant.
    const retries = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&topics=jitter&limit=0`);
        const reader = new SseReader();
        const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        while (reader.retry === null) reader.push((await body.read()).value ?? '');
        await body.cancel();
        return reader.retry;
      }),
    );
    for (const r of retries) {
      expect(r).toBeGreaterThanOrEqual(1000);
      expect(r).toBeLessThan(1500);
    }
    // 8 draws from 500 values: all equal has a chance of 500^-7.
    expect(new Set(retries).size).toBeGreaterThan(1);
  });

  it('resumes after Last-Event-ID with exactly what was missed, and keeps entitlements', async () => {
    await publish(ticker.url, ['resume a', 'resume b', 'resume c']);
    await publish(ticker.url, ['energy x'], ['energy']);
    const history = (await (await fetch(`${ticker.url}/api/headlines?topics=sse&key=${ALL_KEY}&limit=3`)).json()) as {
      headlines: { seq: number; text: string }[];
    };
    const a = history.headlines.find((h) => h.text === 'resume a')!;
    const ctl = new AbortController();
    const res = await fetch(`${ticker.url}/api/stream?key=sdk_energy_only`, {
      headers: { 'last-event-id': String(a.seq - 1) },
      signal: ctl.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/u);
    const reader = new SseReader();
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (!reader.headlines().some((h) => h.text === 'energy x')) reader.push((await body.read()).value ?? '');
    // The energy-only key sees no "sse" headline, however far back it resumes.
    expect(reader.headlines().map((h) => h.text)).toEqual(['energy x']);
    ctl.abort();

    const all = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&topics=sse`, { headers: { 'last-event-id': String(a.seq) } });
    const r2 = new SseReader();
    const b2 = all.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (r2.headlines().length < 2) r2.push((await b2.read()).value ?? '');
    expect(r2.headlines().map((h) => h.text)).toEqual(['resume b', 'resume c']);
    await b2.cancel();
  });

  it(`a resume from further back than ${REPLAY_PAGE_MAX_EVENTS} events gets the bounded replay, then a reset`, async () => {
    const start = ((await (await fetch(`${ticker.url}/api/headlines?key=${ALL_KEY}&limit=1`)).json()) as { seq: number }).seq;
    const texts = Array.from({ length: REPLAY_PAGE_MAX_EVENTS + 5 }, (_, i) => `bulk ${i}`);
    for (let i = 0; i < texts.length; i += 25)
      await Promise.all(texts.slice(i, i + 25).map((t) => postHeadline(ticker.url, { text: t, topics: ['bulk'] })));
    await until(
      async () =>
        ((await (await fetch(`${ticker.url}/api/headlines?key=${ALL_KEY}&limit=1`)).json()) as { seq: number }).seq >= start + texts.length,
      'the bulk is published',
      150_000,
    );
    const res = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&topics=bulk&since=${start}`);
    const reader = new SseReader();
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (!reader.events.some((e) => e.event === 'reset')) reader.push((await body.read()).value ?? '');
    await body.cancel();
    const replayed = reader.headlines();
    expect(replayed).toHaveLength(REPLAY_PAGE_MAX_EVENTS);
    const reset = reader.events.find((e) => e.event === 'reset')!;
    const info = JSON.parse(reset.data) as { seq: number; reason: string };
    expect(info.reason).toBe('replay_bound');
    expect(info.seq).toBeGreaterThanOrEqual(start + texts.length);
    expect(reset.id).toBe(String(info.seq));
    // In order, each once.
    expect(replayed.map((h) => h.seq)).toEqual([...replayed.map((h) => h.seq)].sort((x, y) => x - y));
    expect(new Set(replayed.map((h) => h.seq)).size).toBe(replayed.length);
  }, 200_000);

  it('a delayed key gets each headline its delay after publication, as on the socket', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${ticker.url}/api/stream?key=demo_delayed&topics=delayed&limit=0`, { signal: ctl.signal });
    const reader = new SseReader();
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (reader.retry === null) reader.push((await body.read()).value ?? '');
    await publish(ticker.url, ['late news'], ['delayed']);
    while (reader.headlines().length === 0) reader.push((await body.read()).value ?? '');
    const arrived = Date.now();
    const h = JSON.parse(reader.events.find((e) => e.event === 'headline')!.data) as { text: string; publishedAt: string };
    expect(h.text).toBe('late news');
    expect(arrived - Date.parse(h.publishedAt)).toBeGreaterThanOrEqual(1900);
    ctl.abort();
  });

  it('a Last-Event-ID ahead of the feed (the feed started again) gets a snapshot, then a feed_restarted reset', async () => {
    await publish(ticker.url, ['after restart'], ['restart']);
    let seq = 0;
    await until(async () => {
      const body = (await (await fetch(`${ticker.url}/api/headlines?topics=restart&key=${ALL_KEY}`)).json()) as {
        headlines: { seq: number }[];
      };
      seq = body.headlines[0]?.seq ?? 0;
      return seq > 0;
    }, 'the headline is in the log');
    await until(() => ticker.gateway!.horizon(0) >= seq, 'the gateway has delivered it');
    const res = await fetch(`${ticker.url}/api/stream?key=${ALL_KEY}&topics=restart`, { headers: { 'last-event-id': '999999999' } });
    const reader = new SseReader();
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (!reader.events.some((e) => e.event === 'reset')) reader.push((await body.read()).value ?? '');
    await body.cancel();
    expect(reader.headlines().map((h) => h.text)).toEqual(['after restart']);
    const reset = JSON.parse(reader.events.find((e) => e.event === 'reset')!.data) as { seq: number; reason: string };
    expect(reset.reason).toBe('feed_restarted');
    expect(reset.seq).toBeGreaterThanOrEqual(reader.headlines()[0]!.seq);
  });

  it('a key removed by a reload gets bye "revoked" and its stream ends', async () => {
    const res = await fetch(`${ticker.url}/api/stream?key=sdk_revoke_me`);
    const reader = new SseReader();
    const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    while (reader.retry === null) reader.push((await body.read()).value ?? '');
    await ticker.reload(
      testConfig({
        editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
        keys: [
          { key: ALL_KEY, name: 'all topics', topics: ['*'] },
          { key: 'sdk_energy_only', name: 'energy only', topics: ['energy'] },
          { key: 'demo_delayed', name: 'delayed demo', topics: ['*'], delaySeconds: 2 },
          { key: WIDGET_KEY, name: 'stream page', topics: ['*'], origins: [host.origin] },
        ],
      }),
    );
    for (;;) {
      const { value, done } = await body.read();
      if (done) break;
      reader.push(value);
    }
    expect(reader.events.at(-1)).toEqual({ event: 'bye', data: '{"reason":"revoked"}' });
    expect((await fetch(`${ticker.url}/api/stream?key=sdk_revoke_me`)).status).toBe(401);
  });

  it('a Last-Event-ID older than the retained log gets a snapshot, then a log_trimmed reset', async () => {
    const small = await stack.startTicker({
      prefix: 'trimmed',
      config: testConfig({ retention: { maxEvents: 10, minAgeSeconds: 0 } }),
    });
    try {
      await publish(
        small.url,
        Array.from({ length: 40 }, (_, i) => `trim ${i}`),
        ['trim'],
      );
      // Every one appended (a 202 is queued, not yet appended) and the log trimmed: no live
      // headline can then arrive between the snapshot and the reset.
      await until(
        async () => {
          const latest = (await (await fetch(`${small.url}/api/headlines?key=${ALL_KEY}&limit=1`)).json()) as { seq: number };
          const old = (await (await fetch(`${small.url}/api/headlines?key=${ALL_KEY}&since=1`)).json()) as { reset?: true };
          return latest.seq >= 40 && old.reset === true && small.gateway!.horizon(0) >= 40;
        },
        'all 40 appended and the log trimmed',
        30_000,
      );
      const res = await fetch(`${small.url}/api/stream?key=${ALL_KEY}&topics=trim&limit=3`, { headers: { 'last-event-id': '1' } });
      const reader = new SseReader();
      const body = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      while (!reader.events.some((e) => e.event === 'reset')) reader.push((await body.read()).value ?? '');
      await body.cancel();
      const reset = JSON.parse(reader.events.find((e) => e.event === 'reset')!.data) as { seq: number; reason: string };
      expect(reset.reason).toBe('log_trimmed');
      expect(reader.headlines()).toHaveLength(3);
      expect(reader.headlines().every((h) => h.seq <= reset.seq)).toBe(true);
    } finally {
      await small.close();
    }
  });

  describe.skipIf(!hasChromium)(`Chromium's EventSource${hasChromium ? '' : ` (${NO_CHROMIUM})`}`, () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('gets the tape cross-origin with a widget key bound to the page origin', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(
          host.page(
            '/sse.html',
            `<!doctype html><script>
              window.got = [];
              window.es = new EventSource(${JSON.stringify(`${ticker.url}/api/stream?key=${WIDGET_KEY}&topics=browser-sse`)});
              window.es.onopen = () => (window.opened = true);
              es.addEventListener('headline', (e) => window.got.push({ id: e.lastEventId, text: JSON.parse(e.data).text }));
            </script>`,
          ),
        );
        await page.waitForFunction(() => (window as { opened?: boolean }).opened === true);
        await publish(ticker.url, ['in the browser'], ['browser-sse']);
        await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length === 1);
        const got = await page.evaluate(() => (window as unknown as { got: { id: string; text: string }[] }).got);
        expect(got[0]!.text).toBe('in the browser');
        expect(Number(got[0]!.id)).toBeGreaterThan(0);
      } finally {
        await page.close();
      }
    });
  });
});

// ---- through the shipped nginx configuration ---------------------------------------------

const hasNginx = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('deploy/nginx.conf and the stream', () => {
  const conf = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');

  it('does not buffer /api/stream and waits longer than a heartbeat for the next byte', () => {
    const block = /location = \/api\/stream \{([^}]*)\}/u.exec(conf)?.[1] ?? '';
    expect(block).toMatch(/proxy_buffering off;/u);
    const read = Number(/proxy_read_timeout (\d+)s;/u.exec(block)?.[1]);
    expect(read * 1000).toBeGreaterThan(HEARTBEAT_MS * 2);
  });

  // Not a hidden skip: nginx is installed by .ci/run; locally, say why this did not run.
  describe.skipIf(!hasNginx || !hasCurl)(`through nginx${hasNginx ? '' : ' (skipped: no nginx; apt-get install nginx)'}`, () => {
    let ticker: RunningTicker;
    let host: HostServer;
    let nginx: ChildProcess | null = null;
    let dir: string;
    let port: number;
    let base: string;
    const PAGE_KEY = 'wgt_nginx_page';

    /** nginx as shipped, on the same port each time, so a restart is a dropped connection and nothing else. */
    const startNginx = async (): Promise<void> => {
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
      await until(async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200, 'nginx proxies', 10_000);
    };
    const readLog = (): string[] => {
      try {
        return readFileSync(join(dir, 'access.log'), 'utf8').split('\n');
      } catch {
        return [];
      }
    };
    const stopNginx = async (): Promise<void> => {
      const running = nginx;
      nginx = null;
      if (running === null || running.exitCode !== null) return;
      const gone = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM'); // fast shutdown: open streams are cut, as when a proxy restarts
      await gone;
    };

    beforeAll(async () => {
      host = await startHostServer();
      ticker = await stack.startTicker({
        prefix: 'nginx',
        stream: { heartbeatMs: 200, retryMs: 300, retryJitterMs: 200 },
        config: testConfig({
          editors: [{ name: 'test-desk', token: EDITOR_TOKEN }],
          keys: [
            { key: ALL_KEY, name: 'all topics', topics: ['*'] },
            { key: PAGE_KEY, name: 'page behind nginx', topics: ['*'], origins: [host.origin] },
          ],
        }),
      });
      dir = mkdtempSync(join(tmpdir(), 'ticker-nginx-'));
      port = await freePort();
      const site = conf
        .replace(/server gateway1:8080[^;]*;/u, `server 127.0.0.1:${ticker.port};`)
        .replace(/\s*server gateway2:8080[^;]*;/u, '')
        .replace(/listen 80;/u, `listen 127.0.0.1:${port};`)
        // Everything else as shipped; the log (written when a request ends) also says which
        // Last-Event-ID each stream request carried.
        .replace(/access_log \S+ ticker;/u, `access_log ${dir}/access.log resume;`);
      writeFileSync(join(dir, 'site.conf'), site);
      writeFileSync(
        join(dir, 'nginx.conf'),
        `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
         events {}
         http {
           log_format resume '$uri $status last-event-id="$http_last_event_id"';
           client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
           uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
           include ${dir}/site.conf;
         }`,
      );
      base = `http://127.0.0.1:${port}`;
      await startNginx();
    });
    afterAll(async () => {
      await stopNginx();
      await ticker?.close();
      await host?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('events arrive one by one (not buffered); a dropped connection resumes with nothing lost or doubled', async () => {
      const first = curl(`${base}/api/stream?key=${ALL_KEY}&topics=nginx`);
      await until(() => first.reader.retry !== null, 'the stream through nginx');
      await publish(base, ['via nginx 1'], ['nginx']);
      // Unbuffered: the one event arrives on its own, with no more traffic behind it.
      await until(() => first.reader.headlines().length === 1, 'the first event through nginx');
      await until(() => first.reader.comments.includes('heartbeat'), 'a heartbeat through nginx');
      const lastId = first.reader.events.filter((e) => e.id !== undefined).at(-1)!.id!;
      await first.stop(); // the connection drops

      await publish(base, ['via nginx 2', 'via nginx 3'], ['nginx']); // published while away
      const second = curl(`${base}/api/stream?key=${ALL_KEY}&topics=nginx`, { 'last-event-id': lastId });
      try {
        await publish(base, ['via nginx 4'], ['nginx']);
        await until(() => second.reader.headlines().length >= 3, 'the missed and the new events');
        const texts = [...first.reader.headlines(), ...second.reader.headlines()].map((h) => h.text);
        expect(texts).toEqual(['via nginx 1', 'via nginx 2', 'via nginx 3', 'via nginx 4']);
      } finally {
        await second.stop();
      }
    });

    it.skipIf(!hasChromium)(
      `Chromium's EventSource through nginx: a restart of the proxy drops the stream, the browser's own Last-Event-ID reconnect resumes, each headline once and in order${hasChromium ? '' : ` (${NO_CHROMIUM})`}`,
      async () => {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          // The page is another origin than the proxy, as an embedding site is; its widget key is
          // licensed for that origin only (EventSource sends it as Origin).
          await page.goto(
            host.page(
              '/nginx-sse.html',
              `<!doctype html><script>
                window.got = []; window.opens = 0; window.errors = 0;
                window.es = new EventSource(${JSON.stringify(`${base}/api/stream?key=${PAGE_KEY}&topics=browser-nginx&limit=0`)});
                window.es.onopen = () => window.opens++;
                window.es.onerror = () => window.errors++;
                window.es.addEventListener('headline', (e) => window.got.push({ id: e.lastEventId, text: JSON.parse(e.data).text }));
              </script>`,
            ),
          );
          type Page = { got: { id: string; text: string }[]; opens: number; errors: number; es: EventSource };
          const state = () =>
            page.evaluate(() => {
              const w = window as unknown as Page;
              return { got: w.got, opens: w.opens, errors: w.errors, readyState: w.es.readyState };
            });
          await page.waitForFunction(() => (window as unknown as Page).opens === 1);
          await publish(base, ['page 1', 'page 2'], ['browser-nginx']);
          await page.waitForFunction(() => (window as unknown as Page).got.length === 2);
          const lastBeforeDrop = (await state()).got[1]!.id;

          await stopNginx(); // the connection drops under the browser
          await page.waitForFunction(() => (window as unknown as Page).errors >= 1);
          expect((await state()).readyState).toBe(0); // CONNECTING: the browser will retry by itself
          await publish(ticker.url, ['page 3', 'page 4'], ['browser-nginx']); // published while the proxy is down
          await startNginx();

          await page.waitForFunction(() => (window as unknown as Page).opens === 2, undefined, { timeout: 15_000 });
          await publish(base, ['page 5'], ['browser-nginx']);
          // The newest, then one more: a lost or doubled headline shows in the list compared below.
          await page.waitForFunction(() => (window as unknown as Page).got.some((h) => h.text === 'page 5'));
          await publish(base, ['page 6'], ['browser-nginx']);
          await page.waitForFunction(() => (window as unknown as Page).got.some((h) => h.text === 'page 6'));
          const { got } = await state();
          expect(got.map((h) => h.text)).toEqual(['page 1', 'page 2', 'page 3', 'page 4', 'page 5', 'page 6']);
          const ids = got.map((h) => Number(h.id));
          expect(ids).toEqual([...ids].sort((a, b) => a - b));
          expect(new Set(ids).size).toBe(ids.length);
          await page.close();
          // The reconnect was the browser's own: it carried the last id it had seen through nginx
          // (nginx logs a stream when it ends — here, when the page closed).
          await until(
            () => readLog().some((l) => l.startsWith('/api/stream ') && l.includes(`last-event-id="${lastBeforeDrop}"`)),
            'the reconnect with Last-Event-ID in the nginx log',
          );
        } finally {
          await browser.close();
        }
      },
      60_000,
    );
  });
});
