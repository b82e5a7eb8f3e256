import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DURABILITY, hostPortList, topologyOf, type RedisTopology } from '../redis/redis-topology.js';

export const ROLES = ['all', 'gateway', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** `a, b,c` → ['a', 'b', 'c'] (blanks dropped). */
const commaList = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z
    .string()
    .regex(/^(rediss?|unix):\/\/|^\//u, { error: 'must be redis://host:port, rediss://…, or a unix socket path' })
    .optional(),
  /** Sentinel: the Sentinels to ask, and the name of the primary they watch */
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** Redis Cluster: some of its nodes (the rest are discovered) */
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  /** for Sentinel and Cluster topologies (a URL carries its own) */
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** `replica`: a 202 and every served event have reached a replica (see docs/operations.md) */
  REDIS_DURABILITY: z.enum(DURABILITY).default('primary'),
  TICKER_ROLE: z.enum(ROLES).default('all'),
  TICKER_CONFIG: z.string().min(1).optional(),
  /**
   * the start of every Redis key and channel this node uses (default `ticker`): feeds with
   * different prefixes share one Redis without seeing each other
   */
  TICKER_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,64}$|^\{[\w.-]{1,64}\}$/u, { error: 'must be 1–64 letters, digits, _ . or -, optionally in {braces}' })
    .optional(),
  NODE_ENV: z.string().optional(),
  /** fault injection for the test suite; refused under NODE_ENV=production */
  TICKER_FAULT_KILL_AFTER_SEQ: z.coerce.number().int().positive().optional(),
  /** the window a gateway's shutdown spreads its goodbyes over, ms (inside the 3-s shutdown step) */
  TICKER_SHUTDOWN_SPREAD_MS: z.coerce.number().int().min(0).max(2500).optional(),
  /** comma-separated proxies whose X-Forwarded-For is believed; overrides the config's trustedProxies */
  TRUSTED_PROXIES: commaList.optional(),
  /** serve /metrics on this port only (on the main port it then answers 404) */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** comma-separated addresses or CIDR ranges (besides loopback) allowed to read /metrics on the main port */
  METRICS_ALLOW: commaList.optional(),
  TICKER_FAULT_CRASH_AFTER_IDEMPOTENCY: z.enum(['0', '1']).optional(),
  /** how long a queued change may be retried after its due time, in seconds (default 300) */
  TICKER_RETRY_HORIZON_SECONDS: z.coerce.number().int().positive().optional(),
  /**
   * `auto` (one per core) or a count: gateway processes sharing PORT on this machine (roles `all`
   * and `gateway`); 1, the default, is one process as before.
   */
  TICKER_PROCESSES: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(256)], {
      error: 'must be auto or a whole number from 1 to 256',
    })
    .default(1),
  /** set by the primary of TICKER_PROCESSES > 1 for each child: which of its processes this is */
  TICKER_PROCESS_SLOT: z.coerce.number().int().min(0).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = Omit<z.infer<typeof EnvSchema>, 'TICKER_PROCESSES'> & {
  production: boolean;
  /** how many processes serve PORT (TICKER_PROCESSES, `auto` resolved to the cores there are) */
  processes: number;
  /** the Redis topology the environment names; null: look at the default address */
  redis: RedisTopology | null;
};

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Validates the environment; throws a ConfigError naming each bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n  ${lines.join('\n  ')}`);
  }
  const production = parsed.data.NODE_ENV === 'production';
  if (production && parsed.data.TICKER_FAULT_KILL_AFTER_SEQ !== undefined) {
    throw new ConfigError('invalid environment:\n  TICKER_FAULT_KILL_AFTER_SEQ: fault injection is for tests, not NODE_ENV=production');
  }
  const { topology, problems } = topologyOf(parsed.data);
  if (problems.length > 0) throw new ConfigError(`invalid environment:\n  ${problems.join('\n  ')}`);
  if (parsed.data.REDIS_DURABILITY === 'replica' && topology === null) {
    throw new ConfigError(
      'invalid environment:\n  REDIS_DURABILITY: replica needs a Redis with replicas (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)',
    );
  }
  const { TICKER_PROCESSES, ...rest } = parsed.data;
  const processes = TICKER_PROCESSES === 'auto' ? availableParallelism() : TICKER_PROCESSES;
  if (processes > 1 && rest.TICKER_ROLE === 'worker') {
    throw new ConfigError(
      'invalid environment:\n  TICKER_PROCESSES: only the all and gateway roles run one process per core (worker: leave it unset)',
    );
  }
  return { ...rest, production, redis: topology, processes };
}

/** A configuration problem: the process prints the message and exits non-zero. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
