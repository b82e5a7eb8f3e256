// A TCP proxy that throttles the server→client direction: a slow link, as a desk on a poor line has.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ThrottlingProxy = Awaited<ReturnType<typeof throttlingProxy>>;

/**
 * A TCP proxy whose server→client direction carries at most `rate` bytes a second. When the
 * server ends a connection (an HTTP response with `Connection: close`, as long-polling requests
 * from Node have), what is still queued is delivered first, then the client's side ends.
 */
export async function throttlingProxy(target: number, rate: number): Promise<{ port: number; close: () => Promise<void> }> {
  const tick = 20;
  const perTick = Math.floor((rate * tick) / 1000);
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    pairs.add([client, upstream]);
    client.pipe(upstream);
    const queue: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      upstream.pause(); // read no faster than we forward: the gateway sees a slow reader
    });
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0]!;
        const part = head.subarray(0, budget);
        client.write(part);
        budget -= part.length;
        if (part.length === head.length) queue.shift();
        else queue[0] = head.subarray(part.length);
      }
      if (queue.length > 0) return;
      if (upstreamEnded) {
        clearInterval(timer);
        client.end();
      } else upstream.resume();
    }, tick);
    let upstreamEnded = false;
    const end = () => {
      clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('end', () => (upstreamEnded = true)).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const [a, b] of pairs) {
          a.destroy();
          b.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
