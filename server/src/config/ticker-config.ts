import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TopicSchema, SymbolSchema } from '@headline-ticker/sdk/schemas';
import { ConfigError } from './env.js';
import { USAGE_DEFAULTS, UsageConfigSchema } from '../usage/usage-config.js';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/u, { error: 'must be 64 lowercase hex characters (SHA-256)' });
const secret = z.string().min(8, { error: 'must be at least 8 characters' });

const EditorSchema = z
  .strictObject({
    name: z.string().min(1).max(64),
    token: secret.optional(),
    tokenSha256: sha256Hex.optional(),
    /** may read usage (GET /api/usage, the console's Licences view) */
    admin: z.boolean().optional(),
  })
  .refine((e) => (e.token === undefined) !== (e.tokenSha256 === undefined), {
    error: 'give exactly one of token or tokenSha256',
  });

const OriginSchema = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
    } catch {
      return false;
    }
  },
  { error: 'must be an origin like https://example.com (scheme, host, optional port; no path)' },
);

const KeySchema = z
  .strictObject({
    key: secret.optional(),
    keySha256: sha256Hex.optional(),
    name: z.string().min(1).max(128),
    topics: z
      .array(z.union([z.literal('*'), TopicSchema]))
      .min(1)
      .default(['*']),
    delaySeconds: z.number().int().min(0).max(86_400).default(0),
    origins: z.array(OriginSchema).min(1).optional(),
    maxConnections: z.number().int().positive().optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.keySha256 === undefined), {
    error: 'give exactly one of key or keySha256',
  });

const FeedSchema = z.strictObject({
  name: z.string().min(1).max(64),
  url: z.url({ protocol: /^https?$/u }),
  intervalSeconds: z.number().int().min(5).max(86_400).default(60),
  topics: z.array(TopicSchema).default([]),
  symbols: z.array(SymbolSchema).default([]),
  urgency: z.enum(['flash', 'bulletin', 'urgent', 'routine']).default('routine'),
  /** new items published per poll at most (newest first); the rest follow on the next polls */
  maxItemsPerPoll: z.number().int().min(1).max(10_000).optional(),
});

const RetentionSchema = z
  .strictObject({
    maxEvents: z.number().int().min(10).default(100_000),
    minAgeSeconds: z
      .number()
      .int()
      .min(0)
      .default(7 * 24 * 3600),
    /** the log never grows beyond this, whatever the events' age: the oldest go first */
    maxEventsHard: z.number().int().min(10).default(1_000_000),
  })
  .refine((r) => r.maxEventsHard >= r.maxEvents, { error: 'maxEventsHard must be at least maxEvents', path: ['maxEventsHard'] });

// Defaults admit a real audience behind one address (office or carrier NAT: 2,000 widgets and more).
const LimitsSchema = z.strictObject({
  authFailuresPerMinute: z.number().int().positive().default(20),
  historyPerMinute: z.number().int().positive().default(120),
  socketMessagesPer10s: z.number().int().positive().default(30),
  socketsPerAddress: z.number().int().positive().default(5000),
  /**
   * open transport (engine.io) sessions per address, connected or not yet; default
   * socketsPerAddress + 500 (room for handshakes in flight), so the socket cap bites first
   */
  sessionsPerAddress: z.number().int().positive().optional(),
  /** a transport session that has not completed its Socket.IO CONNECT by then is closed */
  connectTimeoutMs: z.number().int().min(1000).default(5000),
  subscribesPerAddressPer10s: z.number().int().positive().default(10_000),
  socketEventsPerAddressPer10s: z.number().int().positive().default(20_000),
  historyPerAddressPerMinute: z.number().int().positive().default(600),
  publishesPerEditorPerMinute: z.number().int().positive().default(600),
});

export const TickerConfigSchema = z.strictObject({
  editors: z.array(EditorSchema).default([]),
  keys: z.array(KeySchema).default([]),
  feeds: z.array(FeedSchema).default([]),
  retention: RetentionSchema.default({ maxEvents: 100_000, minAgeSeconds: 7 * 24 * 3600, maxEventsHard: 1_000_000 }),
  limits: LimitsSchema.prefault({}),
  usage: UsageConfigSchema.default(USAGE_DEFAULTS),
  /** proxies whose X-Forwarded-For is believed (proxy-addr names, addresses or CIDR); TRUSTED_PROXIES overrides */
  trustedProxies: z.array(z.string().min(1)).default(['loopback']),
});

export type TickerConfig = z.infer<typeof TickerConfigSchema>;
export type KeyConfig = TickerConfig['keys'][number];
export type EditorConfig = TickerConfig['editors'][number];
export type FeedConfig = TickerConfig['feeds'][number];

export function parseTickerConfig(raw: unknown, origin: string): TickerConfig {
  const parsed = TickerConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid config ${origin}:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}

export function readTickerConfigFile(path: string): TickerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`TICKER_CONFIG: cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`TICKER_CONFIG: ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseTickerConfig(raw, `in ${path}`);
}

/** The development set used when TICKER_CONFIG is unset (refused under NODE_ENV=production). */
export function developmentConfig(port: number): TickerConfig {
  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  return parseTickerConfig(
    {
      editors: [{ name: 'dev-desk', token: 'ed_dev_desk_token' }],
      keys: [
        { key: 'sdk_dev_all_topics', name: 'Development SDK key', topics: ['*'] },
        { key: 'wgt_dev_demo_page', name: 'Development widget key', topics: ['*'], origins },
      ],
    },
    '(development set)',
  );
}
