// The `headline-ticker` CLI as a user runs it: the bin launcher (TypeScript source through
// tsx, as right after `npm ci`), against the real server, with its exit codes and messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk';
// The CLI's entry point is no export of the package: the test runs it in-process by path.
// eslint-disable-next-line no-restricted-imports
import { run } from '../../client-sdk/src/cli/main.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const stack = useStack();

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function cli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, ['client-sdk/bin/headline-ticker.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, HEADLINE_TICKER_FROM_SOURCE: '1', TICKER_URL: stack.ticker.url, TICKER_EDITOR_TOKEN: EDITOR_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Bounded: a CLI that hangs fails the test instead of the suite (generous: tsx compiles on a loaded machine).
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(timer));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs a command to its end: exit code, stdout, stderr. */
async function runCli(args: string[], env: Record<string, string> = {}) {
  const c = cli(args, env);
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const WAIT = 30_000;
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const editor = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.ticker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('headline-ticker push + tail', () => {
  it('push prints "<id> queued"; tail --json prints it as one NDJSON line; SIGTERM exits 0', async () => {
    const tail = cli(['tail', '--key', ALL_KEY, '--topics', 'energy', '--json', '--limit', '0']);
    await until(() => tail.stderr().includes('headline-ticker: live'), 'tail is live', WAIT);

    const pushed = await runCli(['push', 'Gazprom raises exports', '--urgency', 'flash', '--topics', 'energy', '--symbols', 'GAZP']);
    expect(pushed.stderr).toBe('');
    expect(pushed.code).toBe(0);
    const [id, status] = pushed.stdout.trim().split(' ');
    expect(status).toBe('queued');

    await until(() => lines(tail.stdout()).length >= 1, 'tail printed the headline', WAIT);
    const h = JSON.parse(lines(tail.stdout())[0]!) as Headline;
    expect(h).toMatchObject({
      id,
      text: 'Gazprom raises exports',
      urgency: 'flash',
      topics: ['energy'],
      symbols: ['GAZP'],
      status: 'published',
    });
    tail.child.kill('SIGTERM');
    expect(await tail.exited).toBe(0);
    expect(lines(tail.stdout())).toHaveLength(1);
  }, 90_000);

  it('tail prints the tape in local time, marking corrections and withdrawals', async () => {
    // Asia/Tokyo has no daylight saving: local time is UTC+9 all year.
    const seqBefore = Number(await stack.redis.client.get(stack.keys.seq));
    const tail = cli(['tail', '--key', ALL_KEY, '--symbols', 'LKOH', '--limit', '0'], { TZ: 'Asia/Tokyo' });
    await until(() => tail.stderr().includes('headline-ticker: live'), 'tail is live', WAIT);
    const pushed = await postHeadline(stack.ticker.url, { text: 'Lukoil sells a refinery', urgency: 'urgent', symbols: ['LKOH', 'ROSN'] });
    expect(pushed.status).toBe(202);
    const id = pushed.json.id!;
    await until(() => lines(tail.stdout()).length >= 1, 'the headline', WAIT);
    expect((await editor('PATCH', `/api/headlines/${id}`, { text: 'Lukoil sells two refineries' })).status).toBe(202);
    await until(() => lines(tail.stdout()).length >= 2, 'the correction', WAIT);
    expect([200, 202]).toContain((await editor('DELETE', `/api/headlines/${id}`)).status);
    await until(() => lines(tail.stdout()).length >= 3, 'the withdrawal', WAIT);
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);

    const published = (
      await fetch(`${stack.ticker.url}/api/headlines?since=${seqBefore}&key=${ALL_KEY}`).then(
        (r) => r.json() as Promise<{ headlines: Headline[] }>,
      )
    ).headlines[0]!;
    const tokyo = new Date(Date.parse(published.publishedAt) + 9 * 3600_000);
    const two = (n: number) => String(n).padStart(2, '0');
    const time = `${two(tokyo.getUTCMonth() + 1)}/${two(tokyo.getUTCDate())} ${two(tokyo.getUTCHours())}:${two(tokyo.getUTCMinutes())}`;
    expect(lines(tail.stdout())).toEqual([
      `${time}  URGENT  Lukoil sells a refinery  [LKOH ROSN]`,
      `${time}  URGENT  CORRECTED v2  Lukoil sells two refineries  [LKOH ROSN]`,
      `${time}  URGENT  WITHDRAWN  Lukoil sells two refineries  [LKOH ROSN]`,
    ]);
  }, 90_000);
});

