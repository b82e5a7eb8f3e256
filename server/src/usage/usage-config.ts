import { z } from 'zod';

/** The `usage` section of the config file: how long roll-ups live and how much is kept. */
export const UsageConfigSchema = z.strictObject({
  /** days of hour and day roll-ups (and refused origins) kept in Redis */
  retentionDays: z.number().int().min(1).max(400).default(35),
  /** refused origins kept per key per day: the most frequent ones */
  refusedTopN: z.number().int().min(1).max(10_000).default(100),
  /** how often each gateway writes its in-memory counts to Redis */
  flushSeconds: z.number().min(0.05).max(60).default(5),
});

export type UsageConfig = z.infer<typeof UsageConfigSchema>;

export const USAGE_DEFAULTS: UsageConfig = UsageConfigSchema.parse({});
