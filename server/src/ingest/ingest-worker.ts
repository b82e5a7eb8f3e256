import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { AuditLog } from '../log/audit-log.js';
import type { FeedLog, UnsequencedEvent } from '../log/feed-log.js';
import type { Logger } from '../logger.js';
import { INGEST_QUEUE, IngestJobSchema, type ParsedIngestJob } from './ingest-jobs.js';

export interface IngestWorkerOptions {
  connection: RedisClient;
  log: FeedLog;
  logger: Logger;
  prefix: string;
  /** jobs in flight; 1 keeps the log in the order the desk submitted (default 1) */
  concurrency?: number;
  /** called after each append, for metrics */
  onAppended?: (h: { seq: number; status: Headline['status']; job: ParsedIngestJob; dueAt: number; hardDropped: number }) => void;
  /**
   * Fault injection for tests: die (SIGKILL) right after appending this seq, before BullMQ
   * records the job as done — the worst moment for exactly-once. Set by
   * TICKER_FAULT_KILL_AFTER_SEQ; never in production.
   */
  killAfterSeq?: number;
  /**
   * How long after its due time (queued, or its embargo) a change may still be applied; after
   * that it is failed — audited, counted, logged — never published late (default 5 minutes).
   */
  retryHorizonMs?: number;
  /** the audit trail, where a change that failed for good is recorded */
  audit?: AuditLog;
  /** called when a change failed for good */
  onFailed?: (job: { id: string; op: string; reason: string }) => void;
  /** Fault injection for tests: a publish whose text contains this fails (retryably) every time. */
  failTextContaining?: string;
}

export const DEFAULT_RETRY_HORIZON_MS = 5 * 60_000;
/** The backoff between attempts doubles from 200 ms up to this. */
const MAX_BACKOFF_MS = 10_000;

/**
 * A crashed worker's job is re-run by another within about 10 s: its lock lapses after
 * LOCK_MS and the stalled check runs every STALLED_MS. A re-run cannot publish twice: the
 * append is idempotent per job id.
 */
export const LOCK_MS = 5000;
export const STALLED_MS = 5000;

export interface IngestWorker {
  close(): Promise<void>;
  readonly worker: Worker;
}

