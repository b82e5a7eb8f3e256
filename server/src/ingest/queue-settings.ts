import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';
import { INGEST_QUEUE } from './ingest-jobs.js';

/**
 * The idempotency window: a retry with the same key within it returns the first answer and
 * never publishes twice. It holds after the job is gone: the append's operation marker (kept 8
 * days, feed-log.ts) makes a re-queued job a no-op.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/**
 * Attempts are many and the backoff capped (ingest-worker.ts); the worker's retry horizon is
 * what bounds them in time.
 */
export const JOB_DEFAULTS = {
  attempts: 1000,
  backoff: { type: 'capped' },
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
export const EVENTS_MAX_LEN = 1000;

/** The ingest queue on `connection`, with the options above. */
export function ingestQueueOn(connection: RedisClient, prefix: string): Queue {
  const queue = new Queue(INGEST_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: JOB_DEFAULTS,
    streams: { events: { maxLen: EVENTS_MAX_LEN } },
  });
  // BullMQ re-emits connection errors here; they surface as 503s on the requests instead.
  queue.on('error', () => undefined);
  return queue;
}
