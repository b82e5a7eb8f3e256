import { randomUUID } from 'node:crypto';
import { isCluster, type RedisClient } from '../redis/connection.js';
import type { Durability } from '../redis/redis-topology.js';
import { ReplicaCommit } from './replica-commit.js';
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { FeedKeys } from './feed-keys.js';
import type { LogEvent } from './log-event.js';
import type { Metrics } from '../metrics.js';
import { APPEND_KEYS, appendScript } from './scripts/append-event.js';
import { RENEW_EPOCH_LUA } from './scripts/renew-epoch.js';
import { AUDIT_MAX_LEN, type AppendRequest, type AppendResult, type ReadAfterResult, type Retention } from './log-types.js';
import { logEventOf, seqOf, type Entry } from './log-entries.js';
import { readAfter, seqAsOf, snapshot } from './log-scans.js';

export type { AppendAudit, AppendRequest, AppendResult, ReadAfterResult, Retention, UnsequencedEvent } from './log-types.js';
export { AUDIT_MAX_LEN } from './log-types.js';

const OP_MARKER_TTL_SECONDS = 8 * 24 * 3600;
/** The ordered, durable feed log in Redis: the truth that pub/sub only announces. */
export class FeedLog {
  readonly #redis: RedisClient;
  readonly #keys: FeedKeys;
  readonly #retention: Retention;
  /** durability "replica": appends are announced and served only once on a replica */
  readonly #replica: ReplicaCommit | null;

  /** where appends run: under durability "replica" a connection of their own (ReplicaCommit) */
  readonly #writer: RedisClient;

  constructor(redis: RedisClient, keys: FeedKeys, retention: Retention, options: { durability?: Durability; writer?: RedisClient } = {}) {
    this.#redis = redis;
    this.#keys = keys;
    this.#retention = retention;
    this.#writer = options.writer ?? redis;
    this.#replica = options.durability === 'replica' ? new ReplicaCommit(redis, this.#writer, keys) : null;
  }

  /** Events the log always keeps (the newest ones): retention trims only older ones. */
  get retainsAtLeast(): number {
    return this.#retention.maxEvents;
  }

  get keys(): FeedKeys {
    return this.#keys;
  }

