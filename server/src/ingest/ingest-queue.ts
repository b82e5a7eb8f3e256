import { createHash, randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { TickerError, type IngestAccepted, type ScheduledHeadline, type WithdrawResult } from '@headline-ticker/sdk/protocol';
import type { CorrectionDraft, HeadlineDraft } from '@headline-ticker/sdk/schemas';
import type { AuditLog } from '../log/audit-log.js';
import type { FeedLog } from '../log/feed-log.js';
import type { FeedKeys } from '../log/feed-keys.js';
import { replicated } from '../redis/replication.js';
import type { Metrics } from '../metrics.js';
import { newHeadlineId } from './headline-id.js';
import { publishJobId, type IngestJob, type PublishDraft } from './ingest-jobs.js';
import { IDEMPOTENCY_TTL_SECONDS, ingestQueueOn } from './queue-settings.js';
import { scheduledHeadlines } from './schedule.js';
import { guard, guardWrite } from './store-errors.js';

export interface IngestQueueOptions {
  /** a fail-fast ('command') connection, so nothing is acknowledged that was not queued */
  connection: RedisClient;
  /**
   * Durability "replica": a fail-fast connection of its own that carries every write and then
   * WAITs until a replica has them, before the 202. Its own, because WAIT counts only its
   * connection's writes and blocks that connection meanwhile: reads stay on `connection`.
   */
  durableWrites?: RedisClient;
  log: FeedLog;
  keys: FeedKeys;
  prefix: string;
  /**
   * Fault injection for tests: die (SIGKILL) after the idempotency key is claimed and before
   * the job is queued — the step the key must survive. TICKER_FAULT_CRASH_AFTER_IDEMPOTENCY.
   */
  crashAfterIdempotency?: boolean;
  /** the ticker's audit trail, where a cancellation is recorded */
  audit: AuditLog;
}

export type { WithdrawResult };
export { IDEMPOTENCY_TTL_SECONDS };

/** The API's side of ingest: every change to the feed goes through here into the queue. */
export class IngestQueue {
  /** reads (job lookups, counts, the schedule) */
  readonly queue: Queue;
  /** adds: the same queue, on the write connection */
  readonly #writeQueue: Queue;
  readonly #redis: RedisClient;
  readonly #writer: RedisClient;
  /** durability "replica": each write is confirmed on a replica before the answer */
  readonly #waitForReplica: boolean;
  readonly #log: FeedLog;
  readonly #keys: FeedKeys;
  readonly #audit: AuditLog;
  readonly #crashAfterIdempotency: boolean;
  #closing: Promise<void> | null = null;

  constructor(options: IngestQueueOptions) {
    this.#redis = options.connection;
    this.#writer = options.durableWrites ?? options.connection;
    this.#waitForReplica = options.durableWrites !== undefined;
    this.#log = options.log;
    this.#keys = options.keys;
    this.#audit = options.audit;
    this.#crashAfterIdempotency = options.crashAfterIdempotency ?? false;
    this.queue = ingestQueueOn(this.#redis, options.prefix);
    this.#writeQueue = this.#writer === this.#redis ? this.queue : ingestQueueOn(this.#writer, options.prefix);
  }

  /** The queue's gauge: jobs by state. */
  registerMetrics(metrics: Metrics): void {
    metrics.gauge(
      'ticker_queue_jobs',
      'Ingest jobs by state',
      ['state'],
      async (g) => {
        const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed').catch(() => null);
        if (counts) for (const [state, n] of Object.entries(counts)) g.set({ state }, n);
      },
      'max',
    );
  }

  /** Whether a request could be durably queued right now. */
  get ready(): boolean {
    return this.#redis.status === 'ready' && this.#writer.status === 'ready';
  }

  async publish(draft: HeadlineDraft, editor: string, extra: { publishedAt?: string } = {}): Promise<IngestAccepted> {
    this.#assertReady();
    const { idempotencyKey, embargoUntil, ...fields } = draft;
    const delay = embargoUntil === undefined ? 0 : Math.max(0, Date.parse(embargoUntil) - Date.now());
    const accepted: IngestAccepted = { id: newHeadlineId(), status: delay > 0 ? 'scheduled' : 'queued' };

    const publishDraft: PublishDraft = { ...fields, ...(extra.publishedAt ? { publishedAt: extra.publishedAt } : {}) };
    const enqueue = async (answer: IngestAccepted) => {
      const job: IngestJob = { op: 'publish', id: answer.id, draft: publishDraft, editor };
      // The job id derives from the headline id, so BullMQ itself ignores a second add while
      // the job exists; once it is gone, the append's operation marker does.
      await guardWrite(this.#writeQueue.add('publish', job, { jobId: publishJobId(answer.id), delay }));
    };
    if (idempotencyKey === undefined) {
      await enqueue(accepted);
      return this.#durable(accepted);
    }
    // The key is claimed first, then the job queued. A crash or a timeout between the two is
    // healed by the retry: it finds the claim and queues the same job again (a no-op when the
    // first add did happen), so a retry with the same key publishes exactly once.
    const idemKey = this.#keys.idempotency(editorScoped(editor, idempotencyKey));
    const claimed = await guardWrite(this.#writer.set(idemKey, JSON.stringify(accepted), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX'));
    let answer = accepted;
    if (claimed === null) {
      const earlier = await guard(this.#redis.get(idemKey));
      if (earlier !== null) answer = JSON.parse(earlier) as IngestAccepted;
    }
    if (this.#crashAfterIdempotency) process.kill(process.pid, 'SIGKILL');
    await enqueue(answer);
    return this.#durable(answer);
  }

  async correct(id: string, changes: CorrectionDraft, editor: string): Promise<IngestAccepted> {
    this.#assertReady();
    const current = await guard(this.#log.current(id));
    if (current === null) {
      const pending = await guard(this.queue.getJob(publishJobId(id)));
      if (pending) throw new TickerError('conflict', `headline ${id} is not published yet; correct it once it is out`);
      throw new TickerError('not_found', `no headline ${id}`);
    }
    if (current.status === 'withdrawn') throw new TickerError('conflict', `headline ${id} was withdrawn and cannot be corrected`);
    const { idempotencyKey, ...rest } = changes;
    const jobId = idempotencyKey === undefined ? `cor-${id}-${randomUUID()}` : `cor-${id}-${editorScoped(editor, idempotencyKey)}`;
    await guardWrite(this.#writeQueue.add('correct', { op: 'correct', id, changes: rest, editor } satisfies IngestJob, { jobId }));
    return this.#durable({ id, status: 'queued' });
  }

  /** Withdraws a published headline, or cancels one still waiting (embargoed or queued). */
  async withdraw(id: string, editor: string): Promise<WithdrawResult> {
    this.#assertReady();
    const current = await guard(this.#log.current(id));
    if (current !== null) {
      if (current.status !== 'withdrawn') {
        await guardWrite(this.#writeQueue.add('withdraw', { op: 'withdraw', id, editor } satisfies IngestJob, { jobId: `wdr-${id}` }));
      }
      return this.#durable({ id, status: 'queued' });
    }
    const pending = await guard(this.queue.getJob(publishJobId(id)));
    if (!pending) throw new TickerError('not_found', `no headline ${id}`);
    const state = await guard(pending.getState());
    if (state === 'delayed' || state === 'waiting' || state === 'prioritized') {
      const removed = await pending.remove().then(
        () => true,
        () => false,
      ); // false: it started meanwhile
      if (removed) {
        // A retry of the same idempotent publish must not queue it again: the operation is
        // marked done, so a re-added job appends nothing.
        await guard(this.#redis.set(this.#keys.op(publishJobId(id)), '0', 'EX', 8 * 24 * 3600));
        // Nothing reaches the log for a cancellation, so it is audited here, after the removal:
        // an audit line for a cancel that did not happen would be worse than a missing one.
        await guard(this.#audit.record({ id, action: 'cancel', editor }));
        return { id, status: 'cancelled' };
      }
    }
    throw new TickerError('conflict', `headline ${id} is being published right now; withdraw it in a moment`);
  }

  /** Headlines waiting for their embargo, soonest first (at most `limit`). */
  async scheduled(limit = 500): Promise<ScheduledHeadline[]> {
    this.#assertReady();
    const jobs = await guard(this.queue.getJobs(['delayed'], 0, limit - 1, true));
    return scheduledHeadlines(jobs);
  }

  close(): Promise<void> {
    const close = (q: Queue) => q.close().catch(() => undefined);
    return (this.#closing ??= Promise.all([close(this.queue), close(this.#writeQueue)]).then(() => undefined));
  }

  /**
   * Under durability "replica" the 202 waits until the queued job (and its idempotency claim) is
   * on a replica (WAIT covers every write the write connection made), so a failover cannot lose
   * an accepted headline.
   */
  async #durable<T>(answer: T): Promise<T> {
    if (this.#waitForReplica) await guardWrite(replicated(this.#writer, this.#keys.seq, 'the queued job'));
    return answer;
  }

  #assertReady(): void {
    if (!this.ready) throw new TickerError('unavailable', 'the feed store is unreachable; nothing was queued, try again');
  }
}

/** An idempotency key is the editor's own: two editors' identical keys never collide. */
const editorScoped = (editor: string, key: string) => createHash('sha256').update(`${editor}\0${key}`).digest('hex').slice(0, 32);
