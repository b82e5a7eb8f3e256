import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';

// Counts a key's open connections across every gateway: one hash per key, a field per gateway.
// A gateway that dies stops refreshing its liveness key, and its counts stop counting.
const ACQUIRE_LUA = `
local total = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  if redis.call('EXISTS', ARGV[3] .. counts[i]) == 1 then total = total + tonumber(counts[i + 1])
  else redis.call('HDEL', KEYS[1], counts[i]) end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
`;

const HEARTBEAT_MS = 5000;
const ALIVE_SECONDS = 15;

/** A started counter (its first heartbeat written); its `close()` is idempotent. */
export async function createConnectionCounter(redis: RedisClient, prefix: string): Promise<ConnectionCounter> {
  const counter = new ConnectionCounter(redis, prefix);
  await counter.start();
  return counter;
}

/** Enforces `maxConnections` per key across gateways. */
export class ConnectionCounter {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #id = randomUUID();
  readonly #local = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat().catch(() => undefined), HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** True when the key is under its cap (and the connection is now counted). */
  async tryAcquire(keyDigest: string, max: number): Promise<boolean> {
    const ok = (await this.#redis.eval(ACQUIRE_LUA, 1, this.#hash(keyDigest), this.#id, String(max), this.#aliveKey(''))) as number;
    if (ok === 1) this.#local.set(keyDigest, (this.#local.get(keyDigest) ?? 0) + 1);
    return ok === 1;
  }

  release(keyDigest: string): void {
    const n = (this.#local.get(keyDigest) ?? 1) - 1;
    if (n <= 0) this.#local.delete(keyDigest);
    else this.#local.set(keyDigest, n);
    this.#redis.hincrby(this.#hash(keyDigest), this.#id, -1).catch(() => undefined);
  }

  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      if (this.#timer) clearInterval(this.#timer);
      await this.#redis.del(this.#aliveKey(this.#id)).catch(() => undefined);
    })());
  }

  // Liveness, and a re-statement of this gateway's counts (they may have been lost with Redis).
  async #beat(): Promise<void> {
    const multi = this.#redis.multi().set(this.#aliveKey(this.#id), '1', 'EX', ALIVE_SECONDS);
    for (const [digest, n] of this.#local) multi.hset(this.#hash(digest), this.#id, n);
    await multi.exec();
  }

  #hash(digest: string): string {
    return `${this.#prefix}:conns:${digest}`;
  }

  #aliveKey(id: string): string {
    return `${this.#prefix}:gateway:${id}`;
  }
}
