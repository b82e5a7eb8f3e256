// Memory per connection without the GC's timing in it: the JS heap a target keeps per idle,
// subscribed connection, from two heap snapshots (each taken after a full GC): one with no client,
// one with N. RSS per connection (run.ts) moves by ±40 % with when the GC last ran; this does not.
//
//   npm run bench:heap -- [ticker|baseline] [N=3000]
//
// Prints the retained bytes per connection and what they are (by V8's node type and name).
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { EDITOR_TOKEN, KEY, startBaseline, startTicker, type TargetOptions } from './harness.js';

const target = process.argv[2] === 'baseline' ? 'baseline' : 'ticker';
const n = Number(process.argv[3] ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'ticker-heap-'));
// The target inherits these: a snapshot on SIGUSR2, written to `dir`.
process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir}`;

const options: TargetOptions = { roles: 'all', cpus: null, processes: 1, source: false, profile: false };
const t = target === 'ticker' ? await startTicker(options) : await startBaseline(options);
const port = new URL(t.url).port;
const sockets: WebSocket[] = [];

/** One client as a widget is: connect, subscribe to the latest 10; resolves on the ack. */
const connect = () =>
  new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    sockets.push(ws);
    ws.on('message', (data: Buffer) => {
      const s = data.toString();
      if (s.startsWith('0')) ws.send(`40${JSON.stringify({ key: KEY })}`);
      else if (s.startsWith('40')) ws.send('420["subscribe",{"limit":10}]');
      else if (s.startsWith('430')) resolve();
      else if (s === '2') ws.send('3');
      else if (s.startsWith('44')) reject(new Error(`refused: ${s}`));
    });
    ws.on('error', reject);
  });

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Asks the target for a snapshot (V8 runs a full GC first) and reads it once the file is complete. */
async function snapshot(): Promise<HeapSnapshot> {
  const before = new Set(readdirSync(dir));
  process.kill(t.pid, 'SIGUSR2');
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (file === undefined) continue;
    // Complete once it parses.
    try {
      return JSON.parse(readFileSync(join(dir, file), 'utf8')) as HeapSnapshot;
    } catch {
      continue;
    }
  }
}

/** Bytes by node kind ("type|name": strings, code and numbers each as one kind). */
function byKind(s: HeapSnapshot): { kinds: Map<string, { count: number; bytes: number }>; total: number } {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const kinds = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + iType]!]!;
    const name = /string|code|number/u.test(type) ? '' : s.strings[s.nodes[i + iName]!]!.slice(0, 40);
    const k = `${type}|${name}`;
    const e = kinds.get(k) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    kinds.set(k, e);
    total += s.nodes[i + iSize]!;
  }
  return { kinds, total };
}

try {
  for (let i = 0; i < 10; i++) {
    await fetch(`${t.url}/api/headlines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: `heap ${i}` }),
    });
  }
  // Warm the path (its compiled code is not per connection), then let those clients go.
  for (let i = 0; i < 200; i++) await connect();
  for (const ws of sockets.splice(0)) ws.close();
  await new Promise((r) => setTimeout(r, 2000));
  const idle = byKind(await snapshot());
  for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, connect));
  const loaded = byKind(await snapshot());
  console.log(`${target}: ${n} idle subscribed connections, JS heap ${((loaded.total - idle.total) / n / 1024).toFixed(2)} KB each`);
  const rows = [...loaded.kinds].map(([k, e]) => {
    const was = idle.kinds.get(k) ?? { count: 0, bytes: 0 };
    return { kind: k, count: (e.count - was.count) / n, bytes: (e.bytes - was.bytes) / n };
  });
  rows.sort((a, b) => b.bytes - a.bytes);
  for (const r of rows.slice(0, 20)) console.log(`  ${r.bytes.toFixed(0).padStart(6)} B  ${r.count.toFixed(2).padStart(6)} ×  ${r.kind}`);
} finally {
  for (const ws of sockets) ws.terminate();
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
}
