// Writes a gateway's drained counts to Redis: a few commands per flush, however many sockets,
// connects or deliveries there were. Two scripts, so each roll-up step is atomic.
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { Logger } from '../logger.js';
import type { UsageConfig } from './usage-config.js';
import { ADDRESS_TTL_SECONDS, DAY_MS, MINUTE_TTL_SECONDS, dayOf, hourOf, minuteOf, type UsageKeys } from './usage-keys.js';
import type { TallySnapshot, UsageTally } from './usage-tally.js';

/**
 * KEYS[1] minute hash   KEYS[2] hour hash   KEYS[3] day hash   KEYS[4] now hash
 * KEYS[5] last-seen hash   KEYS[6] names hash
 * ARGV[1] gateway id   ARGV[2] now (ms)   ARGV[3] roll-up TTL (s)   ARGV[4] minute TTL (s)
 * ARGV[5] "now" entries older than this (ms) are dropped (their gateway stopped flushing)
 * ARGV[6] number of subjects S, then S × (subject, open, windowMax, connects, deliveries, lastSeen)
 * then the rest: pairs of (ref, name)
 *
 * The peak is the peak of per-minute sums across gateways: each gateway keeps, per minute, the
 * most sockets it had open at once; the sum of those fields is the minute's figure, and the hour
 * and day keep the largest minute figure seen.
 */
const FLUSH_LUA = `
local gw, now, ttl, minuteTtl, staleBefore = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n = tonumber(ARGV[6])
local touched = {}
for i = 0, n - 1 do
  local b = 7 + i * 6
  local subject, open, windowMax = ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2])
  local connects, deliveries, lastSeen = tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local field = gw .. '|' .. subject
  local prev = tonumber(redis.call('HGET', KEYS[1], field) or '0')
  if windowMax > prev then redis.call('HSET', KEYS[1], field, windowMax) end
  redis.call('HSET', KEYS[4], field, open .. '|' .. now)
  if connects > 0 then
    redis.call('HINCRBY', KEYS[2], 'connects|' .. subject, connects)
    redis.call('HINCRBY', KEYS[3], 'connects|' .. subject, connects)
  end
  if deliveries > 0 then
    redis.call('HINCRBY', KEYS[2], 'deliveries|' .. subject, deliveries)
    redis.call('HINCRBY', KEYS[3], 'deliveries|' .. subject, deliveries)
  end
  if lastSeen > 0 then
    if lastSeen > tonumber(redis.call('HGET', KEYS[3], 'lastSeen|' .. subject) or '0') then
      redis.call('HSET', KEYS[3], 'lastSeen|' .. subject, lastSeen)
    end
    if lastSeen > tonumber(redis.call('HGET', KEYS[5], subject) or '0') then redis.call('HSET', KEYS[5], subject, lastSeen) end
  end
  touched[subject] = true
end
-- the minute's sums across gateways, for the subjects this gateway touched
local sums = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local bar = string.find(fields[i], '|', 1, true)
  local subject = string.sub(fields[i], bar + 1)
  if touched[subject] then sums[subject] = (sums[subject] or 0) + tonumber(fields[i + 1]) end
end
for subject, sum in pairs(sums) do
  for _, k in ipairs({ KEYS[2], KEYS[3] }) do
    if sum > tonumber(redis.call('HGET', k, 'peak|' .. subject) or '0') then redis.call('HSET', k, 'peak|' .. subject, sum) end
  end
end
-- gateways that stopped flushing no longer count as "now"
local nowFields = redis.call('HGETALL', KEYS[4])
for i = 1, #nowFields, 2 do
  local bar = string.find(nowFields[i + 1], '|', 1, true)
  if tonumber(string.sub(nowFields[i + 1], bar + 1)) < staleBefore then redis.call('HDEL', KEYS[4], nowFields[i]) end
end
for i = 7 + n * 6, #ARGV, 2 do redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], minuteTtl)
for _, k in ipairs({ KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6] }) do redis.call('EXPIRE', k, ttl) end
return n
`;

/**
 * KEYS[1] refused sorted set (origin → count) of one key and day   KEYS[2] its referer hash
 * KEYS[3] day hash
 * ARGV[1] ref   ARGV[2] top N kept   ARGV[3] TTL (s)   then triples (origin, count, referer or "")
 * The total stays exact (`refused|ref` in the day hash) while the set keeps only the N most
 * frequent origins, so forged origins cannot grow it.
 */
