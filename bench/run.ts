// `npm run bench`: the product against a plain Socket.IO baseline, same workload, same
// generator, same run. See BENCHMARKS.md for what each number means and what limits it.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectStep, perHeadlineStep, stormStep, type ConnectCost, type PerHeadline, type StormResult } from './cost-steps.js';
import {
  closeAgent,
  confine,
  otherCores,
  Generator,
  KEY,
  publish,
  ROOT,
  sample,
  sleep,
  startBaseline,
  startTicker,
  type Target,
  type TargetName,
  type TargetOptions,
} from './harness.js';
import type { StepReport } from './protocol.js';
import { treeRssKb } from './proc-stats.js';
import { RedisStats } from './redis-stats.js';

const SUCCESS_P99_MS = 100;
/** a step ends this long after the last delivery when not everything arrived */
const DRAIN_QUIET_MS = 3000;
const DRAIN_MAX_MS = 10_000;
const ALL_STEPS = 'headline,connect,steady,sweep,overload,storm';

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
    steps: { type: 'string', default: ALL_STEPS },
    'headline-rates': { type: 'string', default: '10,40' },
    'headline-seconds': { type: 'string', default: '5' },
    'connect-limit': { type: 'string', default: '10' },
    'storm-rate': { type: 'string', default: '5' },
    'storm-seconds': { type: 'string', default: '8' },
    'storm-delay': { type: 'string', default: '500,20000' },
    cpus: { type: 'string' },
    processes: { type: 'string', default: '1' },
    source: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
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
  --n 1000                subscribers (connect, steady, sweep, overload and storm steps)
  --rate 20               headlines/s in the steady step
  --seconds 10            length of the steady step
  --sweep 20,30,40,50,60  rates of the saturation sweep (stops at the first failure)
  --sweep-seconds 5       length of each sweep step
  --overload auto         rate of the overload step (auto: twice the first failing sweep rate)
  --targets ticker,baseline[,queued]
                          queued: the baseline with each headline carried by BullMQ on its own
                            Redis (headline step only): what BullMQ alone costs per headline
  --roles all             all: the product in one process (TICKER_ROLE=all, as npm start);
                          split: a TICKER_ROLE=gateway process (measured as the target) and a
                          separate TICKER_ROLE=worker (its CPU in the "worker" column), as deployed
  --steps ${ALL_STEPS}[,scale]
                          headline: 0 subscribers, idle then --headline-rates for
                            --headline-seconds each: CPU and Redis commands per headline (slope)
                          connect: --n clients connect and subscribe to the latest --connect-limit
                            (always run when a later step needs subscribers; measured only if named)
                          storm: the gateway SIGKILLed with --n clients connected while
                            --storm-rate headlines/s flow for --storm-seconds; restarted on the
                            same port; clients come back with the SDK's jittered backoff
                            (--storm-delay min,max ms) and resume by since
                          scale: --scale-n connections (RSS per idle connection at 5,000), then
                            --scale-rate headlines/s for --scale-seconds
  --cpus 0                confine each target (the product with its Redis and worker; the
                          baseline) to these cores with taskset -c (util-linux), e.g. 0 or 0,1;
                          the generator and the publisher then run on the other cores
  --processes 1           the product's TICKER_PROCESSES (one gateway process per core; its CPU
                          and RSS are the primary's and its children's together)
  --source                run the product from TypeScript through tsx instead of the build that
                          \`npm start\` runs (server/dist/main.js; \`npm run build\` first)
  --repeat 1              rounds; each runs every target, interleaved (order alternating), and
                          the summary gives medians and the spread (min-max) across rounds
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
const nums = (name: string, v: string | undefined): number[] =>
  (v ?? '')
    .split(',')
    .filter(Boolean)
    .map((x) => num(name, x));
const N = num('n', opts.n);
const RATE = num('rate', opts.rate);
const SECONDS = num('seconds', opts.seconds);
const SWEEP = nums('sweep', opts.sweep);
const SWEEP_SECONDS = num('sweep-seconds', opts['sweep-seconds']);
const TARGETS = opts.targets.split(',').filter(Boolean) as TargetName[];
const ROLES =
  opts.roles === 'split'
    ? 'split'
    : opts.roles === 'all'
      ? 'all'
      : (() => {
          throw new Error(`--roles: expected all or split, got ${opts.roles}`);
        })();
const STEPS = new Set(opts.steps.split(',').filter(Boolean));
// TARGETS is the user's text cast to the names: check it, as the cast cannot.
for (const t of TARGETS as string[]) if (t !== 'ticker' && t !== 'baseline' && t !== 'queued') throw new Error(`--targets: unknown ${t}`);
const HEADLINE_RATES = nums('headline-rates', opts['headline-rates']);
if (HEADLINE_RATES.length !== 2 || HEADLINE_RATES[0]! >= HEADLINE_RATES[1]!)
  throw new Error('--headline-rates: expected two rates, low,high');
const STORM_DELAY = nums('storm-delay', opts['storm-delay']);
if (STORM_DELAY.length !== 2) throw new Error('--storm-delay: expected min,max in ms');
const CPUS = opts.cpus ?? null;
if (CPUS !== null && !/^\d+([,-]\d+)*$/u.test(CPUS)) throw new Error(`--cpus: expected a taskset list such as 0 or 0,1, got ${CPUS}`);
const REPEAT = num('repeat', opts.repeat);
const PROCESSES = num('processes', opts.processes);
// The generator and this process (the publisher) stay off the targets' cores.
const GENERATOR_CPUS = otherCores(CPUS);
confine(process.pid, GENERATOR_CPUS);
const TARGET_OPTIONS: TargetOptions = {
  roles: ROLES,
  profile: opts.profile,
  cpus: CPUS,
  processes: PROCESSES,
  source: opts.source,
};

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

let stepNo = 0;

async function runStep(
  target: Target,
  gen: Generator,
  step: string,
  subscribers: number,
  rate: number,
  seconds: number,
): Promise<StepResult> {
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
  const { seconds: _, helperCpuSeconds: __, ...stats } = s.stop();
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
const STEP_HEADER = [
  'target',
  'step',
  'subs',
  'rate/s',
  'delivered/expected',
  'deliv/s',
  'p50',
  'p95',
  'p99',
  'max ms',
  'cpu',
  'µs cpu/deliv',
  'redis',
  'worker',
  'rss MB',
  'peak',
  'gen cpu',
  'POST p50/max',
  'post err',
  'shed',
  'ok',
];

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
  round: number;
  idleRssMb: number;
  connectedRssMb: number;
  rssPerConnectionKb: number;
  connectMs: number;
  /** cores used with N subscribers connected and nothing published */
  idleCpu: number;
  perHeadline?: PerHeadline;
  connect?: ConnectCost;
  storm?: StormResult;
  steps: StepResult[];
  /** highest deliveries/s of a sweep step that passed (p99 < 100 ms, nothing lost) */
  saturation: number | null;
  /** highest publish rate of a sweep step that passed */
  saturationRate: number | null;
  scale?: { connections: number; rssPerIdleConnectionKbAt5k: number; open: number; failed: number };
}

const needsSubscribers = ['connect', 'steady', 'sweep', 'overload', 'storm', 'scale'].some((s) => STEPS.has(s));

async function benchTarget(name: TargetName, round: number): Promise<TargetResult> {
  process.stdout.write(`\n${name}: starting${REPEAT > 1 ? ` (round ${round})` : ''}${CPUS === null ? '' : ` on cpus ${CPUS}`}\n`);
  const target = name === 'ticker' ? await startTicker(TARGET_OPTIONS) : await startBaseline(TARGET_OPTIONS, name === 'queued');
  const stats = target.redisUrl === null ? null : new RedisStats(target.redisUrl);
  const gen = new Generator();
  confine(gen.pid, GENERATOR_CPUS);
  await gen.ask(null, 'ready');
  try {
    await sleep(1000);
    const result: TargetResult = {
      target: name,
      round,
      idleRssMb: 0,
      connectedRssMb: 0,
      rssPerConnectionKb: Number.NaN,
      connectMs: Number.NaN,
      idleCpu: Number.NaN,
      steps: [],
      saturation: null,
      saturationRate: null,
    };
    if (STEPS.has('headline')) {
      const h = await perHeadlineStep(
        target,
        stats,
        [HEADLINE_RATES[0]!, HEADLINE_RATES[1]!],
        num('headline-seconds', opts['headline-seconds']),
      );
      result.perHeadline = h;
      process.stdout.write(
        `${name}: per headline (0 subscribers, ${HEADLINE_RATES.join(' → ')}/s): ${f2(h.cpuMsPerHeadline)} ms CPU` +
          `${stats ? `, Redis ${f2(h.redisCpuMsPerHeadline)} ms CPU and ${f1(h.redisCommandsPerHeadline)} commands` : ''}\n`,
      );
      if (stats) process.stdout.write(`  commands per headline: ${formatCommands(h.commandsPerHeadline)}\n`);
    }
    if (!needsSubscribers) return result;
    const c = await connectStep(target, gen, stats, N, num('connect-limit', opts['connect-limit']));
    if (c.failed > 0) throw new Error(`${name}: ${c.failed} of ${N} subscribers failed to connect`);
    if (STEPS.has('connect')) result.connect = c;
    Object.assign(result, {
      idleRssMb: c.idleRssMb,
      connectedRssMb: c.connectedRssMb,
      rssPerConnectionKb: c.rssKbPerConnection,
      connectMs: c.ms,
    });
    // What the process burns with N subscribers and nothing to send (timers, pings, Redis waits).
    const idleSample = sample(target);
    await sleep(3000);
    result.idleCpu = idleSample.stop().cpu;
    process.stdout.write(
      `${name}: ${c.clients} connect + subscribe (latest ${opts['connect-limit']}) in ${c.ms} ms (${c.perSecond}/s), ` +
        `${f2(c.cpuMsPerConnection)} ms CPU each${stats ? `, Redis ${f2(c.redisCpuMsPerConnection)} ms CPU and ${f1(c.redisCommandsPerConnection)} commands each (${formatCommands(c.commandsPerConnection)})` : ''}; ` +
        `RSS ${f1(c.idleRssMb)} → ${f1(c.connectedRssMb)} MB, ${f1(c.rssKbPerConnection)} KB per connection; idle CPU ${result.idleCpu.toFixed(3)} core\n` +
        `  ${table(STEP_HEADER, []).split('\n').slice(0, 2).join('\n  ')}\n`,
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
        result.saturationRate = Math.max(result.saturationRate ?? 0, rate);
        await sleep(500);
      }
    }
    if (STEPS.has('overload')) {
      const rate = opts.overload === 'auto' ? 2 * (firstFail ?? SWEEP.at(-1) ?? RATE) : num('overload', opts.overload);
      result.steps.push(await runStep(target, gen, 'overload', N, rate, SWEEP_SECONDS));
    }
    if (STEPS.has('storm')) {
      await sleep(1000);
      const st = await stormStep(target, gen, stats, {
        clients: N,
        rate: num('storm-rate', opts['storm-rate']),
        seconds: num('storm-seconds', opts['storm-seconds']),
        killAfterSeconds: 2,
        minDelayMs: STORM_DELAY[0]!,
        maxDelayMs: STORM_DELAY[1]!,
      });
      result.storm = st;
      process.stdout.write(
        `${name}: reconnect storm: ${st.clients} clients; restart ${st.restartMs} ms; all live ${st.allLiveMs ?? 'never'} ms after the kill ` +
          `(${st.reconnectMs ?? '-'} ms after listening, ${st.reconnectsPerSecond ?? '-'}/s), ${f2(st.cpuMsPerReconnection)} ms CPU` +
          `${stats ? ` and ${f1(st.redisCommandsPerReconnection)} Redis commands` : ''} per reconnection; ` +
          `${st.delivered}/${st.expected} deliveries of ${st.accepted} accepted headlines (lost ${st.lost}, disorder ${st.disorder}, resets ${st.resets})\n`,
      );
    } else if (STEPS.has('scale')) result.scale = await scaleStep(target, gen, result);
    return result;
  } finally {
    await gen.ask({ type: 'disconnect' }, 'disconnected').catch(() => undefined);
    await gen.stop();
    await stats?.close();
    await target.stop();
  }
}

/** Many connections on one process: RSS per idle connection at 5,000, then a held load. */
async function scaleStep(target: Target, gen: Generator, result: TargetResult): Promise<TargetResult['scale']> {
  const total = num('scale-n', opts['scale-n']);
  await gen.ask({ type: 'disconnect' }, 'disconnected');
  await sleep(2000);
  const before = treeRssKb(target.pid);
  const first = await gen.ask({ type: 'connect', url: target.url, key: KEY, count: Math.min(5000, total), subscribe: true }, 'connected');
  await sleep(1000);
  const at5k = treeRssKb(target.pid);
  const rest =
    total > 5000 ? await gen.ask({ type: 'connect', url: target.url, key: KEY, count: total - 5000, subscribe: true }, 'connected') : null;
  const open = first.open + (rest?.open ?? 0);
  const failed = first.failed + (rest?.failed ?? 0);
  const perConn = (at5k - before) / first.open;
  process.stdout.write(
    `${target.name}: ${open} connections (${failed} failed); ${f1(perConn)} KB RSS per idle connection at ${first.open}\n`,
  );
  result.steps.push(
    await runStep(target, gen, 'scale', open, num('scale-rate', opts['scale-rate']), num('scale-seconds', opts['scale-seconds'])),
  );
  return { connections: open, failed, open, rssPerIdleConnectionKbAt5k: perConn };
}

// ---------------------------------------------------------------- summary

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const formatCommands = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** "median (min–max)" over the rounds; just the value for one round. */
function spread(xs: (number | null | undefined)[], fmt: (n: number) => string = f1): string {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return '-';
  if (v.length === 1) return fmt(v[0]!);
  return `${fmt(median(v))} (${fmt(Math.min(...v))}–${fmt(Math.max(...v))})`;
}

/** CPU µs per delivery over every step: the efficiency, robust to a shared machine */
const usPerDelivery = (r: TargetResult) => {
  const delivered = r.steps.reduce((n, s) => n + s.delivered, 0);
  return delivered > 0 ? (r.steps.reduce((t, s) => t + s.cpuSeconds, 0) * 1e6) / delivered : Number.NaN;
};

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

function summarize(results: TargetResult[]): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  const rowsFor = (t: TargetName) => results.filter((r) => r.target === t);
  const present = TARGETS.filter((t) => rowsFor(t).length > 0);
  const rounds = REPEAT > 1 ? ` — medians of ${REPEAT} interleaved rounds (min–max)` : '';
  const pick = <T>(t: TargetName, f: (r: TargetResult) => T) => rowsFor(t).map(f);

  if (STEPS.has('headline')) {
    process.stdout.write(`\nPer headline, 0 subscribers (slope between ${HEADLINE_RATES.join(' and ')} headlines/s)${rounds}\n`);
    const rows = present.map((t) => {
      const h = pick(t, (r) => r.perHeadline);
      summary[`${t}.perHeadline`] = {
        cpuMs: median(h.map((x) => x?.cpuMsPerHeadline ?? Number.NaN)),
        redisCpuMs: median(h.map((x) => x?.redisCpuMsPerHeadline ?? Number.NaN)),
        redisCommands: median(h.map((x) => x?.redisCommandsPerHeadline ?? Number.NaN)),
      };
      return [
        t,
        spread(
          h.map((x) => x?.cpuMsPerHeadline),
          f2,
        ),
        t === 'baseline'
          ? '-'
          : spread(
              h.map((x) => x?.redisCpuMsPerHeadline),
              f2,
            ),
        t === 'baseline' ? '-' : spread(h.map((x) => x?.redisCommandsPerHeadline)),
        `${spread(
          h.map((x) => x?.lowRate.cpuMs),
          f2,
        )}${
          t === 'baseline'
            ? ''
            : `; Redis ${spread(
                h.map((x) => x?.lowRate.redisCpuMs),
                f2,
              )} ms, ${spread(h.map((x) => x?.lowRate.redisCommands))} commands`
        }`,
        t === 'baseline' ? '-' : formatCommands(h.at(-1)?.commandsPerHeadline ?? {}),
      ];
    });
    process.stdout.write(
      `${table(['system', 'CPU ms per headline (product)', 'Redis CPU ms per headline', 'Redis commands per headline', `at ${HEADLINE_RATES[0]}/s, net of idle: CPU ms`, 'commands (last round, net of idle)'], rows)}\n`,
    );
  }
  if (STEPS.has('connect')) {
    process.stdout.write(`\nConnect + subscribe (latest ${opts['connect-limit']}), ${N} clients${rounds}\n`);
    const rows = present.map((t) => {
      const c = pick(t, (r) => r.connect);
      summary[`${t}.connect`] = {
        perSecond: median(c.map((x) => x?.perSecond ?? Number.NaN)),
        cpuMs: median(c.map((x) => x?.cpuMsPerConnection ?? Number.NaN)),
        redisCommands: median(c.map((x) => x?.redisCommandsPerConnection ?? Number.NaN)),
        rssKb: median(c.map((x) => x?.rssKbPerConnection ?? Number.NaN)),
      };
      return [
        t,
        spread(
          c.map((x) => x?.perSecond),
          (n) => n.toFixed(0),
        ),
        spread(
          c.map((x) => x?.cpuMsPerConnection),
          f2,
        ),
        t === 'baseline'
          ? '-'
          : spread(
              c.map((x) => x?.redisCpuMsPerConnection),
              f2,
            ),
        t === 'baseline'
          ? '-'
          : spread(
              c.map((x) => x?.redisCommandsPerConnection),
              f2,
            ),
        spread(c.map((x) => x?.rssKbPerConnection)),
      ];
    });
    process.stdout.write(
      `${table(['system', 'connects/s', 'CPU ms per connection', 'Redis CPU ms per connection', 'Redis commands per connection', 'RSS KB per connection'], rows)}\n`,
    );
  }
  if (STEPS.has('storm')) {
    process.stdout.write(`\nReconnect storm: the gateway SIGKILLed with ${N} clients, restarted on its port${rounds}\n`);
    const rows = present.map((t) => {
      const s = pick(t, (r) => r.storm);
      return [
        t,
        spread(
          s.map((x) => x?.restartMs),
          (n) => n.toFixed(0),
        ),
        spread(
          s.map((x) => x?.allLiveMs),
          (n) => n.toFixed(0),
        ),
        spread(
          s.map((x) => x?.reconnectMs),
          (n) => n.toFixed(0),
        ),
        spread(
          s.map((x) => x?.cpuMsPerReconnection),
          f2,
        ),
        t === 'baseline' ? '-' : spread(s.map((x) => x?.redisCommandsPerReconnection)),
        s.map((x) => (x ? `${x.delivered}/${x.expected}` : '-')).join(', '),
        s.map((x) => (x ? `${x.lost}/${x.disorder}/${x.resets}` : '-')).join(', '),
      ];
    });
    process.stdout.write(
      `${table(['system', 'restart ms', 'all live after kill ms', 'after listening ms', 'CPU ms per reconnection', 'Redis commands per reconnection', 'delivered/expected (accepted)', 'lost/disorder/resets'], rows)}\n`,
    );
  }
  const withSteps = present.filter((t) => rowsFor(t).some((r) => r.steps.length > 0));
  if (withSteps.length > 0) {
    process.stdout.write('\nAll steps\n');
    process.stdout.write(
      `${table(
        STEP_HEADER,
        results.flatMap((r) => r.steps.map(stepRow)),
      )}\n`,
    );
    process.stdout.write(`\nSide by side (${N} subscribers)${rounds}\n`);
    const steady = (r: TargetResult) => r.steps.find((s) => s.step === 'steady');
    const sweepAt = (r: TargetResult, rate: number) => r.steps.find((s) => s.step === 'sweep' && s.rate === rate);
    const rows = withSteps.map((t) => {
      const rs = rowsFor(t);
      summary[t] = {
        cpuUsPerDelivery: median(rs.map(usPerDelivery)),
        steadyP99Ms: median(rs.map((r) => steady(r)?.latencyMs.p99 ?? Number.NaN)),
        sweepFirstP99Ms: median(rs.map((r) => sweepAt(r, SWEEP[0]!)?.latencyMs.p99 ?? Number.NaN)),
        saturation: median(rs.map((r) => r.saturation ?? Number.NaN)),
        saturationRate: median(rs.map((r) => r.saturationRate ?? Number.NaN)),
      };
      return [
        t,
        spread(rs.map(usPerDelivery)),
        `${spread(rs.map((r) => steady(r)?.latencyMs.p50))} / ${spread(rs.map((r) => steady(r)?.latencyMs.p99))}`,
        spread(rs.map((r) => sweepAt(r, SWEEP[0]!)?.latencyMs.p99)),
        // a round where no sweep step passed has no saturation figure: "none" rather than 0
        `${spread(
          rs.map((r) => r.saturation),
          (n) => n.toFixed(0),
        )}; rate ${spread(
          rs.map((r) => r.saturationRate),
          (n) => n.toFixed(0),
        )}/s; ` + `${rs.filter((r) => r.saturation === null).length} of ${rs.length} rounds passed no sweep step`,
        spread(rs.map((r) => r.rssPerConnectionKb)),
      ];
    });
    const tk = summary['ticker'] as Record<string, number> | undefined;
    const bl = summary['baseline'] as Record<string, number> | undefined;
    if (tk && bl) {
      summary['steadyP99DeltaMs'] = Number((tk['steadyP99Ms']! - bl['steadyP99Ms']!).toFixed(1));
      summary['sweepFirstP99DeltaMs'] = Number((tk['sweepFirstP99Ms']! - bl['sweepFirstP99Ms']!).toFixed(1));
      summary['saturationRatio'] =
        tk['saturation']! > 0 && bl['saturation']! > 0 ? Number((tk['saturation']! / bl['saturation']!).toFixed(2)) : null;
      summary['efficiencyRatio'] = Number((bl['cpuUsPerDelivery']! / tk['cpuUsPerDelivery']!).toFixed(2));
      rows.push([
        'ticker vs baseline (medians)',
        `${String(summary['efficiencyRatio'])}× deliveries per CPU second`,
        `p99 ${Number(summary['steadyP99DeltaMs']) >= 0 ? '+' : ''}${String(summary['steadyP99DeltaMs'])} ms`,
        `${Number(summary['sweepFirstP99DeltaMs']) >= 0 ? '+' : ''}${String(summary['sweepFirstP99DeltaMs'])} ms`,
        summary['saturationRatio'] === null ? '- (no sweep step passed)' : `${JSON.stringify(summary['saturationRatio'])}×`,
        '',
      ]);
    }
    process.stdout.write(
      `${table(['system', 'CPU µs per delivery', `steady ${RATE}/s p50 / p99 ms`, `sweep ${SWEEP[0]}/s p99 ms`, 'saturation deliveries/s (p99 < 100 ms, none lost)', 'RSS/conn KB'], rows)}\n`,
    );
  }
  return summary;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const info = machine();
  process.stdout.write(
    `bench: ${info.nproc} × ${info.model}, ${info.memoryGb} GB, node ${info.node}, load ${info.loadAverageAtStart.join(' ')}\n`,
  );
  process.stdout.write(
    `  ${N} subscribers; steps ${[...STEPS].join(',')}; steady ${RATE}/s for ${SECONDS} s; sweep ${SWEEP.join(',')}/s for ${SWEEP_SECONDS} s each` +
      `${CPUS === null ? '' : `; targets confined to cpus ${CPUS}${GENERATOR_CPUS === null ? '' : `, generator and publisher to ${GENERATOR_CPUS}`}`}${REPEAT > 1 ? `; ${REPEAT} rounds` : ''}` +
      `; product ${TARGET_OPTIONS.source ? 'from source (tsx)' : 'built (server/dist)'}${PROCESSES > 1 ? `, ${PROCESSES} processes` : ''}\n`,
  );
  const results: TargetResult[] = [];
  for (let round = 1; round <= REPEAT; round++) {
    // Interleaved, the order alternating, so a drift in the machine's load hits both alike.
    const order = round % 2 === 1 ? TARGETS : [...TARGETS].reverse();
    for (const t of order) results.push(await benchTarget(t, round));
  }
  const summary = summarize(results);
  const out = opts.out ?? join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/gu, '-')}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ machine: { ...info, loadAverageAtEnd: loadavg().map((l) => Number(l.toFixed(2))) }, options: opts, durationSeconds: Math.round((Date.now() - started) / 1000), summary, results }, null, 2)}\n`,
  );
  process.stdout.write(`\nresults: ${out} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  closeAgent();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
