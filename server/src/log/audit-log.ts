import type { RedisClient } from '../redis/connection.js';
import { z } from 'zod';
import { AUDIT_MAX_LEN } from './feed-log.js';
import type { FeedKeys } from './feed-keys.js';

import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from '@headline-ticker/sdk/protocol';

// The audit's wire shape is part of the protocol; re-exported for the server's own imports.
export { AUDIT_ACTIONS, type AuditAction, type AuditEntry };

// Stream entries are written by the append script and by `record`; read back, they are checked
// again, so a foreign or damaged entry is skipped rather than served.
const StoredEntrySchema = z.object({
  id: z.string().min(1),
  action: z.enum(AUDIT_ACTIONS),
  editor: z.string().min(1),
  at: z.coerce.number().int().nonnegative(),
  seq: z.coerce.number().int().positive().optional(),
  version: z.coerce.number().int().positive().optional(),
  reason: z.string().max(500).optional(),
});

type Entry = [id: string, fields: string[]];

function entryOf([, fields]: Entry): AuditEntry | null {
  const raw: Record<string, string> = {};
  for (let j = 0; j + 1 < fields.length; j += 2) raw[fields[j]!] = fields[j + 1]!;
  const parsed = StoredEntrySchema.safeParse(raw);
  if (!parsed.success) return null;
  const { at, seq, version, reason, ...rest } = parsed.data;
  return {
    ...rest,
    at: new Date(at).toISOString(),
    ...(seq === undefined ? {} : { seq }),
    ...(version === undefined ? {} : { version }),
    ...(reason === undefined ? {} : { reason }),
  };
}

/** How far back a filtered read looks before it gives up (the stream is capped anyway). */
const MAX_SCAN = 20_000;
const BATCH = 500;
/** Allowance for the API node's clock running ahead of Redis's (stream ids are Redis time). */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * The oldest stream id that can hold an entry about headline `id`. Desk ids begin with their
 * creation time (headline-id.ts: 9 base-36 digits of ms), and nothing is audited about a
 * headline before it was created, so a filtered read stops there instead of scanning on.
 */
function floorOf(id: string): string {
  const ms = Number.parseInt(id.slice(0, 9), 36);
  const plausible = /^[0-9a-z]{9}/u.test(id) && ms > Date.UTC(2020, 0, 1) && ms < Date.now() + CLOCK_SKEW_MS;
  return plausible ? `${Math.max(0, ms - CLOCK_SKEW_MS)}-0` : '-';
}

/**
 * Who published, corrected, withdrew or cancelled what, and when. Publish, correct and withdraw
 * are written by the feed log's append script in the same atomic step as the event; a
 * cancellation never reaches the log, so the ingest queue records it here.
 */
export class AuditLog {
  readonly #redis: RedisClient;
  readonly #key: string;

  constructor(redis: RedisClient, keys: FeedKeys) {
    this.#redis = redis;
    this.#key = keys.audit;
  }

  async record(entry: { id: string; action: AuditAction; editor: string; reason?: string }): Promise<void> {
    await this.#redis.xadd(
      this.#key,
      'MAXLEN',
      '~',
      String(AUDIT_MAX_LEN),
      '*',
      'id',
      entry.id,
      'action',
      entry.action,
      'editor',
      entry.editor,
      'at',
      String(Date.now()),
      ...(entry.reason === undefined ? [] : ['reason', entry.reason.slice(0, 500)]),
    );
  }

  /** Newest first, at most `limit`, only those about headline `id` / of `action` when given. */
  async list({ id, limit, action }: { id?: string | undefined; limit: number; action?: AuditAction | undefined }): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    let end = '+';
    const floor = id === undefined ? '-' : floorOf(id);
    let scanned = 0;
    while (out.length < limit && scanned < MAX_SCAN) {
      const filtered = id !== undefined || action !== undefined;
      const count = filtered ? BATCH : limit - out.length;
      const entries = (await this.#redis.xrevrange(this.#key, end, floor, 'COUNT', count)) as Entry[];
      if (entries.length === 0) break;
      for (const e of entries) {
        scanned++;
        const entry = entryOf(e);
        if (entry !== null && (id === undefined || entry.id === id) && (action === undefined || entry.action === action)) {
          out.push(entry);
          if (out.length >= limit) break;
        }
      }
      end = `(${entries[entries.length - 1]![0]}`;
    }
    return out;
  }
}
