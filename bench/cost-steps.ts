// The steps that price the product per unit, side by side with the baseline: CPU and Redis
// commands per headline (0 subscribers), per connect + subscribe, and per reconnection after a
// gateway crash (the reconnect storm). CPU per unit holds up on a shared machine far better
// than latency does.
import { feedKeys } from '../server/src/log/feed-keys.js';
import { KEY, publish, sample, sleep, type Generator, type Target } from './harness.js';
import { delta, total, type CommandCounts, type RedisStats } from './redis-stats.js';
import { treeRssKb } from './proc-stats.js';

const SEQ_KEY = feedKeys('ticker').seq;

/** Waits until the feed's seq reaches `seq` (the worker appended everything), at most `ms`. */
async function appendedUpTo(stats: RedisStats | null, seq: number, ms = 15_000): Promise<void> {
  if (stats === null) return;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && Number((await stats.get(SEQ_KEY)) ?? 0) < seq) await sleep(50);
}

/** The `queued` target: until its worker has taken every job (it emits as it takes them). */
async function drained(stats: RedisStats | null, ms = 15_000): Promise<void> {
  if (stats === null) return;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && (await stats.pendingJobs()) > 0) await sleep(20);
}

const feedSeq = async (stats: RedisStats | null) => (stats === null ? 0 : Number((await stats.get(SEQ_KEY)) ?? 0));

// ---------------------------------------------------------------- per headline

export interface HeadlineWindow {
  rate: number;
  headlines: number;
  seconds: number;
  /** the product's processes (gateway/all, and the split worker) */
  productCpuSeconds: number;
  redisCpuSeconds: number;
  commands: CommandCounts;
}

export interface PerHeadline {
  windows: HeadlineWindow[];
  /** slope of the product's CPU between the two publish rates: ms of CPU per headline */
  cpuMsPerHeadline: number;
  redisCpuMsPerHeadline: number;
  /** slope of Redis commands/s between the two rates: commands per headline (those run by scripts included) */
  redisCommandsPerHeadline: number;
  /**
   * at the low rate, net of the idle window's background, per headline: what a headline costs
   * when headlines are spaced apart (as a desk's are); BullMQ's fetch loop costs more then
   */
  lowRate: { cpuMs: number; redisCpuMs: number; redisCommands: number };
  /** at the higher rate, net of the idle window's background, by command */
  commandsPerHeadline: Record<string, number>;
}

async function headlineWindow(
  target: Target,
  stats: RedisStats | null,
  tag: string,
  rate: number,
  seconds: number,
): Promise<HeadlineWindow> {
  const c0 = (await stats?.counts()) ?? {};
  const log = target.name === 'ticker' ? stats : null;
  const seq0 = await feedSeq(log);
  const s = sample(target);
  let headlines = 0;
  if (rate === 0) await sleep(seconds * 1000);
  else {
    const p = await publish(target.url, tag, rate, seconds);
    headlines = p.accepted.length;
    if (target.name === 'queued') await drained(stats);
    else await appendedUpTo(log, seq0 + headlines);
  }
  const st = s.stop();
  const c1 = (await stats?.counts()) ?? {};
  return {
    rate,
    headlines,
    seconds: st.seconds,
    productCpuSeconds: st.cpuSeconds + (st.helperCpuSeconds['worker'] ?? 0),
    redisCpuSeconds: st.helperCpuSeconds['redis'] ?? 0,
    commands: delta(c0, c1),
  };
}

