import type { RedisClient } from '../redis/connection.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { TickerConfig } from '../config/ticker-config.js';
import { secondsToWait, WindowCounter } from './window-counter.js';

export type LimitsConfig = TickerConfig['limits'];

/** Seconds to wait before retrying, or null when the request may go ahead. */
export type RetryAfter = number | null;

const retryAfter = (res: RateLimiterRes): number => secondsToWait(res.msBeforeNext);

/**
 * Flood limits that hold across gateways (counters in Redis, via rate-limiter-flexible). While
 * Redis is away each limiter falls back to an in-memory one, so limits still apply per process.
 */
export class Limits {
  readonly #authFailures: RateLimiterRedis;
  readonly #history: RateLimiterRedis;
  readonly #publishes: RateLimiterRedis;
  readonly #socketMessages: WindowCounter;
  readonly #config: LimitsConfig;
  /**
   * Writes an editor may make here without a Redis round trip: taken from the shared limit a
   * second's worth at a time, so they are counted before they are used (the limit holds across
   * gateways; at most a lease per gateway goes unused), and they lapse with the limit's window.
   * A refusal is remembered until the window ends. Keyed by editor name: bounded by the config.
   */
  readonly #leases = new Map<string, { left: number; until: number; refused: boolean }>();
  readonly #leaseSize: number;
  readonly #renewing = new Map<string, Promise<void>>();

  constructor(redis: RedisClient, prefix: string, config: LimitsConfig) {
    this.#config = config;
    const shared = (name: string, points: number, duration: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:limit:${name}`,
        points,
        duration,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: `${name}-insurance`, points, duration }),
      });
    this.#authFailures = shared('auth', config.authFailuresPerMinute, 60);
    this.#history = shared('history', config.historyPerMinute, 60);
    this.#publishes = shared('publish', config.publishesPerEditorPerMinute, 60);
    this.#leaseSize = Math.max(1, Math.floor(config.publishesPerEditorPerMinute / 60));
    this.#socketMessages = new WindowCounter(config.socketMessagesPer10s, 10_000);
  }

  /** Is this address blocked after too many failed authentications? */
  async authBlocked(ip: string): Promise<RetryAfter> {
    try {
      const res = await this.#authFailures.get(ip);
      return res !== null && res.consumedPoints >= this.#config.authFailuresPerMinute ? retryAfter(res) : null;
    } catch {
      return null;
    }
  }

  async authFailed(ip: string): Promise<void> {
    await this.#authFailures.consume(ip).catch(() => undefined);
  }

  /** One history request by a key. */
  async history(keyDigest: string): Promise<RetryAfter> {
    return this.#consume(this.#history, keyDigest);
  }

  /**
   * One write (publish, correction, withdrawal) by an editor: a flood must not grow the log.
   * Served from a lease when one is open (most writes: no Redis round trip).
   */
  async publish(editor: string): Promise<RetryAfter> {
    const leased = this.#fromLease(editor);
    if (leased !== undefined) return leased;
    // One lease at a time per editor: concurrent writes wait for it instead of each taking one.
    const renewing = this.#renewing.get(editor);
    if (renewing !== undefined) {
      await renewing;
      // (null is an answer here: admitted from the new lease)
      const after = this.#fromLease(editor);
      return after === undefined ? this.#publishOne(editor) : after;
    }
    const renewal = this.#renew(editor);
    const settled = renewal.then(
      () => undefined,
      () => undefined,
    );
    this.#renewing.set(editor, settled);
    try {
      return await renewal;
    } finally {
      this.#renewing.delete(editor);
    }
  }

  /** Null: admitted from the open lease; a number: refused earlier in this window; undefined: no lease to go by. */
  #fromLease(editor: string): RetryAfter | undefined {
    const now = Date.now();
    const lease = this.#leases.get(editor);
    if (lease === undefined || now >= lease.until) return undefined;
    if (lease.left > 0) {
      lease.left--;
      return null;
    }
    // Refused earlier in this window: a flood is answered from memory, not from Redis.
    return lease.refused ? secondsToWait(lease.until - now) : undefined;
  }

  /** Takes a lease for this write and the next ones; near the limit, counts this write alone. */
  async #renew(editor: string): Promise<RetryAfter> {
    const size = this.#leaseSize;
    if (size > 1) {
      try {
        const res = await this.#publishes.consume(editor, size);
        this.#leases.set(editor, { left: size - 1, until: Date.now() + res.msBeforeNext, refused: false });
        return null;
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) return null;
        // Less than a lease left this minute: give it back and count one by one to the limit.
        await this.#publishes.reward(editor, size).catch(() => undefined);
      }
    }
    return this.#publishOne(editor);
  }

  async #publishOne(editor: string): Promise<RetryAfter> {
    try {
      await this.#publishes.consume(editor);
      return null;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) return null;
      this.#leases.set(editor, { left: 0, until: Date.now() + res.msBeforeNext, refused: true });
      return retryAfter(res);
    }
  }

  /** One socket message (subscribe/unsubscribe) on one socket: in memory, the socket is here. */
  socketMessage(socketId: string): RetryAfter {
    return this.#socketMessages.take(socketId);
  }

  async #consume(limiter: RateLimiterRedis | RateLimiterMemory, key: string): Promise<RetryAfter> {
    try {
      await limiter.consume(key);
      return null;
    } catch (res) {
      if (res instanceof RateLimiterRes) return retryAfter(res);
      return null;
    }
  }
}
