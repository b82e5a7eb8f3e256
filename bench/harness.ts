// The bench's moving parts: the two targets as child processes (optionally confined to given
// cores), the generator process, the publisher, and /proc sampling. Used by bench/run.ts.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrivateRedis, freePort } from '../server/src/redis/private-redis.js';
import { benchText, nowMs, type FromGenerator, type ToGenerator } from './protocol.js';
import { cpuTicks, TICKS_PER_SECOND, treeCpuTicks, treeRssKb } from './proc-stats.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Long enough for NODE_ENV=production's secret-strength check (24 characters at least).
export const EDITOR_TOKEN = 'ed_bench_token_long_enough_0001';
export const KEY = 'sdk_bench_all_long_enough_key_0001';

/** `queued`: the baseline with each headline carried by BullMQ on its own Redis (baseline-server.ts) */
export type TargetName = 'ticker' | 'baseline' | 'queued';

export interface TargetOptions {
  roles: 'all' | 'split';
  profile: boolean;
  /** `taskset -c` list (e.g. "0"): the target and its Redis run only there; null: anywhere */
  cpus: string | null;
  /** the product's TICKER_PROCESSES (1: one process, as `npm start`) */
  processes: number;
  /** run the product from its TypeScript source through tsx instead of the build `npm start` runs */
  source: boolean;
}