/** The job processor: applies one queued change to the log (idempotent per job id). */
function jobProcessor(options: IngestWorkerOptions): (job: Job) => Promise<{ seq: number; duplicate: boolean }> {
  const { log, logger } = options;
  const horizonMs = options.retryHorizonMs ?? DEFAULT_RETRY_HORIZON_MS;
  const dueAt = (job: Job) => job.timestamp + (job.opts.delay ?? 0);

  return async (job) => {
    const parsed = IngestJobSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.message}`);
    const data = parsed.data;
    // Past its horizon a change is news no more: failed, never published late as if it were.
    const late = Date.now() - dueAt(job);
    if (late > horizonMs) {
      throw new UnrecoverableError(`expired: not applied within ${Math.round(horizonMs / 1000)} s of its due time`);
    }
    if (options.failTextContaining !== undefined && data.op === 'publish' && data.draft.text.includes(options.failTextContaining)) {
      throw new Error('injected fault: this publish fails every time');
    }
    const opId = job.id ?? `${data.op}-${data.id}`;
    for (let attempt = 0; attempt < 8; attempt++) {
      const { event, expectedVersion } = await buildEvent(log, data);
      if (event === null) return { seq: 0, duplicate: true };
      const result = await log.append({ opId, expectedVersion, event, audit: { editor: data.editor, action: data.op } });
      if (result.kind === 'conflict') continue; // another version landed meanwhile: re-read
      if (result.kind === 'appended') {
        options.onAppended?.({
          seq: result.seq,
          status: event.status,
          job: data,
          dueAt: job.timestamp + (job.opts.delay ?? 0),
          hardDropped: result.hardDropped,
        });
        if (result.hardDropped > 0) {
          logger.warn(
            { dropped: result.hardDropped, seq: result.seq },
            'the feed log is at its hard size ceiling: oldest events dropped before their minimum age',
          );
        }
      }
      if (result.kind === 'appended' && result.seq === options.killAfterSeq) process.kill(process.pid, 'SIGKILL');
      logger.info({ op: data.op, id: data.id, seq: result.seq, editor: data.editor, duplicate: result.kind === 'duplicate' }, 'ingested');
      return { seq: result.seq, duplicate: result.kind === 'duplicate' };
    }
    throw new Error(`headline ${data.id} kept changing; will retry`);
  };
}

/** What a failed job leaves behind: a retry warning, or (for good) an error, the failure hook and an audit entry. */
function onJobFailed(options: IngestWorkerOptions): (job: Job | undefined, err: Error) => void {
  const { logger } = options;
  return (job, err) => {
    const final = job === undefined || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) {
      logger.warn({ jobId: job.id, err: err.message, attempts: job.attemptsMade }, 'ingest job failed; will retry');
      return;
    }
    const parsed = IngestJobSchema.safeParse(job?.data);
    const id = parsed.success ? parsed.data.id : (job?.id ?? 'unknown');
    const op = parsed.success ? parsed.data.op : 'unknown';
    logger.error({ jobId: job?.id, id, op, reason: err.message, attempts: job?.attemptsMade }, 'ingest job failed for good: not published');
    options.onFailed?.({ id, op, reason: err.message });
    if (options.audit && parsed.success) {
      options.audit
        .record({ id, action: 'failed', editor: parsed.data.editor, reason: failureReason(parsed.data, err.message) })
        .catch((e: unknown) => logger.error({ id, err: (e as Error).message }, 'failed change not audited'));
    }
  };
}

export function createIngestWorker(options: IngestWorkerOptions): IngestWorker {
  const { logger } = options;
  const worker = new Worker(INGEST_QUEUE, jobProcessor(options), {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: LOCK_MS,
    stalledInterval: STALLED_MS,
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (attemptsMade: number) => Math.min(200 * 2 ** Math.max(0, attemptsMade - 1), MAX_BACKOFF_MS),
    },
  });
  worker.on('failed', onJobFailed(options));
  worker.on('error', (err) => logger.warn({ err: err.message }, 'ingest worker error'));

  let closing: Promise<void> | null = null;
  return {
    worker,
    close: () => (closing ??= worker.close()),
  };
}

async function buildEvent(log: FeedLog, job: ParsedIngestJob): Promise<{ event: UnsequencedEvent | null; expectedVersion: number }> {
  const now = new Date().toISOString();
  if (job.op === 'publish') {
    const { publishedAt, ...draft } = job.draft;
    return {
      expectedVersion: 0,
      event: { id: job.id, version: 1, status: 'published', ...draft, publishedAt: publishedAt ?? now, updatedAt: now },
    };
  }
  const current = await log.current(job.id);
  if (current === null) throw new UnrecoverableError(`not_found: headline ${job.id} is not in the log`);
  const { seq: _, ...base } = current;
  if (job.op === 'withdraw') {
    if (current.status === 'withdrawn') return { event: null, expectedVersion: current.version };
    return { expectedVersion: current.version, event: next(base, 'withdrawn', now) };
  }
  if (current.status === 'withdrawn') throw new UnrecoverableError(`conflict: headline ${job.id} was withdrawn`);
  return { expectedVersion: current.version, event: next({ ...base, ...job.changes }, 'corrected', now) };
}

function next(base: Omit<Headline, 'seq'>, status: Headline['status'], now: string): UnsequencedEvent {
  return { ...base, version: base.version + 1, status, updatedAt: now };
}

/** What the audit (and the console) says of a change that never went out: which, and why. */
function failureReason(job: ParsedIngestJob, message: string): string {
  // A first publication has no row in the console yet: its text says which one it was.
  if (job.op === 'publish') return `publish “${job.draft.text.slice(0, 120)}”: ${message}`;
  return `${job.op}: ${message}`;
}
