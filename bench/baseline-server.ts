// The plain Socket.IO baseline: a POST becomes one `io.emit`. No Redis, no queue, no log, no
// auth, no filtering: the least a Socket.IO ticker can do. Same wire shapes as the product, so
// the generator cannot tell them apart. Prints `listening <port>` once up. It keeps the latest
// headlines in memory so a subscribe gets its snapshot (`limit`, default 10), as the product's
// does; it has no log, so a resume (`since`) gets nothing it missed.
//
// With BENCH_QUEUE_REDIS_URL set it is the `queued` target: the same server with each headline
// carried by BullMQ (a Queue.add before the 202, a Worker that emits), as the product carries
// its headlines, and nothing else (no log, no auth). Its CPU per headline is what BullMQ alone
// costs on this machine: the floor under the product's own figure while BullMQ stays.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { serveClient: false });
// Starts from the clock, so a restarted baseline's seqs still go forward (as the product's log does).
let seq = Date.now();
const RECENT_MAX = 500;
const recent: unknown[] = [];

function emit(headline: unknown): void {
  recent.push(headline);
  if (recent.length > RECENT_MAX * 2) recent.splice(0, RECENT_MAX);
  io.emit('headline', headline);
}

// The `queued` target: BullMQ with the options the product gives it (completed jobs removed at
// once, a short events stream), one job in flight so headlines stay in order.
const queueUrl = process.env['BENCH_QUEUE_REDIS_URL'];
const queue = queueUrl
  ? new Queue('bench', {
      connection: new Redis(queueUrl, { maxRetriesPerRequest: null }),
      defaultJobOptions: { removeOnComplete: true },
      streams: { events: { maxLen: 1000 } },
    })
  : null;
if (queueUrl) {
  new Worker('bench', (job) => Promise.resolve(emit(job.data)), {
    connection: new Redis(queueUrl, { maxRetriesPerRequest: null }),
    concurrency: 1,
  });
}

io.on('connection', (socket) => {
  socket.on('subscribe', (request: { limit?: unknown } | undefined, ack: unknown) => {
    const limit = typeof request?.limit === 'number' ? Math.min(request.limit, RECENT_MAX) : 10;
    if (typeof ack === 'function') (ack as (answer: unknown) => void)({ ok: true, headlines: limit > 0 ? recent.slice(-limit) : [], seq });
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
    const headline = {
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
    };
    const accepted = () => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, status: 'queued' }));
    if (queue === null) {
      emit(headline);
      accepted();
    } else {
      queue.add('h', headline).then(accepted, () => res.writeHead(503).end());
    }
  });
});

http.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${(http.address() as AddressInfo).port}\n`);
});
// io.close's promise only mirrors its callback, which exits: nothing is left to await.
process.on('SIGTERM', () => void io.close(() => process.exit(0)));
