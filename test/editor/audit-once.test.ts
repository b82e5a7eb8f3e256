import { Queue } from 'bullmq';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { AuditEntry } from '@headline-ticker/sdk/protocol';
import { FeedLog, type UnsequencedEvent } from '../../server/src/log/feed-log.js';
import { newHeadlineId } from '../../server/src/ingest/headline-id.js';
import { INGEST_QUEUE, publishJobId, type IngestJob } from '../../server/src/ingest/ingest-jobs.js';
import { postHeadline } from '../helpers/clients.js';
import { EDITOR_TOKEN } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { until, waitFor } from '../helpers/wait.js';

let queue: Queue;
let log: FeedLog;

const stack = useStack();

beforeAll(async () => {
  queue = new Queue(INGEST_QUEUE, { connection: stack.redis.client, prefix: stack.keys.queuePrefix });
  log = new FeedLog(stack.redis.client, stack.keys, { maxEvents: 100_000, minAgeSeconds: 0 });
});

afterAll(async () => {
  await queue?.close();
});

async function auditOf(id: string): Promise<AuditEntry[]> {
  const res = await fetch(`${stack.ticker.url}/api/audit?id=${id}`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

const eventsOf = async (id: string): Promise<Headline[]> => (await log.range(0, '+', 100_000)).map((ev) => ev.h).filter((h) => h.id === id);

/** Runs `job` through the real worker and resolves with what the worker returned. */
async function processed(jobId: string, job: IngestJob): Promise<{ seq: number; duplicate: boolean }> {
  await queue.add(job.op, job, { jobId });
  await until(async () => (await queue.getJobState(jobId)) === 'completed', `job ${jobId} completed`);
  return (await queue.getJob(jobId))!.returnvalue as { seq: number; duplicate: boolean };
}

describe('the audit entry is written in the same atomic step as the log append', () => {
  it('a job re-run after its append (a worker that died before acknowledging) adds no second entry', async () => {
    const id = newHeadlineId();
    const now = new Date().toISOString();
    const event: UnsequencedEvent = {
      id,
      version: 1,
      status: 'published',
      text: 'Retried flash',
      topics: [],
      symbols: [],
      urgency: 'flash',
      lang: 'en',
      source: 'desk',
      publishedAt: now,
      updatedAt: now,
    };
    // The first attempt: appended (with its audit entry), then the worker died.
    const first = await log.append({
      opId: publishJobId(id),
      expectedVersion: 0,
      event,
      audit: { editor: 'test-desk', action: 'publish' },
    });
    expect(first.kind).toBe('appended');
    // BullMQ runs the job again; the worker's append is recognised as the same operation.
    const job: IngestJob = {
      op: 'publish',
      id,
      draft: { text: 'Retried flash', topics: [], symbols: [], urgency: 'flash', lang: 'en', source: 'desk' },
      editor: 'test-desk',
    };
    expect(await processed(publishJobId(id), job)).toEqual({ seq: (first as { seq: number }).seq, duplicate: true });
    expect(await eventsOf(id)).toHaveLength(1);
    expect(await auditOf(id)).toEqual([
      { id, action: 'publish', editor: 'test-desk', at: expect.any(String), seq: (first as { seq: number }).seq, version: 1 },
    ]);
  });

  it('the same for a withdrawal: one event, one entry, however often the job runs', async () => {
    const res = await postHeadline(stack.ticker.url, { text: 'To be withdrawn' });
    const id = res.json.id!;
    await until(async () => (await log.current(id)) !== null, 'published');
    const current = (await log.current(id))!;
    const { seq: _, ...base } = current;
    const withdrawn: UnsequencedEvent = { ...base, version: 2, status: 'withdrawn', updatedAt: new Date().toISOString() };
    const jobId = `wdr-${id}`;
    const first = await log.append({
      opId: jobId,
      expectedVersion: 1,
      event: withdrawn,
      audit: { editor: 'test-desk', action: 'withdraw' },
    });
    expect(first.kind).toBe('appended');
    const again = await log.append({
      opId: jobId,
      expectedVersion: 1,
      event: withdrawn,
      audit: { editor: 'test-desk', action: 'withdraw' },
    });
    expect(again).toEqual({ kind: 'duplicate', seq: (first as { seq: number }).seq });
    expect(await processed(jobId, { op: 'withdraw', id, editor: 'test-desk' })).toMatchObject({ duplicate: true });
    expect((await eventsOf(id)).map((h) => h.status)).toEqual(['published', 'withdrawn']);
    expect((await auditOf(id)).map((e) => [e.action, e.version])).toEqual([
      ['withdraw', 2],
      ['publish', 1],
    ]);
  });

  it('a version conflict appends nothing and audits nothing', async () => {
    const id = newHeadlineId();
    const now = new Date().toISOString();
    const event: UnsequencedEvent = {
      id,
      version: 2,
      status: 'corrected',
      text: 'Never was',
      topics: [],
      symbols: [],
      urgency: 'routine',
      lang: 'en',
      source: 'desk',
      publishedAt: now,
      updatedAt: now,
    };
    const before = await stack.redis.client.xlen(stack.keys.audit);
    expect(await log.append({ opId: `cor-${id}-x`, expectedVersion: 1, event, audit: { editor: 'test-desk', action: 'correct' } })).toEqual(
      { kind: 'conflict', version: 0 },
    );
    expect(await stack.redis.client.xlen(stack.keys.audit)).toBe(before);
  });

  it('a cancellation is audited without a seq (nothing reached the log)', async () => {
    const res = await postHeadline(stack.ticker.url, {
      text: 'Scheduled, then cancelled',
      embargoUntil: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(res.json.status).toBe('scheduled');
    const id = res.json.id!;
    const del = await fetch(`${stack.ticker.url}/api/headlines/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${EDITOR_TOKEN}` },
    });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ id, status: 'cancelled' });
    expect(await auditOf(id)).toEqual([{ id, action: 'cancel', editor: 'test-desk', at: expect.any(String) }]);
    // A second DELETE finds nothing to cancel and audits nothing more.
    const again = await fetch(`${stack.ticker.url}/api/headlines/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${EDITOR_TOKEN}` },
    });
    expect(again.status).toBe(404);
    expect(await auditOf(id)).toHaveLength(1);
  });
});

