import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ALL_KEY } from '../helpers/config.js';
import { Recorder, connect, postHeadline, subscribeOk } from '../helpers/clients.js';
import { usePrivateStack } from '../helpers/harness.js';
import { ROOT, startInProcess, startProcess, writeConfigFile } from '../helpers/stack.js';
import { until, waitFor } from '../helpers/wait.js';

// Real processes use the default key prefix: a redis-server of its own.
const stack = usePrivateStack({ ticker: false });

describe('graceful shutdown', () => {
  it('SIGTERM: clients are told "shutdown" and disconnected, the process exits 0 (before the 10 s cap)', async () => {
    const p = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_CONFIG: writeConfigFile() });
    const clients = await Promise.all([connect(p.url, ALL_KEY), connect(p.url, ALL_KEY)]);
    await Promise.all(clients.map((c) => subscribeOk(c, { limit: 0 })));
    const byes = clients.map((c) => waitFor<{ reason: string }>(c, 'bye'));
    const disconnects = clients.map((c) => waitFor<string>(c, 'disconnect'));
    p.child.kill('SIGTERM');
    expect(await Promise.all(byes)).toMatchObject([{ reason: 'shutdown' }, { reason: 'shutdown' }]);
    expect(await Promise.all(disconnects)).toEqual(['io server disconnect', 'io server disconnect']);
    // Exit code 0 is only reached by the graceful path: the 10 s cap exits 1.
    expect(await p.exited).toEqual({ code: 0, signal: null });
    const lines = p
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.some((l) => (JSON.parse(l) as { msg: string }).msg === 'headline ticker stopped')).toBe(true);
  });

  it('a second signal exits at once', async () => {
    const p = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_CONFIG: writeConfigFile() });
    // Back to back: the second arrives while the first shutdown still waits on Redis and sockets.
    p.child.kill('SIGTERM');
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 1, signal: null });
    expect(p.output()).toContain('second signal: exiting now');
  });
});

describe('a start that fails half-way', () => {
  it('stops what it had started: no Redis connection is left open', async () => {
    const clients = async () =>
      String(await stack.redis.client.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l: string) => l.includes('headline-ticker')).length;
    const before = await clients();
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startInProcess(stack.redis.url, { prefix: 'halfway', port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/u);
      await until(async () => (await clients()) === before, 'every connection it opened is closed');
    } finally {
      blocker.close();
    }
  });
});

describe('configuration errors exit non-zero naming what is wrong', () => {
  const bad: [string, Record<string, string>, RegExp][] = [
    ['PORT', { PORT: 'eighty' }, /PORT/u],
    ['TICKER_ROLE', { TICKER_ROLE: 'janitor' }, /TICKER_ROLE/u],
    ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }, /REDIS_URL/u],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /LOG_LEVEL/u],
    ['TICKER_CONFIG missing file', { TICKER_CONFIG: '/nonexistent/ticker.json' }, /TICKER_CONFIG: cannot read/u],
    ['production without TICKER_CONFIG', { NODE_ENV: 'production' }, /TICKER_CONFIG: required when NODE_ENV=production/u],
    ['fault injection in production', { NODE_ENV: 'production', TICKER_FAULT_KILL_AFTER_SEQ: '3' }, /TICKER_FAULT_KILL_AFTER_SEQ/u],
  ];
  it.each(bad)('%s', async (_name, env, message) => {
    const p = await startProcess('all', { REDIS_URL: stack.redis.url, ...env }, { waitForStart: false });
    const { code } = await p.exited;
    expect(code).toBe(2);
    expect(p.output()).toMatch(message);
  });

  it('a config file field names its path', async () => {
    const path = writeConfigFile({ keys: [{ key: 'sdk_valid_key', name: 'k', topics: ['Not A Slug'] }], editors: [{ name: 'e' }] });
    const p = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_CONFIG: path }, { waitForStart: false });
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toMatch(/keys\.0\.topics\.0/u);
    expect(p.output()).toMatch(/editors\.0: give exactly one of token or tokenSha256/u);
    writeFileSync(path, '{ not json');
    const q = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_CONFIG: path }, { waitForStart: false });
    expect((await q.exited).code).toBe(2);
    expect(q.output()).toMatch(/is not valid JSON/u);
  });
});

