// What the poller remembers per feed, in Redis so that restarts and other workers share it:
// which items were published (as which headline, under which title), the HTTP validators for
// conditional GET, consecutive failures for backoff, and a short lock against double polling.
import { createHash, randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import type { Validators } from './feed-fetch.js';

export interface RememberedItem {
  /** the headline the item became */
  id: string;
  /** hash of the headline text it was last published or corrected with */
  titleHash: string;
}

/** An item a capped poll left for the next polls: what publishing it needs, nothing more. */
export interface BacklogItem {
  itemId: string;
  key: string;
  text: string;
  url?: string;
  guid?: string;
  publishedAt?: string;
  lang?: string;
}

export interface FailureState {
  failures: number;
  /** epoch ms before which scheduled polls are skipped */
  retryAt: number;
}

/** Items not seen in the feed for this long are forgotten (the hash would grow forever otherwise). */
const FORGET_AFTER_MS = 30 * 24 * 3600 * 1000;

const UNLOCK_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export const sha = (s: string, hexChars = 32): string => createHash('sha256').update(s).digest('hex').slice(0, hexChars);

export class FeedMemory {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}:feeds`;
  }

  #key(feed: string, what: 'items' | 'seen' | 'http' | 'state' | 'lock' | 'backlog'): string {
    return `${this.#prefix}:${encodeURIComponent(feed)}:${what}`;
  }

  async recall(feed: string, itemIds: string[]): Promise<Map<string, RememberedItem>> {
    const out = new Map<string, RememberedItem>();
    if (itemIds.length === 0) return out;
    const values = await this.#redis.hmget(this.#key(feed, 'items'), ...itemIds);
    values.forEach((v, i) => {
      if (v === null) return;
      const [id, titleHash] = v.split(' ');
      if (id && titleHash) out.set(itemIds[i]!, { id, titleHash });
    });
    return out;
  }

  async remember(feed: string, itemId: string, item: RememberedItem): Promise<void> {
    await this.#redis
      .multi()
      .hset(this.#key(feed, 'items'), itemId, `${item.id} ${item.titleHash}`)
      .zadd(this.#key(feed, 'seen'), Date.now(), itemId)
      .exec();
  }

  /** Marks the items as still in the feed and forgets the ones gone for a month. */
  async touch(feed: string, itemIds: string[], now = Date.now()): Promise<void> {
    const seen = this.#key(feed, 'seen');
    if (itemIds.length > 0) await this.#redis.zadd(seen, ...itemIds.flatMap((id) => [now, id]));
    const stale = await this.#redis.zrangebyscore(seen, '-inf', now - FORGET_AFTER_MS, 'LIMIT', 0, 1000);
    if (stale.length > 0) {
      await this.#redis
        .multi()
        .hdel(this.#key(feed, 'items'), ...stale)
        .zrem(seen, ...stale)
        .exec();
    }
  }

  /** Items left over by the per-poll cap, still to publish. */
  async backlog(feed: string): Promise<BacklogItem[]> {
    const raw = await this.#redis.hvals(this.#key(feed, 'backlog'));
    const out: BacklogItem[] = [];
    for (const v of raw) {
      try {
        const item = JSON.parse(v) as BacklogItem;
        if (typeof item.itemId === 'string' && typeof item.key === 'string' && typeof item.text === 'string') out.push(item);
      } catch {
        // a value this version cannot read: dropped, the feed will offer the item again
      }
    }
    return out;
  }

  /** Replaces the backlog with `items` (none: removes it). */
  async saveBacklog(feed: string, items: BacklogItem[]): Promise<void> {
    const key = this.#key(feed, 'backlog');
    const m = this.#redis.multi().del(key);
    if (items.length > 0) m.hset(key, Object.fromEntries(items.map((i) => [i.itemId, JSON.stringify(i)])));
    await m.exec();
  }

  /** Validators saved for this URL (none when the feed's URL changed since). */
  async validators(feed: string, url: string): Promise<Validators> {
    const h = await this.#redis.hgetall(this.#key(feed, 'http'));
    if (h['url'] !== url) return {};
    return { ...(h['etag'] ? { etag: h['etag'] } : {}), ...(h['lastModified'] ? { lastModified: h['lastModified'] } : {}) };
  }

  async saveValidators(feed: string, url: string, v: Validators): Promise<void> {
    const key = this.#key(feed, 'http');
    await this.#redis
      .multi()
      .del(key)
      .hset(key, { url, ...v })
      .exec();
  }

  async failureState(feed: string): Promise<FailureState> {
    const h = await this.#redis.hgetall(this.#key(feed, 'state'));
    return { failures: Number(h['failures'] ?? 0), retryAt: Number(h['retryAt'] ?? 0) };
  }

  /** Counts one more failure in a row and sets when to try next; returns the new count. */
  async recordFailure(feed: string, delayFor: (failures: number) => number, now = Date.now()): Promise<FailureState> {
    const key = this.#key(feed, 'state');
    const failures = await this.#redis.hincrby(key, 'failures', 1);
    const retryAt = now + delayFor(failures);
    await this.#redis.hset(key, 'retryAt', retryAt);
    return { failures, retryAt };
  }

  async recordSuccess(feed: string): Promise<void> {
    await this.#redis.del(this.#key(feed, 'state'));
  }

  /** A lock so two workers never poll one feed at once; null when another holds it. */
  async lock(feed: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.#redis.set(this.#key(feed, 'lock'), token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async unlock(feed: string, token: string): Promise<void> {
    await this.#redis.eval(UNLOCK_LUA, 1, this.#key(feed, 'lock'), token);
  }
}
