import { TickerError } from '@headline-ticker/sdk/protocol';
import { COMMAND_TIMEOUT_MS, isCluster, type RedisClient } from '../redis/connection.js';
import { waitForReplicas } from '../redis/replication.js';
import type { FeedKeys } from './feed-keys.js';

// Moves the committed watermark to ARGV[1] (never back) and announces the events it newly covers,
// in order. Under durability "replica" the append does not announce: an event is served only
// once a replica has it, so a failover can never take back what a client saw.
//   KEYS[1] committed watermark (the last seq a replica is known to hold)
//   KEYS[2] the feed log (stream, entry ids `${seq}-0`)
//   ARGV[1] the seq that WAIT has just confirmed on a replica
//   ARGV[2] the announcement channel
//   ARGV[3] the last seq before the first durable append, used when no watermark exists yet
//   ARGV[4] most events announced per call (the relay reads any others from the log)
const COMMIT_LUA = `
local upto = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or ARGV[3])
if upto <= cur then return cur end
local entries = redis.call('XRANGE', KEYS[2], '(' .. cur .. '-0', upto .. '-0', 'COUNT', tonumber(ARGV[4]))
for _, entry in ipairs(entries) do
  local f = entry[2]
  local ev, prev = nil, 'null'
  for j = 1, #f, 2 do
    if f[j] == 'e' then ev = f[j + 1] elseif f[j] == 'p' then prev = f[j + 1] end
  end
  -- The same announcement as the append script's: the event and the version it replaces.
  if ev then redis.call('PUBLISH', ARGV[2], '{"e":' .. ev .. ',"p":' .. prev .. '}') end
end
redis.call('SET', KEYS[1], upto)
return upto
`;

/**
 * How long an append or a queued job waits for a replica before the caller is told to retry:
 * well inside the command timeout, so WAIT's own answer (0 replicas) comes back, not a timeout.
 */
export const REPLICA_WAIT_MS = COMMAND_TIMEOUT_MS / 2;

/**
 * The durability "replica" step: after a write, WAIT until a replica holds it; after an append,
 * also move the committed watermark, which is what the feed serves up to.
 */
export class ReplicaCommit {
  readonly #redis: RedisClient;
  readonly #keys: FeedKeys;

  constructor(redis: RedisClient, keys: FeedKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Resolves once this connection's writes so far are on a replica; `unavailable` otherwise. */
  async replicated(what: string): Promise<void> {
    const acked = await waitForReplicas(this.#redis, this.#keys.seq, 1, REPLICA_WAIT_MS);
    if (acked < 1) {
      // Done on the primary, not yet confirmed on a replica: a retry with the same idempotency
      // key is safe and either finds it or does it again.
      throw new TickerError('outcome_unknown', `${what} is not yet on a replica; retry with the same idempotency key`);
    }
  }

  /** After an append of `seq`: wait for a replica, then serve everything up to `seq`. */
  async commit(seq: number): Promise<void> {
    await this.replicated(`event ${seq}`);
    const redis = this.#redis as RedisClient & { tickerCommit?: (...a: string[]) => Promise<unknown> };
    const lua = isCluster(redis) ? COMMIT_LUA.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'") : COMMIT_LUA;
    if (redis.tickerCommit === undefined) redis.defineCommand('tickerCommit', { numberOfKeys: 2, lua });
    await redis.tickerCommit!(this.#keys.committed, this.#keys.log, String(seq), this.#keys.channel, String(seq - 1), '1000');
  }

  /** The last seq the feed may serve; null before the first durable append. */
  async committedSeq(): Promise<number | null> {
    const v = await this.#redis.get(this.#keys.committed);
    return v === null ? null : Number.parseInt(v, 10);
  }
}