/** Idle, then two publish rates with nobody subscribed: what a headline costs before any fan-out. */
export async function perHeadlineStep(
  target: Target,
  stats: RedisStats | null,
  rates: [number, number],
  seconds: number,
): Promise<PerHeadline> {
  // Warm-up, not measured: the first headlines pay for JIT compilation of the whole path,
  // which would inflate the low rate's window and flatten the slope.
  await headlineWindow(target, stats, 'hw', rates[1], 2);
  const windows: HeadlineWindow[] = [];
  windows.push(await headlineWindow(target, stats, 'h0', 0, Math.min(seconds, 3)));
  for (const [i, rate] of rates.entries()) windows.push(await headlineWindow(target, stats, `h${i + 1}`, rate, seconds));
  const [idle, lo, hi] = windows as [HeadlineWindow, HeadlineWindow, HeadlineWindow];
  // Per second, then the slope per headline/s: the fixed background (timers, pings, BullMQ's
  // stalled checks, the relay's reconcile) cancels out.
  const slope = (f: (w: HeadlineWindow) => number) =>
    (f(hi) / hi.seconds - f(lo) / lo.seconds) / (hi.headlines / hi.seconds - lo.headlines / lo.seconds);
  const commandsPerHeadline: Record<string, number> = {};
  for (const [cmd, n] of Object.entries(hi.commands)) {
    const net = (n - ((idle.commands[cmd] ?? 0) / idle.seconds) * hi.seconds) / Math.max(1, hi.headlines);
    if (net >= 0.05) commandsPerHeadline[cmd] = Number(net.toFixed(2));
  }
  const net = (w: HeadlineWindow, f: (x: HeadlineWindow) => number) =>
    (f(w) - (f(idle) / idle.seconds) * w.seconds) / Math.max(1, w.headlines);
  return {
    windows,
    lowRate: {
      cpuMs: net(lo, (w) => w.productCpuSeconds) * 1000,
      redisCpuMs: net(lo, (w) => w.redisCpuSeconds) * 1000,
      redisCommands: net(lo, (w) => total(w.commands)),
    },
    cpuMsPerHeadline: slope((w) => w.productCpuSeconds) * 1000,
    redisCpuMsPerHeadline: slope((w) => w.redisCpuSeconds) * 1000,
    redisCommandsPerHeadline: slope((w) => total(w.commands)),
    commandsPerHeadline,
  };
}

// ---------------------------------------------------------------- connect + subscribe

export interface ConnectCost {
  clients: number;
  failed: number;
  ms: number;
  perSecond: number;
  cpuMsPerConnection: number;
  redisCpuMsPerConnection: number;
  redisCommandsPerConnection: number;
  commandsPerConnection: Record<string, number>;
  idleRssMb: number;
  connectedRssMb: number;
  rssKbPerConnection: number;
}

/**
 * N clients connect and subscribe to the latest `limit` (a widget page view), the log holding
 * at least that many. Background CPU and commands of an idle window of the same length are
 * subtracted.
 */
export async function connectStep(
  target: Target,
  gen: Generator,
  stats: RedisStats | null,
  n: number,
  limit: number,
): Promise<ConnectCost> {
  const warm = await publish(target.url, 'warm', 20, limit / 20);
  await appendedUpTo(stats, warm.accepted.length);
  await sleep(1000);
  const idleRss = treeRssKb(target.pid);
  // the background over 2 s, to subtract
  const b0 = (await stats?.counts()) ?? {};
  const bs = sample(target);
  await sleep(2000);
  const bg = bs.stop();
  const background = delta(b0, (await stats?.counts()) ?? {});
  const c0 = (await stats?.counts()) ?? {};
  const s = sample(target);
  const c = await gen.ask({ type: 'connect', url: target.url, key: KEY, count: n, subscribe: true, limit }, 'connected');
  const st = s.stop();
  const used = delta(c0, (await stats?.counts()) ?? {});
  await sleep(500);
  const connected = treeRssKb(target.pid);
  const k = st.seconds / bg.seconds;
  const net = (f: (x: typeof st) => number) => Math.max(0, f(st) - f(bg) * k);
  const commandsPerConnection: Record<string, number> = {};
  let cmds = 0;
  for (const [cmd, v] of Object.entries(used)) {
    const x = Math.max(0, v - (background[cmd] ?? 0) * k);
    cmds += x;
    if (x / c.open >= 0.01) commandsPerConnection[cmd] = Number((x / c.open).toFixed(2));
  }
  return {
    clients: c.open,
    failed: c.failed,
    ms: c.ms,
    perSecond: Math.round((c.open * 1000) / c.ms),
    cpuMsPerConnection: (net((x) => x.cpuSeconds) * 1000) / c.open,
    redisCpuMsPerConnection: (net((x) => x.helperCpuSeconds['redis'] ?? 0) * 1000) / c.open,
    redisCommandsPerConnection: cmds / c.open,
    commandsPerConnection,
    idleRssMb: idleRss / 1024,
    connectedRssMb: connected / 1024,
    rssKbPerConnection: (connected - idleRss) / c.open,
  };
}

