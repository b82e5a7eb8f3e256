// `npm run bench`: the product against a plain Socket.IO baseline, same workload, same
// generator, same run. See BENCHMARKS.md for what each number means and what limits it.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PrivateRedis, freePort } from '../server/src/redis/private-redis.js';
import { benchText, nowMs, type FromGenerator, type StepReport, type ToGenerator } from './protocol.js';
import { cpuTicks, rssKb, TICKS_PER_SECOND } from './proc-stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EDITOR_TOKEN = 'ed_bench_token';
const KEY = 'sdk_bench_all';
const SUCCESS_P99_MS = 100;
/** a step ends this long after the last delivery when not everything arrived */
const DRAIN_QUIET_MS = 3000;
const DRAIN_MAX_MS = 10_000;

const { values: opts } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    sweep: { type: 'string', default: '20,30,40,50,60' },
    'sweep-seconds': { type: 'string', default: '5' },
    overload: { type: 'string', default: 'auto' },
    targets: { type: 'string', default: 'ticker,baseline' },
    roles: { type: 'string', default: 'all' },
    steps: { type: 'string', default: 'steady,sweep,overload' },
    'scale-n': { type: 'string', default: '10000' },
    'scale-rate': { type: 'string', default: '5' },
    'scale-seconds': { type: 'string', default: '60' },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (opts.help) {
  process.stdout.write(`npm run bench -- [options]
  --n 1000                subscribers
  --rate 20               headlines/s in the steady step
  --seconds 10            length of the steady step
  --sweep 20,30,40,50,60  rates of the saturation sweep (stops at the first failure)
  --sweep-seconds 5       length of each sweep step
  --overload auto         rate of the overload step (auto: twice the first failing sweep rate)
  --targets ticker,baseline
  --roles all             all: the product in one process (TICKER_ROLE=all, as npm start);
                          split: a TICKER_ROLE=gateway process (measured as the target) and a
                          separate TICKER_ROLE=worker (its CPU in the "worker" column), as deployed
  --steps steady,sweep,overload[,scale]
                          scale: --scale-n connections (RSS per idle connection at 5,000), then
                          --scale-rate headlines/s for --scale-seconds
  --profile               run each target with --cpu-prof (profiles in bench/results/prof/<target>/)
  --out FILE              JSON results (default bench/results/<time>.json)
`);
  process.exit(0);
}

