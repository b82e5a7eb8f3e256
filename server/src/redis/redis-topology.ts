import { z } from 'zod';

/** `host:port`, as operators write it in REDIS_SENTINELS and REDIS_CLUSTER_NODES. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where the feed's Redis is and how it fails over:
 * - `standalone`: one server (REDIS_URL); a restart is an outage.
 * - `sentinel`: a primary with replicas watched by Sentinels; every connection asks the
 *   Sentinels for the current primary and follows a failover by itself.
 * - `cluster`: Redis Cluster. The whole feed lives on ONE hash slot (every key carries the same
 *   hash tag), so the append stays one atomic script; this buys failover and compatibility with
 *   managed cluster-mode services, not write scale-out.
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; password?: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string };

/** Whether the API answers 202 and the feed serves an event only once a replica has it. */
export const DURABILITY = ['primary', 'replica'] as const;
export type Durability = (typeof DURABILITY)[number];

const hostPort = z
  .string()
  .trim()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/u, { error: 'must be host:port' })
  .transform((s): HostPort => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i).replace(/^\[|\]$/gu, ''), port: Number(s.slice(i + 1)) };
  })
  .refine((hp) => hp.port > 0 && hp.port < 65536, { error: 'port must be 1-65535' });

export const hostPortList = z
  .string()
  .transform((s) => s.split(',').filter((part) => part.trim() !== ''))
  .pipe(z.array(hostPort).min(1, { error: 'needs at least one host:port' }));

/** The env variables that describe the topology, already validated one by one. */
export interface TopologyEnv {
  REDIS_URL?: string | undefined;
  REDIS_SENTINELS?: HostPort[] | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
  REDIS_CLUSTER_NODES?: HostPort[] | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/**
 * The topology the environment asks for, or null when it names none (the caller then looks for
 * a Redis at the default address). Returns the problems instead when the variables contradict
 * each other, so the start-up error names each one.
 */
export function topologyOf(env: TopologyEnv): { topology: RedisTopology | null; problems: string[] } {
  const problems: string[] = [];
  const given = [
    env.REDIS_URL !== undefined && 'REDIS_URL',
    env.REDIS_SENTINELS !== undefined && 'REDIS_SENTINELS',
    env.REDIS_CLUSTER_NODES !== undefined && 'REDIS_CLUSTER_NODES',
  ].filter((v): v is string => v !== false);
  if (given.length > 1) problems.push(`${given.join(', ')}: set only one of them (one topology)`);
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_SENTINEL_NAME === undefined) {
    problems.push("REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored primary's name)");
  }
  if (env.REDIS_SENTINEL_NAME !== undefined && env.REDIS_SENTINELS === undefined) {
    problems.push('REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS');
  }
  if (problems.length > 0) return { topology: null, problems };
  const password = env.REDIS_PASSWORD === undefined ? {} : { password: env.REDIS_PASSWORD };
  if (env.REDIS_SENTINELS !== undefined) {
    return {
      topology: {
        kind: 'sentinel',
        sentinels: env.REDIS_SENTINELS,
        name: env.REDIS_SENTINEL_NAME!,
        ...password,
        ...(env.REDIS_SENTINEL_PASSWORD === undefined ? {} : { sentinelPassword: env.REDIS_SENTINEL_PASSWORD }),
      },
      problems,
    };
  }
  if (env.REDIS_CLUSTER_NODES !== undefined)
    return { topology: { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...password }, problems };
  if (env.REDIS_URL !== undefined) return { topology: { kind: 'standalone', url: env.REDIS_URL }, problems };
  return { topology: null, problems };
}

/** For logs and the start banner: where Redis is, without secrets. */
export function describeTopology(t: RedisTopology): string {
  const list = (hs: HostPort[]) => hs.map((h) => `${h.host}:${h.port}`).join(',');
  if (t.kind === 'sentinel') return `sentinel ${t.name} via ${list(t.sentinels)}`;
  if (t.kind === 'cluster') return `cluster via ${list(t.nodes)}`;
  return t.url.replace(/\/\/[^@/]*@/u, '//***@');
}

/**
 * The key prefix as stored. In a cluster every key must hash to one slot, so the prefix becomes
 * a hash tag (`{ticker}`): BullMQ's documentation prescribes the same for its queue prefix.
 * Elsewhere the prefix stays as it was, so existing data keeps its names.
 */
export function storedPrefix(prefix: string, topology: RedisTopology): string {
  if (topology.kind !== 'cluster' || /^\{[^{}]+\}$/u.test(prefix)) return prefix;
  return `{${prefix}}`;
}
