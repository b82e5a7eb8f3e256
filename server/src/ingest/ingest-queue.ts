import { createHash, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { TickerError, type IngestAccepted, type ScheduledHeadline } from '@headline-ticker/sdk/protocol';
import type { CorrectionDraft, HeadlineDraft } from '@headline-ticker/sdk/schemas';
import { AuditLog } from '../log/audit-log.js';
import type { FeedLog } from '../log/feed-log.js';
import type { FeedKeys } from '../log/feed-keys.js';
import { newHeadlineId } from './headline-id.js';
import { INGEST_QUEUE, IngestJobSchema, publishJobId, type IngestJob, type PublishDraft } from './ingest-jobs.js';

export interface IngestQueueOptions {
  /** a fail-fast ('command') connection, so nothing is acknowledged that was not queued */
  connection: RedisClient;
  log: FeedLog;
  keys: FeedKeys;
  prefix: string;
}

export type WithdrawResult = { id: string; status: 'queued' | 'cancelled' };

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

const JOB_DEFAULTS = {
  attempts: 20,
  backoff: { type: 'exponential', delay: 200 },
  // A completed job is deleted at once (one DEL inside BullMQ's finishing script) instead of
  // kept in the completed set and trimmed by age and count on every completion. Nothing reads
  // completed jobs: a re-run of the same operation is recognised by the append's op marker
  // (8 days), not by BullMQ's job id, and the 202 already told the desk the headline's id.
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * BullMQ's events stream (read only by QueueEvents, which the product does not use) gets ~5
 * entries per job; kept short it costs a little memory instead of 10,000 entries' worth.
 */
const EVENTS_MAX_LEN = 1000;

/** The API's side of ingest: every change to the feed goes through here into the queue. */
export class IngestQueue {
  readonly queue: Queue;
  readonly #redis: RedisClient;
  readonly #log: FeedLog;
  readonly #keys: FeedKeys;
  readonly #audit: AuditLog;
  #closing: Promise<void> | null = null;

  constructor(options: IngestQueueOptions) {
    this.#redis = options.connection;
    this.#log = options.log;
    this.#keys = options.keys;
    this.#audit = new AuditLog(options.connection, options.keys);
    this.queue = new Queue(INGEST_QUEUE, {
      connection: options.connection,
      prefix: options.prefix,
      defaultJobOptions: JOB_DEFAULTS,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    // BullMQ re-emits connection errors here; they surface as 503s on the requests instead.
    this.queue.on('error', () => undefined);
  }

  /** Whether a request could be durably queued right now. */
  get ready(): boolean {
    return this.#redis.status === 'ready';
  }

  async publish(
    draft: HeadlineDraft,
    editor: string,
    extra: { publishedAt?: string } = {},
  ): Promise<IngestAccepted> {
    this.#assertReady();
    const { idempotencyKey, embargoUntil, ...fields } = draft;
    const delay = embargoUntil === undefined ? 0 : Math.max(0, Date.parse(embargoUntil) - Date.now());
    const accepted: IngestAccepted = { id: newHeadlineId(), status: delay > 0 ? 'scheduled' : 'queued' };

    let idemKey: string | null = null;
    if (idempotencyKey !== undefined) {
      idemKey = this.#keys.idempotency(editorScoped(editor, idempotencyKey));
      const claimed = await this.#guard(
        this.#redis.set(idemKey, JSON.stringify(accepted), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX'),
      );
      if (claimed === null) {
        const earlier = await this.#guard(this.#redis.get(idemKey));
        if (earlier !== null) return this.#durable(JSON.parse(earlier) as IngestAccepted);
      }
    }
    const publishDraft: PublishDraft = { ...fields, ...(extra.publishedAt ? { publishedAt: extra.publishedAt } : {}) };
    const job: IngestJob = { op: 'publish', id: accepted.id, draft: publishDraft, editor };
    try {
      await this.#guard(this.queue.add('publish', job, { jobId: publishJobId(accepted.id), delay }));
    } catch (err) {
      // Not queued, so the key must not point at it: a retry will queue afresh.
      if (idemKey !== null) await this.#redis.del(idemKey).catch(() => undefined);
      throw err;
    }
    return this.#durable(accepted);
  }

  async correct(id: string, changes: CorrectionDraft, editor: string): Promise<IngestAccepted> {
    this.#assertReady();
    const current = await this.#guard(this.#log.current(id));
    if (current === null) {
      const pending = await this.#guard(this.queue.getJob(publishJobId(id)));
      if (pending) throw new TickerError('conflict', `headline ${id} is not published yet; correct it once it is out`);
      throw new TickerError('not_found', `no headline ${id}`);
    }
    if (current.status === 'withdrawn') throw new TickerError('conflict', `headline ${id} was withdrawn and cannot be corrected`);
    const { idempotencyKey, ...rest } = changes;
    const jobId = idempotencyKey === undefined ? `cor-${id}-${randomUUID()}` : `cor-${id}-${editorScoped(editor, idempotencyKey)}`;
    await this.#guard(this.queue.add('correct', { op: 'correct', id, changes: rest, editor } satisfies IngestJob, { jobId }));
    return this.#durable({ id, status: 'queued' });
  }

  /** Withdraws a published headline, or cancels one still waiting (embargoed or queued). */
  async withdraw(id: string, editor: string): Promise<WithdrawResult> {
    this.#assertReady();
    const current = await this.#guard(this.#log.current(id));
    if (current !== null) {
      if (current.status !== 'withdrawn') {
        await this.#guard(this.queue.add('withdraw', { op: 'withdraw', id, editor } satisfies IngestJob, { jobId: `wdr-${id}` }));
      }
      return this.#durable({ id, status: 'queued' });
    }
    const pending = await this.#guard(this.queue.getJob(publishJobId(id)));
    if (!pending) throw new TickerError('not_found', `no headline ${id}`);
    const state = await this.#guard(pending.getState());
    if (state === 'delayed' || state === 'waiting' || state === 'prioritized') {
      const removed = await pending.remove().then(() => true, () => false); // false: it started meanwhile
      if (removed) {
        // Nothing reaches the log for a cancellation, so it is audited here, after the removal:
        // an audit line for a cancel that did not happen would be worse than a missing one.
        await this.#guard(this.#audit.record({ id, action: 'cancel', editor }));
        return { id, status: 'cancelled' };
      }
    }
    throw new TickerError('conflict', `headline ${id} is being published right now; withdraw it in a moment`);
  }

  /** Headlines waiting for their embargo, soonest first (at most `limit`). */
  async scheduled(limit = 500): Promise<ScheduledHeadline[]> {
    this.#assertReady();
    const jobs = await this.#guard(this.queue.getJobs(['delayed'], 0, limit - 1, true));
    const out: ScheduledHeadline[] = [];
    for (const job of jobs) {
      const parsed = IngestJobSchema.safeParse(job.data);
      if (!parsed.success || parsed.data.op !== 'publish') continue;
      const { id, draft, editor } = parsed.data;
      out.push({
        id,
        text: draft.text,
        topics: draft.topics,
        symbols: draft.symbols,
        urgency: draft.urgency,
        embargoUntil: new Date(job.timestamp + (job.opts.delay ?? 0)).toISOString(),
        editor,
      });
    }
    return out.sort((a, b) => a.embargoUntil.localeCompare(b.embargoUntil));
  }

  close(): Promise<void> {
    return (this.#closing ??= this.queue.close().catch(() => undefined));
  }

  /**
   * Under durability "replica" the 202 waits until the queued job is on a replica (WAIT covers
   * every write this connection made), so a failover cannot lose an accepted headline.
   */
  async #durable<T>(answer: T): Promise<T> {
    await this.#guard(this.#log.replica?.replicated('the queued job') ?? Promise.resolve());
    return answer;
  }

  #assertReady(): void {
    if (!this.ready) throw new TickerError('unavailable', 'the feed store is unreachable; nothing was queued, try again');
  }

  /** Redis failures become `unavailable`, so the client knows to retry and nothing half-happened. */
  async #guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof TickerError) throw err;
      throw new TickerError('unavailable', 'the feed store is unreachable; nothing was queued, try again', { cause: err });
    }
  }
}

/** An idempotency key is the editor's own: two editors' identical keys never collide. */
const editorScoped = (editor: string, key: string) => createHash('sha256').update(`${editor}\0${key}`).digest('hex').slice(0, 32);
