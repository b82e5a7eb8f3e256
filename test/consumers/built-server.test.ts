// The server as production runs it: compiled JavaScript under plain `node` (no TypeScript
// loader), NODE_ENV=production with a config file; a headline published over REST reaches a
// socket subscriber. And the compiled code needs nothing at run time that the image's
// `npm ci --omit=dev` leaves out.
import { createHash } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, postHeadline, Recorder, subscribeOk } from '../helpers/clients.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ROOT, writeConfigFile } from '../helpers/stack.js';
import { ensureBuilt } from './build.js';

/** The operator CLIs as the image has them (docs/feeds.md, docs/operations.md). */
const CHECK_FEED_CLI = 'server/dist/sources/check-feed-cli.js';
const USAGE_CLI = 'server/dist/usage/usage-cli.js';
// The compiled server shares the run's redis-server under this file's prefix (TICKER_PREFIX).
const stack = useStack({ ticker: false });

/** The image's command: the Dockerfile's last `CMD ["node", …]`. */
export function imageCommand(): string[] {
  const cmds = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^CMD (\[.*\])$/gmu)];
  return JSON.parse(cmds.at(-1)![1]!) as string[];
}

/** The image's command on a free port; resolves with its URL once it logs that it started. */
export async function startBuiltServer(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; output: () => string; stop: () => Promise<void> }> {
  const [node, ...args] = imageCommand();
  expect(node).toBe('node');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    // NODE_OPTIONS cleared: vitest's workers may carry loader flags; production has none.
    env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the built server did not start in 20 s:\n${out}`)), 20_000);
    child.stdout.on('data', () => {
      const m = /"port":(\d+)[^\n]*"msg":"headline ticker started"/u.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the built server exited before starting:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('the compiled server (the image command: node server/dist/main.js)', () => {
  it('is what the Dockerfile runs, with no TypeScript loader', () => {
    expect(imageCommand()).toEqual(['node', 'server/dist/main.js']);
  });

  let server: Awaited<ReturnType<typeof startBuiltServer>>;

  beforeAll(async () => {
    ensureBuilt('sdk', 'server');
    // Production refuses short secrets in clear; digests are accepted, and the test's clients
    // still present the same key and token.
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const config = {
      editors: [{ name: 'test-desk', tokenSha256: sha(EDITOR_TOKEN) }],
      keys: [{ keySha256: sha(ALL_KEY), name: 'all topics', topics: ['*'] }],
    };
    server = await startBuiltServer({
      NODE_ENV: 'production',
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: stack.prefix,
      TICKER_CONFIG: writeConfigFile(config),
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('delivers a published headline to a subscriber', async () => {
    const socket = await connect(server.url, ALL_KEY);
    try {
      const rec = new Recorder(socket);
      await subscribeOk(socket, { topics: ['energy'] });
      const posted = await postHeadline(server.url, { text: 'Built server round trip', topics: ['energy'] });
      expect(posted.status).toBe(202);
      const [h] = await rec.count(1);
      expect(h).toMatchObject({ id: posted.json.id, text: 'Built server round trip', topics: ['energy'] });
    } finally {
      socket.close();
    }
  });

  it('refuses to start in production without a config file', async () => {
    await expect(startBuiltServer({ NODE_ENV: 'production', REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix })).rejects.toThrow(
      /TICKER_CONFIG: required/u,
    );
  });

  it('runs the operator CLIs compiled, as in the image: check-feed and usage, no tsx', () => {
    // `npm run check-feed` / `npm run usage` load TypeScript through tsx, a dev dependency the
    // image leaves out; docs/feeds.md and docs/operations.md give these commands instead.
    const run = (args: string[]) =>
      spawnSync(process.execPath, args, {
        cwd: ROOT,
        env: { PATH: process.env['PATH'] ?? '', NODE_OPTIONS: '', REDIS_URL: stack.redis.url, TICKER_PREFIX: stack.prefix },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const feed = run([CHECK_FEED_CLI, 'test/fixtures/real-feeds/guardian.rss']);
    expect(feed.status, feed.stderr).toBe(0);
    const line = JSON.parse(feed.stdout.trim()) as { ok: boolean; format: string; items: { text: string }[] };
    expect(line).toMatchObject({ ok: true, format: 'rss' });
    expect(line.items.length).toBeGreaterThan(0);
    const usage = run([USAGE_CLI, '--from', '2026-11-01', '--to', '2026-11-02']);
    expect(usage.status, usage.stderr).toBe(0);
    // The CSV's header row (no usage recorded on this day range).
    expect(usage.stdout).toMatch(/^day,key_ref,key_name,/u);
  });

  it('imports at run time only Node built-ins and the production dependencies (the server and the CLIs)', async () => {
    const result = await build({
      entryPoints: [join(ROOT, 'server/dist/main.js'), join(ROOT, CHECK_FEED_CLI), join(ROOT, USAGE_CLI)],
      outdir: 'out',
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const bare = new Set(
      Object.values(result.metafile.inputs)
        .flatMap((i) => i.imports)
        .filter((i) => i.external)
        .map((i) => i.path)
        .filter((p) => !p.startsWith('node:') && !builtinModules.includes(p))
        .map((p) => (p.startsWith('@') ? p.split('/').slice(0, 2).join('/') : p.split('/')[0]!)),
    );
    const deps = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'server/package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies,
    );
    expect([...bare].filter((p) => !deps.includes(p))).toEqual([]);
    expect(bare.has('tsx')).toBe(false);
    expect(bare.size).toBeGreaterThan(3);
  });
});
