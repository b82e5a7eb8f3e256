import type { RedisClient } from '../redis/connection.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { TickerConfig } from '../config/ticker-config.js';
import { WindowCounter } from './window-counter.js';

export type LimitsConfig = TickerConfig['limits'];

/** Seconds to wait before retrying, or null when the request may go ahead. */
export type RetryAfter = number | null;

const retryAfter = (res: RateLimiterRes): number => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

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

  /** One write (publish, correction, withdrawal) by an editor: a flood must not grow the log. */
  async publish(editor: string): Promise<RetryAfter> {
    return this.#consume(this.#publishes, editor);
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
