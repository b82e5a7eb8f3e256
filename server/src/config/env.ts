import { z } from 'zod';

export const ROLES = ['all', 'gateway', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z
    .string()
    .regex(/^(rediss?|unix):\/\/|^\//u, { message: 'must be redis://host:port, rediss://…, or a unix socket path' })
    .optional(),
  TICKER_ROLE: z.enum(ROLES).default('all'),
  TICKER_CONFIG: z.string().min(1).optional(),
  NODE_ENV: z.string().optional(),
  /** fault injection for the test suite; refused under NODE_ENV=production */
  TICKER_FAULT_KILL_AFTER_SEQ: z.coerce.number().int().positive().optional(),
  TICKER_FAULT_CRASH_AFTER_IDEMPOTENCY: z.enum(['0', '1']).optional(),
  /** how long a queued change may be retried after its due time, in seconds (default 300) */
  TICKER_RETRY_HORIZON_SECONDS: z.coerce.number().int().positive().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof EnvSchema> & { production: boolean };

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
  return { ...parsed.data, production };
}

/** A configuration problem: the process prints the message and exits non-zero. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
