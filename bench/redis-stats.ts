// Redis commands by name from `INFO commandstats`. Redis counts the commands a Lua script runs
// under their own names (and the EVALSHA itself), so the totals include what runs inside scripts.
import { Redis } from 'ioredis';

export type CommandCounts = Record<string, number>;

/** Commands the bench itself sends (reading the stats), left out of every count. */
const OWN = new Set(['info']);

export class RedisStats {
  readonly #redis: Redis;

  constructor(url: string) {
    this.#redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  async counts(): Promise<CommandCounts> {
    const text = await this.#redis.info('commandstats');
    const out: CommandCounts = {};
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gmu)) if (!OWN.has(m[1]!)) out[m[1]!] = Number(m[2]);
    return out;
  }

  /** A key's value (the feed's seq counter), to know when the worker has caught up. */
  get(key: string): Promise<string | null> {
    return this.#redis.get(key);
  }

  /** Jobs of the `queued` target's BullMQ queue not yet done (waiting or active). */
  async pendingJobs(): Promise<number> {
    const [wait, active] = await Promise.all([this.#redis.llen('bull:bench:wait'), this.#redis.llen('bull:bench:active')]);
    return wait + active;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/** after − before, by command, only those that moved. */
export function delta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const out: CommandCounts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

export const total = (c: CommandCounts): number => Object.values(c).reduce((a, b) => a + b, 0);