export interface Target {
  name: TargetName;
  url: string;
  /** the gateway process (the product runs all roles in one); changes on restart */
  pid: number;
  /** other processes the target needs (Redis, the split worker), measured too */
  helpers: { name: string; pid: number }[];
  /** the target's Redis, for INFO commandstats; null for the baseline */
  redisUrl: string | null;
  /** SIGKILLs the gateway process (a crash: no goodbye) and starts it again on the same port */
  crashAndRestart(): Promise<{ restartMs: number }>;
  stop(): Promise<void>;
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

/** Expands a taskset list ("0", "0,2", "1-3") into core numbers. */
function coresOf(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}

/**
 * The cores the targets are not confined to, as a taskset list, for the load generator and the
 * publisher: a generator on the target's core would bill its work to the target's run queue.
 * Null when the targets have every core (nothing to keep apart).
 */
export function otherCores(targetCpus: string | null): string | null {
  if (targetCpus === null) return null;
  const taken = new Set(coresOf(targetCpus));
  const rest = Array.from({ length: availableParallelism() }, (_, i) => i).filter((c) => !taken.has(c));
  return rest.length === 0 ? null : rest.join(',');
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

function profileArgs(o: TargetOptions, name: TargetName): string[] {
  if (!o.profile) return [];
  const dir = join(ROOT, 'bench/results/prof', name);
  mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Spawns node, under `taskset -c <cpus>` when confined. taskset execs the program, so the pid
 * is node's, and every thread node starts inherits the affinity.
 */
function spawnNode(o: TargetOptions, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return o.cpus === null ? spawn(process.execPath, args, options) : spawn('taskset', ['-c', o.cpus, process.execPath, ...args], options);
}

/** Confines an already running process, all its threads (Redis's I/O and bio threads), to `cpus`. */
export function confine(pid: number, cpus: string | null): void {
  if (cpus === null || pid <= 0) return;
  const r = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -cp ${cpus} ${pid} failed: ${r.stderr}`);
}

/** The product as `npm start` runs it (the compiled build), or from source with `--source`. */
function productProgram(o: TargetOptions): string[] {
  if (o.source) return ['--conditions=ticker-source', '--import', 'tsx', 'server/src/main.ts'];
  const built = join(ROOT, 'server/dist/main.js');
  if (!existsSync(built)) throw new Error('server/dist/main.js is missing: run `npm run build` first (or pass --source)');
  return [built];
}

export async function startTicker(o: TargetOptions): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-bench-'));
  const redis = await new PrivateRedis({ dir: join(dir, 'redis') }).start();
  const redisPid = findRedisPid(redis.port);
  confine(redisPid, o.cpus);
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
    TICKER_PROCESSES: role === 'worker' ? '1' : String(o.processes),
  });
  const program = productProgram(o);
  const main = [...profileArgs(o, 'ticker'), ...program];
  let worker: ChildProcess | null = null;
  if (o.roles === 'split') {
    const workerPort = await freePort();
    worker = spawnNode(o, program, {
      cwd: ROOT,
      env: env('worker', workerPort),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitReady(`http://127.0.0.1:${workerPort}/readyz`, worker);
  }
  const role = o.roles === 'split' ? 'gateway' : 'all';
  const launch = async (port: number) => {
    const child = spawnNode(o, main, { cwd: ROOT, env: env(role, port), stdio: ['ignore', 'pipe', 'pipe'] });
    const m = await waitForLine(child, /Headline Ticker is live: http:\/\/localhost:(\d+)\//u, 'the ticker');
    return { child, port: Number(m[1]) };
  };
  let { child, port } = await launch(0);
  const helpers = redisPid > 0 ? [{ name: 'redis', pid: redisPid }] : [];
  if (worker) helpers.push({ name: 'worker', pid: worker.pid! });
  const target: Target = {
    name: 'ticker',
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    helpers,
    redisUrl: redis.url,
    async crashAndRestart() {
      const t0 = Date.now();
      await stopChild(child, 'SIGKILL');
      ({ child, port } = await launch(port));
      target.pid = child.pid!;
      return { restartMs: Date.now() - t0 };
    },
    async stop() {
      await stopChild(child);
      if (worker) await stopChild(worker);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return target;
}

/** Polls a worker's /readyz (it prints nothing at LOG_LEVEL=warn) until it answers 200. */
async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode})`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the worker was not ready within 30 s (${url})`);
}

/** The redis-server PrivateRedis started on `port` (it does not expose its pid); 0 if not found. */
function findRedisPid(port: number): number {
  for (const pattern of [`redis-server 127.0.0.1:${port}`, `redis-server --port ${port} `]) {
    const out = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout;
    const pid = Number(out.trim().split('\n')[0]);
    if (pid > 0) return pid;
  }
  return 0;
}

export async function startBaseline(o: TargetOptions, queued = false): Promise<Target> {
  const dir = queued ? mkdtempSync(join(tmpdir(), 'ticker-bench-queued-')) : null;
  const redis = dir === null ? null : await new PrivateRedis({ dir: join(dir, 'redis') }).start();
  const redisPid = redis === null ? 0 : findRedisPid(redis.port);
  confine(redisPid, o.cpus);
  const name: TargetName = queued ? 'queued' : 'baseline';
  const launch = async (port: number) => {
    const child = spawnNode(o, [...profileArgs(o, name), '--import', 'tsx', 'bench/baseline-server.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), NODE_ENV: 'production', ...(redis ? { BENCH_QUEUE_REDIS_URL: redis.url } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const m = await waitForLine(child, /listening (\d+)/u, 'the baseline');
    return { child, port: Number(m[1]) };
  };
  let { child, port } = await launch(0);
  const target: Target = {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    helpers: redisPid > 0 ? [{ name: 'redis', pid: redisPid }] : [],
    redisUrl: redis?.url ?? null,
    async crashAndRestart() {
      const t0 = Date.now();
      await stopChild(child, 'SIGKILL');
      ({ child, port } = await launch(port));
      target.pid = child.pid!;
      return { restartMs: Date.now() - t0 };
    },
    async stop() {
      await stopChild(child);
      await redis?.stop();
      if (dir !== null) rmSync(dir, { recursive: true, force: true });
    },
  };
  return target;
}

// ---------------------------------------------------------------- generator

export class Generator {
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
export const closeAgent = (): void => agent.destroy();

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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface Published {
  errors: number;
  failures: Record<string, number>;
  postP50: number;
  postMax: number;
  /** indexes of the headlines the target accepted (202) */
  accepted: number[];
}

/** Publishes `rate`/s for `seconds`, evenly spaced; resolves when every POST has answered. */
export async function publish(url: string | (() => string), tag: string, rate: number, seconds: number): Promise<Published> {
  const count = Math.round(rate * seconds);
  const start = nowMs();
  const answers: Promise<{ i: number; status: number; ms: number }>[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(start + (i * 1000) / rate - nowMs());
    const sentAt = nowMs();
    const body = JSON.stringify({ text: benchText(tag, i, sentAt), topics: ['markets'], symbols: ['BENCH'] });
    answers.push(post(typeof url === 'string' ? url : url(), body).then((status) => ({ i, status, ms: nowMs() - sentAt })));
  }
  const done = await Promise.all(answers);
  const ms = done.map((d) => d.ms).sort((a, b) => a - b);
  const failures: Record<string, number> = {};
  for (const d of done) if (d.status !== 202) failures[d.status || 'network'] = (failures[d.status || 'network'] ?? 0) + 1;
  const accepted = done.filter((d) => d.status === 202).map((d) => d.i);
  return {
    errors: done.length - accepted.length,
    failures,
    postP50: ms[Math.floor(ms.length / 2)] ?? Number.NaN,
    postMax: ms.at(-1) ?? Number.NaN,
    accepted,
  };
}

// ---------------------------------------------------------------- sampling

export interface Sample {
  seconds: number;
  cpu: number;
  cpuSeconds: number;
  helperCpu: Record<string, number>;
  helperCpuSeconds: Record<string, number>;
  rssMb: number;
  peakRssMb: number;
}

export interface Sampler {
  stop(): Sample;
}

/** CPU of the target's gateway process and of each helper, and its RSS, from now until stop(). */
export function sample(target: Target): Sampler {
  const t0 = Date.now();
  const pid = target.pid;
  // The process and its children: with TICKER_PROCESSES the product is a primary and its children.
  const c0 = treeCpuTicks(pid);
  const h0 = target.helpers.map((h) => cpuTicks(h.pid));
  let peak = treeRssKb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, treeRssKb(pid))), 200);
  return {
    stop() {
      clearInterval(timer);
      const secs = (Date.now() - t0) / 1000;
      const rss = treeRssKb(pid);
      peak = Math.max(peak, rss);
      const cpuSeconds = (treeCpuTicks(pid) - c0) / TICKS_PER_SECOND;
      const helperCpuSeconds = Object.fromEntries(target.helpers.map((h, i) => [h.name, (cpuTicks(h.pid) - h0[i]!) / TICKS_PER_SECOND]));
      return {
        seconds: secs,
        cpu: cpuSeconds / secs,
        cpuSeconds,
        helperCpu: Object.fromEntries(Object.entries(helperCpuSeconds).map(([k, v]) => [k, v / secs])),
        helperCpuSeconds,
        rssMb: rss / 1024,
        peakRssMb: peak / 1024,
      };
    },
  };
}