/** The CLI's `run()` in this process (no spawn: seconds matter), with captured output. */
async function runInProcess(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    out: (l) => (stdout += `${l}\n`),
    err: (l) => (stderr += `${l}\n`),
    env: { TICKER_URL: stack.ticker.url, TICKER_EDITOR_TOKEN: EDITOR_TOKEN, ...env },
    stopped: new Promise<void>(() => undefined),
  });
  return { code, stdout, stderr };
}

describe('exit codes and messages a script can rely on', () => {
  it('through the launcher: a usage error is exit 2 with the message first', async () => {
    const r = await runCli(['tail', '--key', ALL_KEY, '--follow']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^headline-ticker: usage: Unknown option '--follow'/u);
    expect(r.stdout).toBe('');
  }, 90_000);

  it.each([
    ['tail without a key → 2', ['tail'], {}, 2, 'headline-ticker: usage: tail needs --key'],
    ['no command → 2', [], {}, 2, 'headline-ticker: usage: no command given'],
    ['a bad --limit → 2', ['tail', '--key', ALL_KEY, '--limit', 'many'], {}, 2, 'headline-ticker: usage: --limit must be a whole number'],
    ['tail with an unknown key → 3', ['tail', '--key', 'sdk_nobody_at_all'], {}, 3, 'headline-ticker: error unauthorized:'],
    [
      'tail with a topic that is not a slug → 4',
      ['tail', '--key', ALL_KEY, '--topics', 'Not A Slug'],
      {},
      4,
      'headline-ticker: error bad_request:',
    ],
    [
      'push without a token → 2',
      ['push', 'text'],
      { TICKER_EDITOR_TOKEN: undefined },
      2,
      'headline-ticker: usage: push needs an editor token',
    ],
    ['push with a wrong token → 3', ['push', 'text'], { TICKER_EDITOR_TOKEN: 'ed_wrong_token' }, 3, 'headline-ticker: error unauthorized:'],
    ['push with empty text → 4', ['push', '   '], {}, 4, 'headline-ticker: error bad_request:'],
    ['push with a bad urgency → 4', ['push', 'text', '--urgency', 'huge'], {}, 4, '  urgency: urgency must be one of'],
  ] as const)('%s', async (_name, args, env, code, message) => {
    const seqBefore = await stack.redis.client.get(stack.keys.seq);
    const r = await runInProcess([...args], env);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
    expect(await stack.redis.client.get(stack.keys.seq)).toBe(seqBefore);
  });

  it('push --embargo prints "<id> scheduled"; the same --idempotency-key gives the same id', async () => {
    const later = new Date(Date.now() + 3600_000).toISOString();
    const first = await runInProcess(['push', 'embargoed results', '--embargo', later, '--idempotency-key', 'cli-test-1']);
    expect(first).toEqual({ code: 0, stdout: expect.stringMatching(/^[A-Za-z0-9_-]+ scheduled\n$/u), stderr: '' });
    const again = await runInProcess(['push', 'embargoed results', '--embargo', later, '--idempotency-key', 'cli-test-1']);
    expect(again.stdout.split(' ')[0]).toBe(first.stdout.split(' ')[0]);
  });

  it('push to a server that is not there → 5', async () => {
    const gone = await stack.startTicker({ role: 'gateway' });
    const url = gone.url;
    await gone.close();
    const r = await runInProcess(['push', 'nobody home', '--url', url]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^headline-ticker: error unavailable: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\n$/u);
  });
});
