// Subscribes a socket queued and then left behind are not run for nobody: 40 sockets that
// queued 10 full replays each and closed leave the gateway idle within a second.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_KEY } from '../helpers/config.js';
import { connect, type TestSocket } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { startProcess, writeConfigFile, type TickerProcess } from '../helpers/stack.js';
import { fillLog } from './fill-log.js';

// The run's shared redis-server, under a key prefix of this file's own.
const stack = useStack({ ticker: false });

/** CPU time (user + system) a process has used, in ms, from /proc. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

describe('work queued by a socket that has gone', () => {
  let node: TickerProcess;

  beforeAll(async () => {
    await fillLog(stack.redis.client, 30_000, { prefix: stack.prefix });
    node = await startProcess('gateway', {
      REDIS_URL: stack.redis.url,
      TICKER_PREFIX: stack.prefix,
      TICKER_CONFIG: writeConfigFile(),
      DBG: '1',
    });
  }, 120_000);
  afterAll(async () => {
    await node?.kill();
  });

  it('is dropped: CPU goes quiet within a second after 40 sockets that queued subscribes close', async () => {
    const sockets: TestSocket[] = await Promise.all(Array.from({ length: 40 }, () => connect(node.url, ALL_KEY)));
    // Ten per socket in one burst; a socket leaves as soon as its first is answered (the gateway
    // then holds the other nine: they arrive in order), with the second perhaps under way.
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            for (let i = 0; i < 10; i++) {
              s.emit('subscribe', { since: 0 }, i === 0 ? () => (s.close(), resolve()) : () => undefined);
            }
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const before = cpuMs(node.child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    // An idle gateway uses ~10 ms a second; 400 replays left running took ~65 s of CPU.
    expect(cpuMs(node.child.pid!) - before).toBeLessThan(250);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const dropped = Number(/^ticker_socket_tasks_dropped (\d+)/mu.exec(metrics)?.[1]);
    expect(dropped).toBeGreaterThanOrEqual(400 - 3 * 40); // at most the first two or three per socket ran
    expect(node.child.exitCode).toBeNull();
  }, 60_000);
});
