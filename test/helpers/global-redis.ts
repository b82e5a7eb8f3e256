import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { PrivateRedis } from '../../server/src/redis/private-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** one redis-server for the whole run; each test file works under its own key prefix */
    sharedRedisUrl: string;
  }
}

/**
 * vitest globalSetup: one redis-server for the run instead of one per file. Files isolate
 * themselves by key prefix (see `useStack`), as BullMQ's own tests isolate queues. Files that
 * kill, restart or flush Redis start a private server instead (`usePrivateStack`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-shared-redis-'));
  // No fsync: nothing kills this server, and durability across restarts is what private servers test.
  const server = await new PrivateRedis({ dir }).start();
  project.provide('sharedRedisUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
