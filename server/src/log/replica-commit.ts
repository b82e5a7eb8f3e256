import { isCluster, type RedisClient } from '../redis/connection.js';
import { replicated } from '../redis/replication.js';
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
 * The durability "replica" step: after an append, WAIT until a replica holds it, then move the
 * committed watermark, which is what the feed serves up to.
 *
 * Two connections: `writer` carries the appends and their WAIT (WAIT counts only its own
 * connection's writes, and blocks that connection meanwhile); `reader` is the one every read
 * uses, so a missing replica stalls publishing, never reading.
 */
export class ReplicaCommit {
  readonly #reader: RedisClient;
  readonly #writer: RedisClient;
  readonly #keys: FeedKeys;

  constructor(reader: RedisClient, writer: RedisClient, keys: FeedKeys) {
    this.#reader = reader;
    this.#writer = writer;
    this.#keys = keys;
  }

  /** After an append of `seq`: wait for a replica, then serve everything up to `seq`. */
  async commit(seq: number): Promise<void> {
    await replicated(this.#writer, this.#keys.seq, `event ${seq}`);
    const redis = this.#writer as RedisClient & { tickerCommit?: (...a: string[]) => Promise<unknown> };
    const lua = isCluster(redis) ? COMMIT_LUA.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'") : COMMIT_LUA;
    if (redis.tickerCommit === undefined) redis.defineCommand('tickerCommit', { numberOfKeys: 2, lua });
    await redis.tickerCommit!(this.#keys.committed, this.#keys.log, String(seq), this.#keys.channel, String(seq - 1), '1000');
  }

  /** The last seq the feed may serve; null before the first durable append. */
  async committedSeq(): Promise<number | null> {
    const v = await this.#reader.get(this.#keys.committed);
    return v === null ? null : Number.parseInt(v, 10);
  }
}
