import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one path of the test feed server answers. */
export type FeedRoute =
  | { kind: 'feed'; body: string | Buffer; contentType?: string; etag?: string; lastModified?: string }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; to: string }
  /** accepts the request and never answers */
  | { kind: 'hang' }
  /** a 200 whose body never ends (chunked, no Content-Length) */
  | { kind: 'endless' };

/**
 * A local HTTP server (127.0.0.1, port 0) that serves feeds a test sets per path, answers
 * conditional GETs with 304 when the validators match, and records every request's headers.
 */
export class FeedServer {
  readonly routes = new Map<string, FeedRoute>();
  readonly requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  #server: Server | null = null;
  #base = '';

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.requests.push({ path, headers: req.headers });
      this.#answer(path, req.headers, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.#base}${path}`;
  }

  set(path: string, route: FeedRoute): void {
    this.routes.set(path, route);
  }

  /** The requests made for `path` so far. */
  requestsFor(path: string): IncomingHttpHeaders[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.headers);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #answer(path: string, headers: IncomingHttpHeaders, res: ServerResponse): void {
    const route = this.routes.get(path);
    if (route === undefined) return void res.writeHead(404).end('not found');
    switch (route.kind) {
      case 'hang':
        return;
      case 'endless': {
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        return pump();
      }
      case 'status':
        return void res.writeHead(route.status, { 'content-type': 'text/plain' }).end(`status ${route.status}`);
      case 'redirect':
        return void res.writeHead(302, { location: route.to }).end();
      case 'feed': {
        const fresh =
          (route.etag !== undefined && headers['if-none-match'] === route.etag) ||
          (route.etag === undefined && route.lastModified !== undefined && headers['if-modified-since'] === route.lastModified);
        const validators = {
          ...(route.etag ? { etag: route.etag } : {}),
          ...(route.lastModified ? { 'last-modified': route.lastModified } : {}),
        };
        if (fresh) return void res.writeHead(304, validators).end();
        res.writeHead(200, { 'content-type': route.contentType ?? 'application/rss+xml; charset=utf-8', ...validators });
        return void res.end(route.body);
      }
    }
  }
}