describe('logs and metrics', () => {
  it('logs are JSON lines with level and msg, one per request, and never a key or token', async () => {
    const p = await startProcess('all', { REDIS_URL: stack.redis.url, TICKER_CONFIG: writeConfigFile() });
    try {
      await fetch(`${p.url}/api/headlines?key=${ALL_KEY}`);
      await postHeadline(p.url, { text: 'logged' });
      await postHeadline(p.url, { text: 'refused' }, 'ed_wrong_but_secret');
      const s = await connect(p.url, ALL_KEY);
      s.close();
      await p.kill('SIGTERM');
      const lines = p
        .output()
        .split('\n')
        .filter((l) => l.trim().startsWith('{'));
      const entries = lines.map((l) => JSON.parse(l) as { level: number; msg: string; req?: { method: string; url: string } });
      for (const e of entries) {
        expect(typeof e.level).toBe('number');
        expect(typeof e.msg).toBe('string');
      }
      const requests = entries.filter((e) => e.req);
      expect(requests.map((e) => `${e.req!.method} ${e.req!.url}`)).toEqual(
        expect.arrayContaining(['GET /api/headlines?key=[redacted]', 'POST /api/headlines']),
      );
      expect(p.output()).not.toContain(ALL_KEY);
      expect(p.output()).not.toContain('ed_test_token_1');
      expect(p.output()).not.toContain('ed_wrong_but_secret');
    } finally {
      await p.kill('SIGKILL');
    }
  });

  it('/metrics is Prometheus text and moves with traffic', async () => {
    const ticker = await startInProcess(stack.redis.url, { prefix: 'metrics' });
    try {
      const scrape = async () => {
        const text = await fetch(`${ticker.url}/metrics`).then((r) => r.text());
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'mu').exec(text)?.[1] ?? 0);
        return { text, value };
      };
      const before = await scrape();
      expect(before.text).toContain('# TYPE process_cpu_user_seconds_total counter');
      const s = await connect(ticker.url, ALL_KEY);
      const rec = new Recorder(s);
      await subscribeOk(s, { limit: 0 });
      await postHeadline(ticker.url, { text: 'counted' });
      await postHeadline(ticker.url, { text: '' });
      await rec.count(1);
      await subscribeOk(s, { since: 0 });
      const after = await scrape();
      expect(after.value('ticker_headlines_ingested_total\\{op="publish"\\}')).toBe(
        before.value('ticker_headlines_ingested_total\\{op="publish"\\}') + 1,
      );
      expect(after.value('ticker_headlines_published_total\\{status="published"\\}')).toBe(1);
      expect(after.value('ticker_headlines_rejected_total\\{reason="bad_request"\\}')).toBe(1);
      expect(after.value('ticker_gateway_emits_total\\{delayed="no"\\}')).toBe(1);
      expect(after.value('ticker_publish_to_emit_seconds_count')).toBe(1);
      expect(after.value('ticker_ingest_to_publish_seconds_count')).toBe(1);
      expect(after.value('ticker_replays_total')).toBe(1);
      expect(after.value('ticker_sockets_connected')).toBe(1);
      expect(after.value('ticker_redis_connected\\{connection="command"\\}')).toBe(1);
      expect(after.text).toMatch(/^ticker_queue_jobs\{state="waiting"\} 0$/mu);
      s.close();
    } finally {
      await ticker.close();
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = spawnSync('docker-compose', ['--version'], { encoding: 'utf8' });
  const missing = compose.status !== 0;
  if (missing)
    console.warn('SKIPPED compose validation: docker-compose is not installed (apt-get install docker-compose; .ci/run installs it)');

  it.skipIf(missing)('validates with docker-compose config and has the production shape', () => {
    const r = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = parse(r.stdout) as {
      services: Record<
        string,
        {
          command?: string[];
          environment?: Record<string, string>;
          healthcheck?: { test: string[] };
          ports?: unknown[];
          volumes?: string[];
          profiles?: string[];
        }
      >;
    };
    // What `docker-compose up` starts: the services outside any profile.
    const always = Object.entries(doc.services)
      .filter(([, s]) => s.profiles === undefined)
      .map(([name]) => name);
    expect(always.sort()).toEqual(['gateway1', 'gateway2', 'nginx', 'redis', 'worker']);
    expect(doc.services['redis']!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(doc.services['worker']!.environment!['TICKER_ROLE']).toBe('worker');
    expect(doc.services['gateway1']!.environment!['TICKER_ROLE']).toBe('gateway');
    expect(doc.services['gateway2']!.environment!['TICKER_ROLE']).toBe('gateway');
    for (const name of ['worker', 'gateway1', 'gateway2', 'nginx']) {
      expect(doc.services[name]!.healthcheck!.test.join(' '), name).toContain('/readyz');
    }
    for (const name of ['worker', 'gateway1', 'gateway2']) {
      expect(doc.services[name]!.volumes!.join(' '), name).toContain(':/config/ticker.json:ro');
      expect(doc.services[name]!.environment!['TICKER_CONFIG']).toBe('/config/ticker.json');
    }
  });

  it('nginx routes a long-polling session to one gateway: sticky by client address over every gateway', () => {
    // Read as written (no docker-compose needed): the file nginx mounts, and its upstream block.
    const doc = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    const mount = doc.services['nginx']!.volumes!.find((v) => v.split(':')[1] === '/etc/nginx/conf.d/default.conf');
    expect(mount).toBeDefined();
    const conf = readFileSync(join(ROOT, mount!.split(':')[0]!), 'utf8');
    const upstream = /upstream gateways \{([^}]*)\}/u.exec(conf)?.[1] ?? '';
    const directives = upstream
      .split('\n')
      .map((l) => l.replace(/#.*$/u, '').trim())
      .filter((l) => l !== '');
    expect(directives).toContain('hash $remote_addr consistent;');
    const gateways = Object.keys(doc.services).filter((name) => name.startsWith('gateway'));
    expect(directives.filter((d) => d.startsWith('server ')).map((d) => d.split(/\s+/u)[1])).toEqual(gateways.map((g) => `${g}:8080`));
    expect(conf).toMatch(/proxy_pass http:\/\/gateways;/u);
  });

  it.skipIf(missing)('the sentinel profile adds two replicas and three Sentinels, and the override points every process at them', () => {
    const r = spawnSync(
      'docker-compose',
      ['-f', 'docker-compose.yml', '-f', 'docker-compose.sentinel.yml', '--profile', 'sentinel', 'config'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    const doc = parse(r.stdout) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    const names = Object.keys(doc.services);
    expect(names).toEqual(expect.arrayContaining(['redis-replica1', 'redis-replica2', 'sentinel1', 'sentinel2', 'sentinel3']));
    expect(doc.services['redis-replica1']!.command).toEqual(expect.arrayContaining(['--replicaof', 'redis', '6379']));
    expect(doc.services['sentinel1']!.command!.join(' ')).toContain('sentinel monitor ticker redis 6379 2');
    for (const name of ['worker', 'gateway1', 'gateway2']) {
      const env = doc.services[name]!.environment!;
      expect(env['REDIS_SENTINELS'], name).toBe('sentinel1:26379,sentinel2:26379,sentinel3:26379');
      expect(env['REDIS_SENTINEL_NAME'], name).toBe('ticker');
      expect(env['REDIS_DURABILITY'], name).toBe('replica');
      expect(env['REDIS_URL'] ?? '', name).toBe('');
    }
  });
});
