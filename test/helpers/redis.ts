import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PrivateRedis } from '../../server/src/redis/private-redis.js';

export interface TestRedis {
  server: PrivateRedis;
  url: string;
  /** a plain client for assertions and fault injection */
  client: Redis;
  stop(): Promise<void>;
}

/**
 * A private redis-server for one test file: its own port and temp dir, AOF with fsync on every
 * write, so a test can kill and restart it and lose nothing acknowledged.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-redis-'));
  const server = await new PrivateRedis({ dir, fsyncAlways: true }).start();
  const client = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
  client.on('error', () => undefined);
  return {
    server,
    url: server.url,
    client,
    async stop() {
      client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
