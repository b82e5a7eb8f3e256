// The subscriber generator: a separate process holding N cheap clients. Each is a raw WebSocket
// speaking Engine.IO v4 / Socket.IO v5 (no socket.io-client, no JSON.parse per event), so one
// core can receive tens of thousands of events a second. Driven by bench/run.ts over IPC.
import { WebSocket } from 'ws';
import { TEXT_PREFIX, nowMs, type FromGenerator, type StepReport, type ToGenerator } from './protocol.js';

const TEXT_MARK = `"text":"${TEXT_PREFIX}`;
const SEQ_MARK = '"seq":';
const CONNECT_BATCH = 100;

interface Client {
  ws: WebSocket | null;
  /** which of this step's headlines arrived (POSTs run in parallel, so they may land in any order) */
  seen: Uint8Array;
  /** the last `seq` received: the server must deliver in seq order, once */
  lastSeq: number;
  live: boolean;
  /** reconnect attempts since it was last live */
  attempt: number;
}

/** Every client the run holds (live or coming back). */
const clients = new Set<Client>();
let url = '';
let key = '';
let limit: number | undefined;
let resilient: { minDelayMs: number; maxDelayMs: number } | null = null;
let tag = '';
let latencies = new Float64Array(0);
let receivedBy = new Uint32Array(0);
let delivered = 0;
let disorder = 0;
let closed = 0;
let resets = 0;
let failedAttempts = 0;
let live = 0;
let lastLiveAt = 0;
let byes: Record<string, number> = {};
let cpuAtStart = process.cpuUsage();
let wallAtStart = 0;

const send = (m: FromGenerator) => process.send!(m);

/** One headline for one client: `seq` and the bench text (`bench <tag> <index> <sentAt>`). */
function receive(client: Client, seq: number, text: string, receivedAt: number): void {
  if (seq <= client.lastSeq) disorder++;
  client.lastSeq = seq;
  const [t, index, sentAt] = text.slice(TEXT_PREFIX.length).split(' ');
  if (t !== tag) return;
  const i = Number(index);
  if (client.seen[i] === 1) return;
  client.seen[i] = 1;
  if (i < receivedBy.length) receivedBy[i]!++;
  if (delivered < latencies.length) latencies[delivered] = receivedAt - Number(sentAt);
  delivered++;
}

function onEvent(client: Client, text: string): void {
  const at = text.indexOf(TEXT_MARK);
  if (at < 0) return;
  const receivedAt = nowMs();
  const seqAt = text.indexOf(SEQ_MARK);
  const seq = seqAt < 0 ? client.lastSeq + 1 : Number.parseInt(text.slice(seqAt + SEQ_MARK.length, seqAt + SEQ_MARK.length + 16), 10);
  const start = at + TEXT_MARK.length - TEXT_PREFIX.length;
  receive(client, seq, text.slice(start, text.indexOf('"', at + TEXT_MARK.length)), receivedAt);
}

interface Ack {
  ok: boolean;
  headlines?: { seq: number; text: string }[];
  seq?: number;
  reset?: boolean;
}

/** The subscribe ack: a resume's replay counts as received (rare, so parsed in full). */
function onAck(client: Client, text: string): boolean {
  const ack = (JSON.parse(text.slice(3)) as Ack[])[0];
  if (!ack?.ok) return false;
  if (ack.reset) resets++;
  const receivedAt = nowMs();
  const resuming = client.lastSeq > 0;
  for (const h of ack.headlines ?? []) {
    // (a snapshot overlapping what the client has is not disorder: skip what it saw)
    if (resuming && h.seq > client.lastSeq && h.text.startsWith(TEXT_PREFIX)) receive(client, h.seq, h.text, receivedAt);
  }
  // A first subscribe's snapshot sets where the client is; live events continue after `seq`.
  if (typeof ack.seq === 'number' && ack.seq > client.lastSeq) client.lastSeq = ack.seq;
  return true;
}

function open(client: Client, subscribe: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/u, 'ws')}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    client.ws = ws;
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (ok) {
        client.live = true;
        client.attempt = 0;
        live++;
        lastLiveAt = Date.now();
      } else ws.terminate();
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
          const request = client.lastSeq > 0 ? { since: client.lastSeq } : limit === undefined ? {} : { limit };
          return ws.send(`420["subscribe",${JSON.stringify(request)}]`);
        }
        if (text.startsWith('430')) return settle(onAck(client, text));
        if (text.startsWith('44')) return settle(false);
        return;
      }
      if (c0 === 50 /* 2: ping */) return ws.send('3');
      if (c0 === 48 /* 0: open */) return ws.send(`40${JSON.stringify({ key })}`);
    });
    ws.on('error', () => settle(false));
    ws.on('close', () => {
      settle(false);
      if (client.ws !== ws) return;
      client.ws = null;
      if (!clients.has(client)) return; // let go of by the bench
      if (client.live) {
        client.live = false;
        live--;
        closed++;
      }
      if (resilient) comeBack(client, subscribe);
    });
  });
}

/** The SDK's backoff: full jitter between min and min·2^(attempt+1), capped at max. */
function comeBack(client: Client, subscribe: boolean): void {
  const { minDelayMs, maxDelayMs } = resilient!;
  const cap = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(client.attempt + 1, 30));
  client.attempt++;
  setTimeout(
    () => {
      if (!clients.has(client) || client.ws !== null) return;
      void open(client, subscribe).then((ok) => {
        if (!ok) failedAttempts++;
      });
    },
    minDelayMs + Math.random() * (cap - minDelayMs),
  );
}

async function connect(count: number, subscribe: boolean): Promise<void> {
  const started = Date.now();
  let ok = 0;
  let failed = 0;
  for (let done = 0; done < count; done += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - done) }, () => {
      const client: Client = { ws: null, seen: new Uint8Array(0), lastSeq: 0, live: false, attempt: 0 };
      return open(client, subscribe).then((r) => {
        if (r) clients.add(client);
        return r;
      });
    });
    for (const r of await Promise.all(batch)) {
      if (r) ok++;
      else failed++;
    }
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
    open: live,
    receivedBy: [...receivedBy],
    resets,
  };
}

process.on('message', (m: ToGenerator) => {
  switch (m.type) {
    case 'connect':
      url = m.url;
      key = m.key;
      limit = m.limit;
      void connect(m.count, m.subscribe);
      break;
    case 'start':
      tag = m.tag;
      latencies = new Float64Array(m.expected);
      receivedBy = new Uint32Array(m.headlines);
      delivered = 0;
      disorder = 0;
      closed = 0;
      resets = 0;
      byes = {};
      for (const c of clients) c.seen = new Uint8Array(m.headlines);
      cpuAtStart = process.cpuUsage();
      wallAtStart = Date.now();
      break;
    case 'resilient':
      resilient = { minDelayMs: m.minDelayMs, maxDelayMs: m.maxDelayMs };
      failedAttempts = 0;
      break;
    case 'poll':
      send({ type: 'progress', delivered, live, lastLiveAt, failedAttempts });
      break;
    case 'stop':
      send(report());
      tag = '';
      break;
    case 'disconnect':
      resilient = null;
      for (const c of clients) c.ws?.terminate();
      clients.clear();
      live = 0;
      send({ type: 'disconnected' });
      break;
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
