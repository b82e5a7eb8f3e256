// The plain Socket.IO baseline: a POST becomes one `io.emit`. No Redis, no queue, no log, no
// auth, no filtering: the least a Socket.IO ticker can do. Same wire shapes as the product, so
// the generator cannot tell them apart. Prints `listening <port>` once up.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { serveClient: false });
let seq = 0;

io.on('connection', (socket) => {
  socket.on('subscribe', (_request: unknown, ack: unknown) => {
    if (typeof ack === 'function') ack({ ok: true, headlines: [], seq });
  });
});

http.on('request', (req, res) => {
  if (req.method !== 'POST' || req.url !== '/api/headlines') {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: { text?: unknown; topics?: unknown; symbols?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString()) as typeof body;
    } catch {
      res.writeHead(400).end();
      return;
    }
    const now = new Date().toISOString();
    const id = randomUUID();
    io.emit('headline', {
      id,
      seq: ++seq,
      version: 1,
      status: 'published',
      text: String(body.text),
      topics: Array.isArray(body.topics) ? body.topics : [],
      symbols: Array.isArray(body.symbols) ? body.symbols : [],
      urgency: 'routine',
      lang: 'en',
      source: 'desk',
      publishedAt: now,
      updatedAt: now,
    });
    res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, status: 'queued' }));
  });
});

http.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => io.close(() => process.exit(0)));
