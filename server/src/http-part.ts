import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Part } from './shutdown.js';

/**
 * An HTTP server as a part: `close()` ends it and every open connection; done at once if it never
 * listened (a child of one process per core is handed its connections and ends only those).
 */
export function httpPart(name: string, server: HttpServer): Part {
  return {
    name,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) {
          server.closeAllConnections();
          return resolve();
        }
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Listens on `port` (0: any free one) and `host`; resolves with the port taken. */
export async function listen(server: NetServer, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