const REFUSED_LUA = `
local ref, topN, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, #ARGV, 3 do
  local origin, count, referer = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  redis.call('ZINCRBY', KEYS[1], count, origin)
  redis.call('HINCRBY', KEYS[3], 'refused|' .. ref, count)
  if referer ~= '' then redis.call('HSET', KEYS[2], origin, referer) end
end
local over = redis.call('ZCARD', KEYS[1]) - topN
if over > 0 then
  local gone = redis.call('ZRANGE', KEYS[1], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, over - 1)
  for _, origin in ipairs(gone) do redis.call('HDEL', KEYS[2], origin) end
end
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return 1
`;

/** The least time "now" figures are trusted after their gateway's last flush. */
const MIN_STALE_MS = 15_000;

export const staleAfterMs = (config: UsageConfig): number => Math.max(MIN_STALE_MS, config.flushSeconds * 3000);

export class UsageFlusher {
  readonly #redis: RedisClient;
  readonly #keys: UsageKeys;
  readonly #tally: UsageTally;
  readonly #logger: Logger;
  #config: UsageConfig;
  readonly #gateway = randomUUID().slice(0, 8);
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: { redis: RedisClient; keys: UsageKeys; tally: UsageTally; logger: Logger; config: UsageConfig }) {
    this.#redis = deps.redis;
    this.#keys = deps.keys;
    this.#tally = deps.tally;
    this.#logger = deps.logger;
    this.#config = deps.config;
  }

  start(): void {
    this.#schedule();
  }

  set config(config: UsageConfig) {
    const changed = config.flushSeconds !== this.#config.flushSeconds;
    this.#config = config;
    if (changed && this.#timer !== null) this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.flush(), this.#config.flushSeconds * 1000);
    this.#timer.unref();
  }

  /** Writes what was counted since the last flush, as of `now`; one at a time. */
  flush(now?: number): Promise<void> {
    this.#running ??= this.#write(now ?? Date.now()).finally(() => (this.#running = null));
    return this.#running;
  }

  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
    await this.flush();
  }

  async #write(now: number): Promise<void> {
    const snapshot = this.#tally.drain();
    try {
      await this.#send(snapshot, now);
    } catch (err) {
      // Redis is away: keep the counts for the next flush.
      this.#tally.restore(snapshot);
      this.#logger.warn({ err: (err as Error).message }, 'usage not flushed; kept for the next try');
    }
  }

  async #send(s: TallySnapshot, now: number): Promise<void> {
    const k = this.#keys;
    const ttl = Math.ceil((this.#config.retentionDays * DAY_MS) / 1000) + 86_400;
    const day = dayOf(now);
    const pipeline = this.#redis.pipeline();
    if (s.subjects.length > 0 || s.names.size > 0) {
      const args: (string | number)[] = [this.#gateway, now, ttl, MINUTE_TTL_SECONDS, now - staleAfterMs(this.#config), s.subjects.length];
      for (const x of s.subjects) args.push(x.subject, x.open, x.windowMax, x.connects, x.deliveries, x.lastSeen);
      for (const [ref, name] of s.names) args.push(ref, name);
      const keys = [k.minute(minuteOf(now)), k.hour(hourOf(now)), k.day(day), k.now, k.lastSeen, k.names];
      pipeline.eval(FLUSH_LUA, keys.length, ...keys, ...args);
    }
    const perRef = new Map<string, (string | number)[]>();
    for (const r of s.refused) {
      const args = perRef.get(r.ref) ?? [];
      args.push(r.origin, r.count, r.referer ?? '');
      perRef.set(r.ref, args);
    }
    for (const [ref, args] of perRef) {
      pipeline.eval(REFUSED_LUA, 3, k.refused(day, ref), k.referer(day, ref), k.day(day), ref, this.#config.refusedTopN, ttl, ...args);
    }
    if (s.unknown.total > 0) {
      pipeline.hincrby(k.day(day), 'unknown', s.unknown.total).expire(k.day(day), ttl);
      const addresses = k.unknownAddresses(minuteOf(now));
      for (const [address, n] of s.unknown.byAddress) pipeline.zincrby(addresses, n, address);
      pipeline.zremrangebyrank(addresses, 0, -(this.#config.refusedTopN + 1)).expire(addresses, ADDRESS_TTL_SECONDS);
    }
    if (pipeline.length === 0) return;
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed) throw failed[0]!;
  }
}