  /** The log's gauges: its length, and the size memory is planned for. */
  registerMetrics(metrics: Metrics): void {
    metrics.gauge(
      'ticker_log_events',
      'Events held in the feed log (length of the Redis stream)',
      [],
      async (g) => {
        const n = await this.#redis.xlen(this.#keys.log).catch(() => null);
        if (n !== null) g.set(n);
      },
      'max',
    );
    metrics.gauge(
      'ticker_log_retention_max_events',
      'retention.maxEvents: the log size memory is planned for',
      [],
      (g) => g.set(this.#retention.maxEvents),
      'max',
    );
  }

  // EVALSHA with the script loaded once per connection (ioredis falls back to EVAL on NOSCRIPT,
  // e.g. after a Redis restart), instead of sending 2.5 KB of Lua with every headline.
  #script(...args: string[]): Promise<unknown> {
    // One command per variant, so logs of either durability can share a connection.
    const name = this.#replica === null ? 'tickerAppend' : 'tickerAppendUnannounced';
    const redis = this.#writer as RedisClient & Record<string, ((...a: string[]) => Promise<unknown>) | undefined>;
    if (redis[name] === undefined)
      redis.defineCommand(name, {
        numberOfKeys: APPEND_KEYS,
        lua: appendScript({ cluster: isCluster(redis), announce: this.#replica === null }),
      });
    return redis[name]!(...args);
  }

  async append(req: AppendRequest): Promise<AppendResult> {
    const k = this.#keys;
    const json = JSON.stringify(req.event);
    const reply = (await this.#script(
      k.seq,
      k.log,
      k.current,
      k.op(req.opId),
      k.versions,
      k.audit,
      k.epoch,
      k.channel,
      req.event.id,
      String(req.expectedVersion),
      json,
      String(Date.now()),
      String(this.#retention.maxEvents),
      String(this.#retention.minAgeSeconds * 1000),
      String(OP_MARKER_TTL_SECONDS),
      req.audit?.editor ?? '',
      req.audit?.action ?? '',
      String(AUDIT_MAX_LEN),
      String(this.#retention.maxEventsHard ?? Number.MAX_SAFE_INTEGER),
      randomUUID(),
    )) as [string, number, number?];
    const [kind, n, hardDropped] = reply;
    if (kind === 'conflict') return { kind: 'conflict', version: n };
    // A retried job (duplicate) commits too: its first run may have died before the replica step.
    await this.#replica?.commit(n);
    if (kind === 'appended') return { kind, seq: n, hardDropped: hardDropped ?? 0 };
    return { kind: 'duplicate', seq: n };
  }

  /** The feed's epoch (created now when the feed has none yet). */
  async epoch(): Promise<string> {
    const e = await this.#redis.get(this.#keys.epoch);
    if (e !== null) return e;
    await this.#redis.set(this.#keys.epoch, randomUUID(), 'NX');
    return (await this.#redis.get(this.#keys.epoch)) ?? '';
  }

  /**
   * Starts a new epoch unless someone already did: the log lost events that were announced
   * (Redis restarted without them), so the numbers after them are being handed out again.
   */
  async renewEpoch(known: string): Promise<string> {
    const reply = (await this.#redis.eval(RENEW_EPOCH_LUA, 1, this.#keys.epoch, known, randomUUID())) as string;
    return reply;
  }

  /** The id of the headline logged at `seq`, or null when the log has no such entry. */
  async idAt(seq: number): Promise<string | null> {
    const entries = (await this.#redis.xrange(this.#keys.log, `${seq}-0`, `${seq}-0`)) as Entry[];
    const f = entries[0]?.[1];
    if (f === undefined) return null;
    for (let j = 0; j < f.length; j += 2) if (f[j] === 'i') return f[j + 1]!;
    return null;
  }

  /**
   * One round trip for a relay's tail check: the head, the epoch, and the id logged at `seq`
   * (null when there is no such entry).
   */
  async tail(seq: number): Promise<{ head: number; epoch: string | null; idAtSeq: string | null }> {
    const replies = await this.#redis
      .multi()
      .get(this.#keys.seq)
      .get(this.#keys.epoch)
      .xrange(this.#keys.log, `${seq}-0`, `${seq}-0`)
      .get(this.#keys.committed)
      .exec();
    if (replies === null) throw new Error('tail check aborted');
    for (const [err] of replies) if (err) throw err;
    // Under durability "replica" the head is the committed watermark (see currentSeq).
    const committed = this.#replica === null ? null : (replies[3]![1] as string | null);
    const head = committed ?? (replies[0]![1] as string | null);
    const entries = replies[2]![1] as Entry[];
    const f = entries[0]?.[1];
    let id: string | null = null;
    if (f !== undefined) for (let j = 0; j < f.length; j += 2) if (f[j] === 'i') id = f[j + 1]!;
    return { head: head === null ? 0 : Number.parseInt(head, 10), epoch: replies[1]![1] as string | null, idAtSeq: id };
  }

  /**
   * The last seq the feed serves: the counter, or under durability "replica" the committed
   * watermark (until the first durable append sets it, the counter: nothing changes for a feed
   * that switches durability on).
   */
  async currentSeq(): Promise<number> {
    const committed = await this.#replica?.committedSeq();
    if (committed !== undefined && committed !== null) return committed;
    const v = await this.#redis.get(this.#keys.seq);
    return v === null ? 0 : Number.parseInt(v, 10);
  }

  /** The current event of one headline, or null when unknown (or retired by retention). */
  async current(id: string): Promise<Headline | null> {
    const json = await this.#redis.hget(this.#keys.current, id);
    return json === null ? null : (JSON.parse(json) as Headline);
  }

  /** Events with seq in (after, upTo], in order, at most `count`. */
  async range(after: number, upTo: number | '+', count: number): Promise<LogEvent[]> {
    const end = upTo === '+' ? '+' : `${upTo}-0`;
    const entries = (await this.#redis.xrange(this.#keys.log, `(${after}-0`, end, 'COUNT', count)) as Entry[];
    return entries.map(logEventOf);
  }

  /** Oldest retained seq, or null for an empty log. */
  async oldestSeq(): Promise<number | null> {
    const first = (await this.#redis.xrange(this.#keys.log, '-', '+', 'COUNT', 1)) as Entry[];
    return first[0] === undefined ? null : seqOf(first[0]);
  }

  /**
   * The seq of the last event appended at or before `timeMs` (looking back from `upTo`): what a
   * key delayed to that time may see. 0 when nothing retained is that old.
   */
  seqAsOf(timeMs: number, upTo: number): Promise<number> {
    return seqAsOf(this.#redis, this.#keys, timeMs, upTo);
  }

  /**
   * What `view` shows of every event after `since`, in seq order, at most `limit`, reading no
   * further than `upTo`. `reset` when events after `since` have already left the log.
   */
  readAfter(since: number, view: (ev: LogEvent) => Headline | null, limit: number, upTo: number): Promise<ReadAfterResult> {
    return readAfter(this, since, view, limit, upTo);
  }

  /**
   * The latest `limit` headlines that match, each in its current version, withdrawn ones left
   * out, as of `upTo`; in seq order. Looks back over at most `maxScan` events.
   */
  snapshot(matches: (h: Headline) => boolean, limit: number, upTo: number, maxScan = 20_000): Promise<Headline[]> {
    return snapshot(this.#redis, this.#keys, matches, limit, upTo, maxScan);
  }
}