// ---------------------------------------------------------------- reconnect storm

export interface StormResult {
  clients: number;
  /** kill → the new process listening */
  restartMs: number;
  /** kill → every client subscribed again */
  allLiveMs: number | null;
  /** listening → every client subscribed again */
  reconnectMs: number | null;
  reconnectsPerSecond: number | null;
  cpuMsPerReconnection: number;
  redisCommandsPerReconnection: number;
  failedAttempts: number;
  /** headlines the target accepted (202) during the step, and deliveries of them expected/received */
  accepted: number;
  expected: number;
  delivered: number;
  lost: number;
  disorder: number;
  resets: number;
}

/**
 * The gateway is SIGKILLed with every client connected while headlines keep coming, and started
 * again on the same port. Clients come back as the SDK does (jittered backoff, `since`).
 */
export async function stormStep(
  target: Target,
  gen: Generator,
  stats: RedisStats | null,
  o: { clients: number; rate: number; seconds: number; killAfterSeconds: number; minDelayMs: number; maxDelayMs: number },
): Promise<StormResult> {
  const headlines = Math.round(o.rate * o.seconds);
  gen.tell({ type: 'resilient', minDelayMs: o.minDelayMs, maxDelayMs: o.maxDelayMs });
  gen.tell({ type: 'start', tag: 'storm', headlines, expected: o.clients * headlines });
  const publishing = publish(() => target.url, 'storm', o.rate, o.seconds);
  await sleep(o.killAfterSeconds * 1000);
  const killedAt = Date.now();
  const { restartMs } = await target.crashAndRestart();
  const listeningAt = Date.now();
  const c0 = (await stats?.counts()) ?? {};
  const s = sample(target);
  let allLiveAt: number | null = null;
  let failedAttempts = 0;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const p = await gen.ask({ type: 'poll' }, 'progress');
    failedAttempts = p.failedAttempts;
    if (p.live >= o.clients && p.lastLiveAt >= listeningAt) {
      allLiveAt = p.lastLiveAt;
      break;
    }
    await sleep(50);
  }
  const st = s.stop();
  const used = total(delta(c0, (await stats?.counts()) ?? {}));
  const published = await publishing;
  const expected = published.accepted.length * o.clients;
  // Let the tail (jobs re-run after the crash, replays) arrive.
  let last = -1;
  let lastProgressAt = Date.now();
  for (;;) {
    const { delivered } = await gen.ask({ type: 'poll' }, 'progress');
    if (delivered !== last) [last, lastProgressAt] = [delivered, Date.now()];
    if (delivered >= expected || Date.now() - lastProgressAt > 12_000) break;
    await sleep(100);
  }
  const r = await gen.ask({ type: 'stop' }, 'report');
  const acceptedSet = new Set(published.accepted);
  const deliveredAccepted = r.receivedBy.reduce((n, by, i) => n + (acceptedSet.has(i) ? Math.min(by, o.clients) : 0), 0);
  const reconnectMs = allLiveAt === null ? null : allLiveAt - listeningAt;
  return {
    clients: o.clients,
    restartMs,
    allLiveMs: allLiveAt === null ? null : allLiveAt - killedAt,
    reconnectMs,
    reconnectsPerSecond: reconnectMs === null ? null : Math.round((o.clients * 1000) / Math.max(1, reconnectMs)),
    cpuMsPerReconnection: (st.cpuSeconds * 1000) / o.clients,
    redisCommandsPerReconnection: used / o.clients,
    failedAttempts,
    accepted: published.accepted.length,
    expected,
    delivered: deliveredAccepted,
    lost: expected - deliveredAccepted,
    disorder: r.disorder,
    resets: r.resets,
  };
}
