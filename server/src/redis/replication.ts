import calculateSlot from 'cluster-key-slot';
import { Cluster, Command } from 'ioredis';
import { TickerError } from '@headline-ticker/sdk/protocol';
import { COMMAND_TIMEOUT_MS, type RedisClient } from './connection.js';

/**
 * How long a write waits for a replica before the caller is told to retry: well inside the
 * command timeout, so WAIT's own answer (0 replicas) comes back, not a timeout.
 */
export const REPLICA_WAIT_MS = COMMAND_TIMEOUT_MS / 2;

/**
 * WAIT: blocks until this connection's writes so far have reached `replicas` replicas, or
 * `timeoutMs` passes; answers how many did. WAIT names no key, and a cluster client would send
 * it to any node, so there it is routed to the primary of `slotKey`'s slot: the connection that
 * carried the writes (one connection per node).
 *
 * WAIT blocks the whole connection meanwhile and counts only that connection's writes: run it
 * on a connection that carries the writes it confirms and nothing else (never the one reads
 * use, or every read queues behind it while no replica answers).
 */
export async function waitForReplicas(client: RedisClient, slotKey: string, replicas: number, timeoutMs: number): Promise<number> {
  if (client instanceof Cluster) {
    const command = new Command('wait', [replicas, timeoutMs], { replyEncoding: 'utf8' });
    return Number(await client.sendCommand(command, undefined, { slot: calculateSlot(slotKey) }));
  }
  return Number(await client.call('WAIT', replicas, timeoutMs));
}

/**
 * Resolves once every write made so far on `writer` is on a replica; `outcome_unknown`
 * otherwise (done on the primary, not confirmed on a replica: a retry with the same
 * idempotency key is safe and either finds it or does it again).
 */
export async function replicated(writer: RedisClient, slotKey: string, what: string): Promise<void> {
  const acked = await waitForReplicas(writer, slotKey, 1, REPLICA_WAIT_MS);
  if (acked < 1) throw new TickerError('outcome_unknown', `${what} is not yet on a replica; retry with the same idempotency key`);
}
