// The subscriber generator: a separate process holding N cheap clients. Each is a raw WebSocket
// speaking Engine.IO v4 / Socket.IO v5 (no socket.io-client, no JSON.parse per event), so one
// core can receive tens of thousands of events a second. Driven by bench/run.ts over IPC.
import { WebSocket } from 'ws';
import { TEXT_PREFIX, nowMs, type FromGenerator, type StepReport, type ToGenerator } from './protocol.js';

const TEXT_MARK = `"text":"${TEXT_PREFIX}`;
const SEQ_MARK = '"seq":';
const CONNECT_BATCH = 100;

interface Client {
  ws: WebSocket;
  /** which of this step's headlines arrived (POSTs run in parallel, so they may land in any order) */
  seen: Uint8Array;
  /** the last `seq` received: the server must deliver in seq order, once */
  lastSeq: number;
}

const clients = new Set<Client>();
let tag = '';
let latencies = new Float64Array(0);
let delivered = 0;
let disorder = 0;
let closed = 0;
let byes: Record<string, number> = {};
let cpuAtStart = process.cpuUsage();
let wallAtStart = 0;

const send = (m: FromGenerator) => process.send!(m);

function onEvent(client: Client, text: string): void {
  const at = text.indexOf(TEXT_MARK);
  if (at < 0) return;
  const receivedAt = nowMs();
  const seqAt = text.indexOf(SEQ_MARK);
  if (seqAt >= 0) {
    const seq = Number.parseInt(text.slice(seqAt + SEQ_MARK.length, seqAt + SEQ_MARK.length + 16), 10);
    if (seq <= client.lastSeq) disorder++;
    client.lastSeq = seq;
  }
  const start = at + TEXT_MARK.length;
  const end = text.indexOf('"', start);
  const [t, index, sentAt] = text.slice(start, end).split(' ');
  if (t !== tag) return;
  const i = Number(index);
  if (client.seen[i] === 1) return;
  client.seen[i] = 1;
  if (delivered < latencies.length) latencies[delivered] = receivedAt - Number(sentAt);
  delivered++;
}

function open(url: string, key: string, subscribe: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/u, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    const client: Client = { ws, seen: new Uint8Array(0), lastSeq: 0 };
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) clients.add(client);
      else ws.terminate();
      resolve(ok);
    };
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      const c0 = text.charCodeAt(0);
      if (c0 === 52 /* 4 */) {
        if (text.startsWith('42["headline"')) return onEvent(client, text);
        if (text.startsWith('42["bye"')) {
          const reason = /"reason":"([a-z_]+)"/u.exec(text)?.[1] ?? 'unknown';
          byes[reason] = (byes[reason] ?? 0) + 1;
          return;
        }
        if (text.startsWith('40')) {
          if (!subscribe) return settle(true);
          return ws.send('420["subscribe",{}]');
        }
        if (text.startsWith('430')) return settle(text.startsWith('430[{"ok":true'));
        if (text.startsWith('44')) return settle(false);
        return;
      }
      if (c0 === 50 /* 2: ping */) return ws.send('3');
      if (c0 === 48 /* 0: open */) return ws.send(`40${JSON.stringify({ key })}`);
    });
    ws.on('error', () => settle(false));
    ws.on('close', () => {
      if (clients.delete(client)) closed++;
      settle(false);
    });
  });
}

async function connect(url: string, key: string, count: number, subscribe: boolean): Promise<void> {
  const started = Date.now();
  let ok = 0;
  let failed = 0;
  for (let done = 0; done < count; done += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - done) }, () => open(url, key, subscribe));
    for (const r of await Promise.all(batch)) r ? ok++ : failed++;
  }
  send({ type: 'connected', open: ok, failed, ms: Date.now() - started });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(): StepReport {
  const cpu = process.cpuUsage(cpuAtStart);
  const wall = Date.now() - wallAtStart;
  const sorted = latencies.subarray(0, Math.min(delivered, latencies.length)).sort();
  return {
    type: 'report',
    delivered,
    disorder,
    latency: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    },
    cpu: (cpu.user + cpu.system) / 1000 / wall,
    byes,
    closed,
    open: clients.size,
  };
}

process.on('message', (m: ToGenerator) => {
  switch (m.type) {
    case 'connect':
      void connect(m.url, m.key, m.count, m.subscribe);
      break;
    case 'start':
      tag = m.tag;
      latencies = new Float64Array(m.expected);
      delivered = 0;
      disorder = 0;
      closed = 0;
      byes = {};
      for (const c of clients) c.seen = new Uint8Array(m.headlines);
      cpuAtStart = process.cpuUsage();
      wallAtStart = Date.now();
      break;
    case 'poll':
      send({ type: 'progress', delivered });
      break;
    case 'stop':
      send(report());
      tag = '';
      break;
    case 'disconnect':
      for (const c of clients) c.ws.terminate();
      clients.clear();
      send({ type: 'disconnected' });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
