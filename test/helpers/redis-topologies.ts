import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../server/src/redis/private-redis.js';
import type { HostPort, RedisTopology } from '../../server/src/redis/redis-topology.js';
import { until } from './wait.js';

/** One redis-server or redis-sentinel child process on 127.0.0.1, killable and restartable. */
export class RedisProcess {
  #child: ChildProcess | null = null;
  readonly port: number;
  readonly #binary: string;
  readonly #args: string[];
  readonly #cwd: string;

  constructor(binary: string, port: number, args: string[], cwd: string) {
    this.#binary = binary;
    this.port = port;
    this.#args = args;
    this.#cwd = cwd;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<this> {
    if (this.#child) return this;
    mkdirSync(this.#cwd, { recursive: true });
    const child = spawn(this.#binary, this.#args, { cwd: this.#cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout?.resume();
    child.stderr?.resume();
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    // Ready when it answers PING (a sentinel answers too).
    await until(
      async () => {
        if (this.#child !== child) throw new Error(`${this.#binary} on port ${this.port} exited at start`);
        return pingable(this.port);
      },
      `${this.#binary} on ${this.port} up`,
      10_000,
    );
    return this;
  }

  /** SIGKILL: the process dies as in a crash or a lost machine. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.#child = null;
  }

  client(): Redis {
    const c = new Redis({ host: '127.0.0.1', port: this.port, retryStrategy: () => 200, maxRetriesPerRequest: 2, lazyConnect: false });
    c.on('error', () => undefined);
    return c;
  }
}

async function pingable(port: number): Promise<boolean> {
  const probe = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export const SERVER_ARGS = [
  '--bind',
  '127.0.0.1',
  '--save',
  '',
  '--appendonly',
  'yes',
  '--appendfsync',
  'everysec',
  '--daemonize',
  'no',
  '--logfile',
  'redis.log',
];

/**
 * Resolves once `primary` has `replicas` replicas online: the initial transfer done, not merely
 * connected (a failover could otherwise promote an empty replica, and WAIT would not count it).
 */
export async function inSync(primary: RedisProcess, replicas: number, timeoutMs = 20_000): Promise<void> {
  const pc = primary.client();
  try {
    await until(
      async () => ((await pc.info('replication')).match(/state=online/gu) ?? []).length === replicas,
      `${replicas} replica(s) of ${primary.port} in sync`,
      timeoutMs,
      100,
    );
  } finally {
    pc.disconnect();
  }
}

/** A primary and one replica of it (no Sentinel): for durability "replica" on REDIS_URL. */
export interface ReplicatedPair {
  readonly primary: RedisProcess;
  readonly replica: RedisProcess;
  /** the primary's REDIS_URL */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startReplicatedPair(): Promise<ReplicatedPair> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-pair-'));
  const pPort = await freePort();
  const primary = await new RedisProcess('redis-server', pPort, ['--port', String(pPort), ...SERVER_ARGS], join(dir, 'p')).start();
  const rPort = await freePort();
  const replicaArgs = ['--port', String(rPort), ...SERVER_ARGS, '--replicaof', '127.0.0.1', String(pPort)];
  const replica = await new RedisProcess('redis-server', rPort, replicaArgs, join(dir, 'r')).start();
  await inSync(primary, 1);
  return {
    primary,
    replica,
    url: `redis://127.0.0.1:${pPort}`,
    async stop() {
      await replica.kill();
      await primary.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sentinelAvailable(): boolean {
  return spawnSync('redis-sentinel', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A primary, its replicas and three Sentinels watching them (quorum 2), all on local ports. */
export interface SentinelSet {
  readonly name: string;
  readonly servers: RedisProcess[];
  readonly sentinels: RedisProcess[];
  readonly topology: RedisTopology;
  /** the server the Sentinels name as primary now */
  primary(): Promise<RedisProcess>;
  stop(): Promise<void>;
}

export async function startSentinelSet(replicaCount = 1, name = 'ticker'): Promise<SentinelSet> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-sentinel-'));
  const primaryPort = await freePort();
  const primary = await new RedisProcess(
    'redis-server',
    primaryPort,
    ['--port', String(primaryPort), ...SERVER_ARGS],
    join(dir, 'primary'),
  ).start();
  const replicas: RedisProcess[] = [];
  for (let i = 0; i < replicaCount; i++) {
    const port = await freePort();
    replicas.push(
      await new RedisProcess(
        'redis-server',
        port,
        ['--port', String(port), ...SERVER_ARGS, '--replicaof', '127.0.0.1', String(primaryPort)],
        join(dir, `replica-${i}`),
      ).start(),
    );
  }
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const sdir = join(dir, `sentinel-${i}`);
    mkdirSync(sdir, { recursive: true });
    // Fast detection for tests: down after 1 s, failover retried after 3 s.
    writeFileSync(
      join(sdir, 'sentinel.conf'),
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'logfile sentinel.log',
        `dir ${sdir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 3000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await new RedisProcess('redis-sentinel', port, [join(sdir, 'sentinel.conf')], sdir).start());
  }
  const servers = [primary, ...replicas];
  // The replicas must be in sync before anything relies on them.
  await inSync(primary, replicaCount);
  const sc = sentinels[0]!.client();
  await until(
    async () => {
      const known = (await sc.call('SENTINEL', 'REPLICAS', name)) as unknown[];
      return known.length === replicaCount;
    },
    'sentinels know the replicas',
    15_000,
  );
  sc.disconnect();
  // A failover needs a quorum that can elect a leader: every Sentinel must know the other two.
  for (const s of sentinels) {
    const c = s.client();
    await until(
      async () => {
        const fields = (await c.call('SENTINEL', 'MASTER', name)) as string[];
        return fields[fields.indexOf('num-other-sentinels') + 1] === '2';
      },
      'sentinels know each other',
      15_000,
    );
    c.disconnect();
  }
  return {
    name,
    servers,
    sentinels,
    topology: { kind: 'sentinel', name, sentinels: sentinels.map((s): HostPort => ({ host: '127.0.0.1', port: s.port })) },
    async primary() {
      const c = sentinels.find((s) => s.running)!.client();
      try {
        const [, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
        return servers.find((s) => s.port === Number(port))!;
      } finally {
        c.disconnect();
      }
    },
    async stop() {
      for (const p of [...sentinels, ...servers]) await p.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Every node agrees the cluster is whole, and every primary's replica is in sync (a failover must
 * not promote an empty replica, and WAIT must have a replica to count) before a test relies on it.
 */
export async function clusterWhole(nodes: readonly RedisProcess[], replicasEach = 1): Promise<void> {
  const running = nodes.filter((n) => n.running);
  for (const n of running) {
    const c = n.client();
    try {
      await until(async () => /cluster_state:ok/u.test((await c.call('CLUSTER', 'INFO')) as string), 'cluster ok', 15_000);
    } finally {
      c.disconnect();
    }
  }
  for (const n of running) {
    const c = n.client();
    const role = await c.call('ROLE').finally(() => c.disconnect());
    if ((role as [string])[0] === 'master') await inSync(n, replicasEach);
  }
}

/** A Redis Cluster: three primaries, each with `replicasEach` replicas, on local ports. */
export interface TestCluster {
  readonly nodes: RedisProcess[];
  /** resolves once the cluster is whole again, every replica in sync (after a node restarts) */
  whole(): Promise<void>;
  readonly topology: RedisTopology;
  /** the node serving `slot` as primary now */
  primaryOf(slot: number): Promise<RedisProcess>;
  stop(): Promise<void>;
}

export async function startCluster(replicasEach = 1): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-cluster-'));
  const nodes: RedisProcess[] = [];
  for (let i = 0; i < 3 * (1 + replicasEach); i++) {
    const port = await freePort();
    nodes.push(
      await new RedisProcess(
        'redis-server',
        port,
        [
          '--port',
          String(port),
          ...SERVER_ARGS,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '1000',
        ],
        join(dir, String(port)),
      ).start(),
    );
  }
  const create = spawnSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasEach), '--cluster-yes'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  await clusterWhole(nodes, replicasEach);
  return {
    nodes,
    whole: () => clusterWhole(nodes, replicasEach),
    topology: { kind: 'cluster', nodes: nodes.slice(0, 3).map((n): HostPort => ({ host: '127.0.0.1', port: n.port })) },
    async primaryOf(slot) {
      for (const n of nodes.filter((x) => x.running)) {
        const c = n.client();
        try {
          const slots = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number | string, string]][];
          const range = slots.find(([from, to]) => slot >= from && slot <= to);
          if (range) return nodes.find((x) => x.port === Number(range[2][1]))!;
        } catch {
          // this node is not answering: ask another
        } finally {
          c.disconnect();
        }
      }
      throw new Error(`no node serves slot ${slot}`);
    },
    async stop() {
      for (const n of nodes) await n.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
