import calculateSlot from 'cluster-key-slot';
import { Cluster, Command } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * WAIT: blocks until this connection's writes so far have reached `replicas` replicas, or
 * `timeoutMs` passes; answers how many did. WAIT names no key, and a cluster client would send
 * it to any node, so there it is routed to the primary of `slotKey`'s slot: the connection that
 * carried the writes (one connection per node).
 */
export async function waitForReplicas(client: RedisClient, slotKey: string, replicas: number, timeoutMs: number): Promise<number> {
  if (client instanceof Cluster) {
    const command = new Command('wait', [replicas, timeoutMs], { replyEncoding: 'utf8' });
    return Number(await client.sendCommand(command, undefined, { slot: calculateSlot(slotKey) }));
  }
  return Number(await client.call('WAIT', replicas, timeoutMs));
}