const num = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got ${v}`);
  return n;
};
const N = num('n', opts.n);
const RATE = num('rate', opts.rate);
const SECONDS = num('seconds', opts.seconds);
const SWEEP = (opts.sweep ?? '').split(',').filter(Boolean).map((r) => num('sweep', r));
const SWEEP_SECONDS = num('sweep-seconds', opts['sweep-seconds']);
const TARGETS = (opts.targets ?? '').split(',').filter(Boolean) as TargetName[];
const ROLES = opts.roles === 'split' ? 'split' : opts.roles === 'all' ? 'all' : (() => {
  throw new Error(`--roles: expected all or split, got ${opts.roles}`);
})();
const STEPS = new Set((opts.steps ?? '').split(',').filter(Boolean));
for (const t of TARGETS) if (t !== 'ticker' && t !== 'baseline') throw new Error(`--targets: unknown ${t}`);

type TargetName = 'ticker' | 'baseline';

interface Target {
  name: TargetName;
  url: string;
  /** the gateway process (the product runs all roles in one) */
  pid: number;
  /** other processes the target needs (Redis), measured too */
  helpers: { name: string; pid: number }[];
  stop(): Promise<void>;
}

export interface StepResult {
  target: TargetName;
  step: string;
  subscribers: number;
  rate: number;
  seconds: number;
  expected: number;
  delivered: number;
  disorder: number;
  deliveriesPerSecond: number;
  latencyMs: StepReport['latency'];
  /** the gateway process's CPU in cores over the step */
  cpu: number;
  cpuSeconds: number;
  /**
   * the target's CPU time per delivery: its efficiency, which holds up when the machine is
   * shared (latency does not); 1e6 / this is what one core could deliver per second
   */
  cpuUsPerDelivery: number;
  helperCpu: Record<string, number>;
  rssMb: number;
  peakRssMb: number;
  generatorCpu: number;
  /** the generator used most of a core: latencies include its own queueing */
  generatorBound: boolean;
  postErrors: number;
  /** failed POSTs by HTTP status ("network": no answer) */
  postFailures: Record<string, number>;
  /** how long the POST took to answer (202) */
  postMs: { p50: number; max: number };
  byes: Record<string, number>;
  closed: number;
  pass: boolean;
}

// ---------------------------------------------------------------- processes

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 30 s:\n${out}`)), 30_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${out}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function profileArgs(name: TargetName): string[] {
  if (!opts.profile) return [];
  const dir = join(ROOT, 'bench/results/prof', name);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function startTicker(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-bench-'));
  const redis = await new PrivateRedis({ dir: join(dir, 'redis') }).start();
  const configPath = join(dir, 'ticker.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      editors: [{ name: 'bench', token: EDITOR_TOKEN }],
      keys: [{ key: KEY, name: 'bench', topics: ['*'] }],
      // the load generator publishes far faster than any desk: lift the per-editor write limit
      limits: { publishesPerEditorPerMinute: 10_000_000 },
    }),
  );
  const env = (role: string, port: number) => ({
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TICKER_ROLE: role,
    TICKER_CONFIG: configPath,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  });
  const main = [...profileArgs('ticker'), '--conditions=ticker-source', '--import', 'tsx', 'server/src/main.ts'];
  let worker: ChildProcess | null = null;
  if (ROLES === 'split') {
    const workerPort = await freePort();
    worker = spawn(process.execPath, ['--conditions=ticker-source', '--import', 'tsx', 'server/src/main.ts'], {
      cwd: ROOT,
      env: env('worker', workerPort),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitReady(`http://127.0.0.1:${workerPort}/readyz`, worker);
  }
  const child = spawn(process.execPath, main, {
    cwd: ROOT,
    env: env(ROLES === 'split' ? 'gateway' : 'all', 0),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /Headline Ticker is live: http:\/\/localhost:(\d+)\//u, 'the ticker');
  const redisPid = findRedisPid(redis.port);
  const helpers = redisPid > 0 ? [{ name: 'redis', pid: redisPid }] : [];
  if (worker) helpers.push({ name: 'worker', pid: worker.pid! });
  return {
    name: 'ticker',
    url: `http://127.0.0.1:${m[1]}`,
    pid: child.pid!,
    helpers,
    async stop() {
      await stopChild(child);
      if (worker) await stopChild(worker);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls a worker's /readyz (it prints nothing at LOG_LEVEL=warn) until it answers 200. */
async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode})`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the worker was not ready within 30 s (${url})`);
}

/** The redis-server PrivateRedis started on `port` (it does not expose its pid); 0 if not found. */
function findRedisPid(port: number): number {
  for (const pattern of [`redis-server 127.0.0.1:${port}`, `redis-server --port ${port} `]) {
    const out = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout ?? '';
    const pid = Number(out.trim().split('\n')[0]);
    if (pid > 0) return pid;
  }
  return 0;
}

async function startBaseline(): Promise<Target> {
  const child = spawn(process.execPath, [...profileArgs('baseline'), '--import', 'tsx', 'bench/baseline-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const m = await waitForLine(child, /listening (\d+)/u, 'the baseline');
  return { name: 'baseline', url: `http://127.0.0.1:${m[1]}`, pid: child.pid!, helpers: [], stop: () => stopChild(child) };
}

// ---------------------------------------------------------------- generator

class Generator {
  readonly #child: ChildProcess;
  #waiting: { type: FromGenerator['type']; resolve: (m: FromGenerator) => void }[] = [];

  constructor() {
    this.#child = fork(join(ROOT, 'bench/generator.ts'), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (m: FromGenerator) => {
      const i = this.#waiting.findIndex((w) => w.type === m.type);
      if (i >= 0) this.#waiting.splice(i, 1)[0]!.resolve(m);
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  ask<T extends FromGenerator['type']>(message: ToGenerator | null, answer: T): Promise<Extract<FromGenerator, { type: T }>> {
    const p = new Promise<FromGenerator>((resolve) => this.#waiting.push({ type: answer, resolve }));
    if (message) this.#child.send(message);
    return p as Promise<Extract<FromGenerator, { type: T }>>;
  }

  tell(message: ToGenerator): void {
    this.#child.send(message);
  }

  stop(): Promise<void> {
    this.#child.disconnect();
    return stopChild(this.#child);
  }
}

// ---------------------------------------------------------------- publisher

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/headlines`,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${EDITOR_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed just as it was reused: the request never arrived,
      // so sending it again cannot publish twice (the pattern Node's http docs give).
      if (req.reusedSocket && err.code === 'ECONNRESET') resolve(post(url, body));
      else resolve(0);
    });
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Publishes `rate`/s for `seconds`, evenly spaced; resolves when every POST has answered. */
async function publish(
  url: string,
  tag: string,
  rate: number,
  seconds: number,
): Promise<{ errors: number; failures: Record<string, number>; postP50: number; postMax: number }> {
  const count = Math.round(rate * seconds);
  const start = nowMs();
  const answers: Promise<{ status: number; ms: number }>[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(start + (i * 1000) / rate - nowMs());
    const sentAt = nowMs();
    const body = JSON.stringify({ text: benchText(tag, i, sentAt), topics: ['markets'], symbols: ['BENCH'] });
    answers.push(post(url, body).then((status) => ({ status, ms: nowMs() - sentAt })));
  }
  const done = await Promise.all(answers);
  const ms = done.map((d) => d.ms).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  for (const d of done) if (d.status !== 202) failures[d.status || 'network'] = (failures[d.status || 'network'] ?? 0) + 1;
  return {
    errors: done.length - done.filter((d) => d.status === 202).length,
    failures,
    postP50: ms[Math.floor(ms.length / 2)] ?? Number.NaN,
    postMax: ms.at(-1) ?? Number.NaN,
  };
}

// ---------------------------------------------------------------- steps

interface Sampler {
  stop(): { cpu: number; cpuSeconds: number; helperCpu: Record<string, number>; rssMb: number; peakRssMb: number };
}

function sample(target: Target): Sampler {
  const t0 = Date.now();
  const c0 = cpuTicks(target.pid);
  const h0 = target.helpers.map((h) => cpuTicks(h.pid));
  let peak = rssKb(target.pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssKb(target.pid))), 200);
  return {
    stop() {
      clearInterval(timer);
      const secs = (Date.now() - t0) / 1000;
      const rss = rssKb(target.pid);
      peak = Math.max(peak, rss);
      const cpuSeconds = (cpuTicks(target.pid) - c0) / TICKS_PER_SECOND;
      return {
        cpu: cpuSeconds / secs,
        cpuSeconds,
        helperCpu: Object.fromEntries(target.helpers.map((h, i) => [h.name, (cpuTicks(h.pid) - h0[i]!) / TICKS_PER_SECOND / secs])),
        rssMb: rss / 1024,
        peakRssMb: peak / 1024,
      };
    },
  };
}

let stepNo = 0;

async function runStep(target: Target, gen: Generator, step: string, subscribers: number, rate: number, seconds: number): Promise<StepResult> {
  const tag = `s${++stepNo}`;
  const headlines = Math.round(rate * seconds);
  const expected = subscribers * headlines;
  gen.tell({ type: 'start', tag, headlines, expected });
  const startedAt = Date.now();
  const s = sample(target);
  const { errors: postErrors, failures: postFailures, postP50, postMax } = await publish(target.url, tag, rate, seconds);
  // Let the tail arrive: done when all is in, when nothing more came for DRAIN_QUIET_MS, or
  // after DRAIN_MAX_MS (an overloaded target may still be sending; those count as not delivered).
  const publishedAt = Date.now();
  let last = -1;
  let lastProgressAt = publishedAt;
  for (;;) {
    const { delivered } = await gen.ask({ type: 'poll' }, 'progress');
    if (delivered !== last) {
      last = delivered;
      lastProgressAt = Date.now();
    }
    if (delivered >= expected) break;
    if (Date.now() - lastProgressAt > DRAIN_QUIET_MS || Date.now() - publishedAt > DRAIN_MAX_MS) break;
    await sleep(100);
  }
  const activeSeconds = Math.max(seconds, (lastProgressAt - startedAt) / 1000);
  const stats = s.stop();
  const r = await gen.ask({ type: 'stop' }, 'report');
  const result: StepResult = {
    target: target.name,
    step,
    subscribers,
    rate,
    seconds,
    expected,
    delivered: r.delivered,
    disorder: r.disorder,
    // over the time deliveries took, publishing and the tail: a backlog does not count as speed
    deliveriesPerSecond: Math.round(r.delivered / activeSeconds),
    latencyMs: r.latency,
    ...stats,
    cpuUsPerDelivery: r.delivered > 0 ? Number(((stats.cpuSeconds * 1e6) / r.delivered).toFixed(1)) : Number.NaN,
    generatorCpu: r.cpu,
    generatorBound: r.cpu > 0.85,
    postErrors,
    postFailures,
    postMs: { p50: postP50, max: postMax },
    byes: r.byes,
    closed: r.closed,
    pass: r.delivered === expected && r.disorder === 0 && r.latency.p99 < SUCCESS_P99_MS && postErrors === 0,
  };
  printStep(result);
  return result;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const STEP_HEADER = ['target', 'step', 'subs', 'rate/s', 'delivered/expected', 'deliv/s', 'p50', 'p95', 'p99', 'max ms', 'cpu', 'µs cpu/deliv', 'redis', 'worker', 'rss MB', 'peak', 'gen cpu', 'POST p50/max', 'post err', 'shed', 'ok'];

function stepRow(r: StepResult): string[] {
  return [
    r.target,
    r.step,
    String(r.subscribers),
    String(r.rate),
    `${r.delivered}/${r.expected}`,
    String(r.deliveriesPerSecond),
    f1(r.latencyMs.p50),
    f1(r.latencyMs.p95),
    f1(r.latencyMs.p99),
    f1(r.latencyMs.max),
    r.cpu.toFixed(2),
    f1(r.cpuUsPerDelivery),
    r.helperCpu['redis'] === undefined ? '-' : r.helperCpu['redis'].toFixed(2),
    r.helperCpu['worker'] === undefined ? '-' : r.helperCpu['worker'].toFixed(2),
    r.rssMb.toFixed(0),
    r.peakRssMb.toFixed(0),
    `${r.generatorCpu.toFixed(2)}${r.generatorBound ? '!' : ''}`,
    `${f1(r.postMs.p50)}/${f1(r.postMs.max)}`,
    String(r.postErrors),
    String(r.byes['slow_consumer'] ?? 0),
    r.pass ? 'yes' : 'no',
  ];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

function printStep(r: StepResult): void {
  process.stdout.write(`  ${table(STEP_HEADER, [stepRow(r)]).split('\n')[2]}\n`);
}

interface TargetResult {
  target: TargetName;
  idleRssMb: number;
  connectedRssMb: number;
  rssPerConnectionKb: number;
  connectMs: number;
  /** cores used with N subscribers connected and nothing published */
  idleCpu: number;
  steps: StepResult[];
  /** highest deliveries/s of a sweep step that passed (p99 < 100 ms, nothing lost) */
  saturation: number | null;
  scale?: { connections: number; rssPerIdleConnectionKbAt5k: number; open: number; failed: number };
}

async function benchTarget(name: TargetName): Promise<TargetResult> {
  process.stdout.write(`\n${name}: starting\n`);
  const target = name === 'ticker' ? await startTicker() : await startBaseline();
  const gen = new Generator();
  await gen.ask(null, 'ready');
  try {
    await sleep(1000);
    const idle = rssKb(target.pid);
    const c = await gen.ask({ type: 'connect', url: target.url, key: KEY, count: N, subscribe: true }, 'connected');
    if (c.failed > 0) throw new Error(`${name}: ${c.failed} of ${N} subscribers failed to connect`);
    await sleep(500);
    const connected = rssKb(target.pid);
    // What the process burns with N subscribers and nothing to send (timers, pings, Redis waits).
    const idleSample = sample(target);
    await sleep(3000);
    const idleCpu = idleSample.stop().cpu;
    const result: TargetResult = {
      target: name,
      idleRssMb: idle / 1024,
      connectedRssMb: connected / 1024,
      rssPerConnectionKb: (connected - idle) / N,
      connectMs: c.ms,
      idleCpu,
      steps: [],
      saturation: null,
    };
    process.stdout.write(
      `${name}: ${N} subscribers in ${c.ms} ms; RSS ${f1(idle / 1024)} → ${f1(connected / 1024)} MB, ` +
        `${f1(result.rssPerConnectionKb)} KB per connection; idle CPU ${result.idleCpu.toFixed(3)} core\n  ${table(STEP_HEADER, []).split('\n').slice(0, 2).join('\n  ')}\n`,
    );
    if (STEPS.has('steady')) result.steps.push(await runStep(target, gen, 'steady', N, RATE, SECONDS));
    let firstFail: number | null = null;
    if (STEPS.has('sweep')) {
      for (const rate of SWEEP) {
        const r = await runStep(target, gen, 'sweep', N, rate, SWEEP_SECONDS);
        result.steps.push(r);
        if (!r.pass) {
          firstFail = rate;
          break;
        }
        result.saturation = Math.max(result.saturation ?? 0, r.deliveriesPerSecond);
        await sleep(500);
      }
    }
    if (STEPS.has('overload')) {
      const rate = opts.overload === 'auto' ? 2 * (firstFail ?? SWEEP.at(-1) ?? RATE) : num('overload', opts.overload);
      result.steps.push(await runStep(target, gen, 'overload', N, rate, SWEEP_SECONDS));
    }
    if (STEPS.has('scale')) result.scale = await scaleStep(target, gen, result);
    return result;
  } finally {
    await gen.ask({ type: 'disconnect' }, 'disconnected').catch(() => undefined);
    await gen.stop();
    await target.stop();
  }
}

/** Many connections on one process: RSS per idle connection at 5,000, then a held load. */
async function scaleStep(target: Target, gen: Generator, result: TargetResult): Promise<TargetResult['scale']> {
  const total = num('scale-n', opts['scale-n']);
  await gen.ask({ type: 'disconnect' }, 'disconnected');
  await sleep(2000);
  const before = rssKb(target.pid);
  const first = await gen.ask({ type: 'connect', url: target.url, key: KEY, count: Math.min(5000, total), subscribe: true }, 'connected');
  await sleep(1000);
  const at5k = rssKb(target.pid);
  const rest = total > 5000 ? await gen.ask({ type: 'connect', url: target.url, key: KEY, count: total - 5000, subscribe: true }, 'connected') : null;
  const open = first.open + (rest?.open ?? 0);
  const failed = first.failed + (rest?.failed ?? 0);
  const perConn = (at5k - before) / first.open;
  process.stdout.write(`${target.name}: ${open} connections (${failed} failed); ${f1(perConn)} KB RSS per idle connection at ${first.open}\n`);
  result.steps.push(await runStep(target, gen, 'scale', open, num('scale-rate', opts['scale-rate']), num('scale-seconds', opts['scale-seconds'])));
  return { connections: open, failed, open, rssPerIdleConnectionKbAt5k: perConn };
}

// ---------------------------------------------------------------- main

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: availableParallelism(),
    model: /model name\s*:\s*(.+)/u.exec(cpuinfo)?.[1] ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  process.stdout.write(`bench: ${info.nproc} × ${info.model}, ${info.memoryGb} GB, node ${info.node}, load ${info.loadAverageAtStart.join(' ')}\n`);
  process.stdout.write(`  ${N} subscribers; steady ${RATE}/s for ${SECONDS} s; sweep ${SWEEP.join(',')}/s for ${SWEEP_SECONDS} s each\n`);
  const results: TargetResult[] = [];
  for (const t of TARGETS) results.push(await benchTarget(t));

  process.stdout.write('\nAll steps\n');
  process.stdout.write(`${table(STEP_HEADER, results.flatMap((r) => r.steps.map(stepRow)))}\n`);
  const byName = new Map(results.map((r) => [r.target, r]));
  const ticker = byName.get('ticker');
  const baseline = byName.get('baseline');
  const summary: Record<string, unknown> = {};
  /** CPU µs per delivery over every step: the efficiency, robust to a shared machine */
  const usPerDelivery = (r: TargetResult) => {
    const delivered = r.steps.reduce((n, s) => n + s.delivered, 0);
    return delivered > 0 ? (r.steps.reduce((t, s) => t + s.cpuSeconds, 0) * 1e6) / delivered : Number.NaN;
  };
  const summaryRows: string[][] = results.map((r) => {
    const steady = r.steps.find((s) => s.step === 'steady');
    const overload = r.steps.find((s) => s.step === 'overload');
    const us = usPerDelivery(r);
    summary[r.target] = { cpuUsPerDelivery: Number(us.toFixed(1)), oneCoreDeliveriesPerSecond: Math.round(1e6 / us) };
    return [
      r.target,
      `${f1(us)} µs → ${Math.round(1e6 / us)}/s`,
      steady ? `${f1(steady.latencyMs.p50)} / ${f1(steady.latencyMs.p99)} ms, ${steady.cpu.toFixed(2)} core${steady.pass ? '' : ' (FAILED)'}` : '-',
      r.saturation === null ? '-' : String(r.saturation),
      f1(r.rssPerConnectionKb),
      overload ? `peak ${overload.peakRssMb.toFixed(0)} MB, ${overload.delivered}/${overload.expected}, shed ${overload.byes['slow_consumer'] ?? 0}` : '-',
    ];
  });
  if (ticker && baseline) {
    const ts = ticker.steps.find((s) => s.step === 'steady');
    const bs = baseline.steps.find((s) => s.step === 'steady');
    if (ts && bs) summary['steadyP99DeltaMs'] = Number((ts.latencyMs.p99 - bs.latencyMs.p99).toFixed(1));
    if (ticker.saturation !== null && baseline.saturation !== null) summary['saturationRatio'] = Number((ticker.saturation / baseline.saturation).toFixed(2));
    summary['efficiencyRatio'] = Number((usPerDelivery(baseline) / usPerDelivery(ticker)).toFixed(2));
    summaryRows.push([
      'ticker vs baseline',
      `${String(summary['efficiencyRatio'])}× deliveries per CPU second`,
      summary['steadyP99DeltaMs'] === undefined ? '-' : `p99 ${Number(summary['steadyP99DeltaMs']) >= 0 ? '+' : ''}${String(summary['steadyP99DeltaMs'])} ms`,
      summary['saturationRatio'] === undefined ? '-' : `${String(summary['saturationRatio'])}×`,
      `${f1(ticker.rssPerConnectionKb / baseline.rssPerConnectionKb)}×`,
      '',
    ]);
  }
  process.stdout.write(`\nSide by side (${N} subscribers)\n`);
  process.stdout.write(
    `${table([`system`, 'CPU per delivery → one core', `${N} subs × ${RATE}/s: p50 / p99, gateway CPU`, 'saturation deliveries/s (p99 < 100 ms, none lost)', 'RSS/conn KB', 'overload'], summaryRows)}\n`,
  );
  const out = opts.out ?? join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/gu, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ machine: info, options: opts, durationSeconds: Math.round((Date.now() - started) / 1000), summary, results }, null, 2)}\n`);
  process.stdout.write(`\nresults: ${out} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  agent.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
