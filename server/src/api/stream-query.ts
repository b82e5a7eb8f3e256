import { z } from 'zod';
import { HistoryQuerySchema, SUBSCRIBE_LIMIT_MAX } from '@headline-ticker/sdk/schemas';

/**
 * Query of `GET /api/stream`: the history filter (`topics`, `symbols` as comma lists, `key`),
 * `since` (a resume point when the `Last-Event-ID` header cannot be sent), `limit` (the size of
 * the first snapshot when not resuming) and `v`, the protocol version.
 */
export const StreamQuerySchema = z.strictObject({
  topics: HistoryQuerySchema.shape.topics,
  symbols: HistoryQuerySchema.shape.symbols,
  key: HistoryQuerySchema.shape.key,
  since: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(0).max(SUBSCRIBE_LIMIT_MAX).optional(),
  v: z
    .string()
    .regex(/^\d{1,3}$/u, { error: 'v must be a protocol version number' })
    .optional(),
});
export type StreamQuery = z.output<typeof StreamQuerySchema>;