describe('the editor token on the socket and GET /api/editor/me', () => {
  it('an editor token is accepted on the handshake and sees every topic; a wrong one is refused', async () => {
    const socket = io(stack.ticker.url, { auth: { token: EDITOR_TOKEN }, transports: ['websocket'], reconnection: false, forceNew: true });
    await waitFor(socket, 'connect');
    const ack = await socket.timeout(5000).emitWithAck('subscribe', { limit: 0 });
    expect(ack).toMatchObject({ ok: true });
    const got = waitFor<Headline>(socket, 'headline');
    await postHeadline(stack.ticker.url, { text: 'For the console', topics: ['obscure-topic'] });
    expect((await got).text).toBe('For the console');
    socket.close();

    const wrong = io(stack.ticker.url, {
      auth: { token: 'ed_wrong_token' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    expect((await waitFor<Error>(wrong, 'connect_error')).message).toBe('unauthorized');
    wrong.close();
  });

  it('/api/editor/me names the editor, and refuses anything else', async () => {
    const me = await fetch(`${stack.ticker.url}/api/editor/me`, { headers: { authorization: `Bearer ${EDITOR_TOKEN}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ name: 'test-desk' });
    expect((await fetch(`${stack.ticker.url}/api/editor/me`)).status).toBe(401);
    expect((await fetch(`${stack.ticker.url}/api/editor/me`, { headers: { authorization: 'Bearer ed_wrong_token' } })).status).toBe(401);
  });
});
