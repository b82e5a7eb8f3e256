// Idempotent publish survives a crash between claiming the key and queueing the job, and the
// cleanup of the completed job; a change that keeps failing is failed (audited, counted) at its
// retry horizon and never published late.
import { launchChromium, noChromium } from '../helpers/editor-browser.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline, HistoryResponse } from '@headline-ticker/sdk/protocol';
import type { AuditEntry } from '../../server/src/log/audit-log.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startProcess, writeConfigFile } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

// The run's shared redis-server under this file's prefix; real processes get it by TICKER_PREFIX.
const stack = useStack({ ticker: false });
const HORIZON_MS = 1500;
let ticker: RunningTicker;

beforeAll(async () => {
  ticker = await stack.startTicker({ retryHorizonMs: HORIZON_MS, faultFailTextContaining: 'POISON' });
});
afterAll(async () => {
  await ticker?.close();
});

async function allEvents(base: string): Promise<Headline[]> {
  const res = await fetch(`${base}/api/headlines?since=0&limit=1000`, { headers: { authorization: `Bearer ${ALL_KEY}` } });
  return ((await res.json()) as HistoryResponse).headlines;
}

/** Publishes a marker and waits for it: with one worker, everything queued before is done. */
async function drained(base: string): Promise<Headline[]> {
  const marker = await postHeadline(base, { text: `marker ${Math.random()}` });
  expect(marker.status).toBe(202);
  let events: Headline[] = [];
  await until(async () => (events = await allEvents(base)).some((h) => h.id === marker.json.id), 'the marker is out');
  return events;
}

describe('idempotent publish', () => {
  it('a crash between claiming the key and queueing the job: the retry publishes exactly once', async () => {
    // A feed of its own beside the file's, so the crash test sees only its own events.
    const own = { REDIS_URL: stack.redis.url, TICKER_PREFIX: `${stack.prefix}-crash` };
    const config = writeConfigFile();
    const body = { text: 'Filed just before the crash', idempotencyKey: 'crash-1' };
    const crashing = await startProcess('all', { ...own, TICKER_CONFIG: config, TICKER_FAULT_CRASH_AFTER_IDEMPOTENCY: '1' });
    try {
      await expect(postHeadline(crashing.url, body)).rejects.toThrow();
      expect((await crashing.exited).signal).toBe('SIGKILL');
      const node = await startProcess('all', { ...own, TICKER_CONFIG: config });
      try {
        const retry = await postHeadline(node.url, body);
        expect(retry.status).toBe(202);
        const again = await postHeadline(node.url, body);
        expect(again.json.id).toBe(retry.json.id);
        const events = await drained(node.url);
        expect(events.filter((h) => h.text === body.text).map((h) => h.id)).toEqual([retry.json.id]);
      } finally {
        await node.kill();
      }
    } finally {
      await crashing.kill('SIGKILL');
    }
  });

  it('a retry after the completed job was cleaned up returns the original id and publishes nothing new', async () => {
    const body = { text: 'Filed once, retried after cleanup', idempotencyKey: 'cleanup-1' };
    const first = await postHeadline(ticker.url, body);
    expect(first.status).toBe(202);
    await drained(ticker.url);
    const connection = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('ingest', { connection, prefix: stack.keys.queuePrefix });
    try {
      // Completed jobs are deleted as they complete (removeOnComplete): by now BullMQ holds
      // nothing that could recognise the retry; only the idempotency key and the append's
      // operation marker can.
      await queue.clean(0, 10_000, 'completed');
      expect(await queue.getJob(`pub-${first.json.id}`)).toBeUndefined();
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const retry = await postHeadline(ticker.url, body);
    expect(retry.status).toBe(202);
    expect(retry.json.id).toBe(first.json.id);
    const events = await drained(ticker.url);
    expect(events.filter((h) => h.text === body.text).map((h) => h.seq)).toHaveLength(1);
  });
});

describe(`a change that keeps failing (horizon ${HORIZON_MS} ms)`, () => {
  it('is failed in the audit with its reason, counted, and never published after the horizon', async () => {
    const posted = await postHeadline(ticker.url, { text: 'POISON story' });
    expect(posted.status).toBe(202);
    const id = posted.json.id!;
    let entries: AuditEntry[] = [];
    await until(
      async () => {
        const res = await fetch(`${ticker.url}/api/audit?id=${id}`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } });
        entries = ((await res.json()) as { entries: AuditEntry[] }).entries;
        return entries.length > 0;
      },
      'the failure is audited',
      HORIZON_MS + 15_000,
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ id, action: 'failed', editor: 'test-desk' });
    expect(entries[0]!.reason).toMatch(/expired/u);
    const metrics = await (await fetch(`${ticker.url}/metrics`)).text();
    expect(metrics).toMatch(/ticker_changes_failed_total\{op="publish"\} 1/u);
    // Well past the horizon, with the queue drained: it never went out.
    await new Promise((r) => setTimeout(r, 1000));
    const events = await drained(ticker.url);
    expect(events.some((h) => h.id === id)).toBe(false);
  });

  it.skipIf(noChromium !== null)(`is shown in the editor console's Failed list with its reason ${noChromium ?? ''}`, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${ticker.url}/editor`);
      await page.getByLabel('Token', { exact: true }).fill(EDITOR_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const failed = page.getByRole('region', { name: 'Failed (not published)' });
      await failed.getByText('POISON story').waitFor({ timeout: 15_000 });
      const row = await failed.locator('li').first().innerText();
      expect(row).toMatch(/publish “POISON story”: .*expired/u);
      expect(row).toMatch(/not published/u);
    } finally {
      await browser.close();
    }
  });
});
