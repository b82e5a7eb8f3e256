// The wire contract as zod schemas. Every type at the edge is inferred from here, so the
// server, the SDK and the widget never declare a shape twice. Importing this module pulls in
// zod; code that only needs the types imports them from `./protocol.js` instead.
import { z } from 'zod';
import { TEXT_MAX, charCount, toPlainLine } from './plain-text.js';
import { HISTORY_LIMIT_MAX, LIST_MAX, SUBSCRIBE_LIMIT_MAX, SYMBOL_PATTERN, TOPIC_PATTERN } from './protocol.js';

export { TEXT_MAX, charCount, toPlainLine };
export { HISTORY_LIMIT_MAX, LIST_MAX, SUBSCRIBE_LIMIT_MAX, SYMBOL_PATTERN, TOPIC_PATTERN };

export const SUMMARY_MAX = 2000;
export const URL_MAX = 2048;

export const URGENCIES = ['flash', 'bulletin', 'urgent', 'routine'] as const;
export const STATUSES = ['published', 'corrected', 'withdrawn'] as const;

/**
 * Bidi controls: embeddings, overrides and isolates (U+202A–202E, U+2066–2069), and the marks
 * LRM, RLM and ALM (U+200E, U+200F, U+061C). They reorder the text around them.
 */
export const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/**
 * A character a reader can see: not whitespace, not a format character (zero-width, joiners,
 * tags, soft hyphen, BOM), not a control, not a lone combining mark, not a blank filler.
 */
const VISIBLE = /[^\s\p{Cf}\p{Cc}\p{Z}\p{M}\u115f\u1160\u3164\uffa0\u2800]/u;
// In a `u` regex a paired surrogate is one code point, so only a lone half matches this.
const LONE_SURROGATE = /[\ud800-\udfff]/u;
export const hasVisibleChar = (s: string): boolean => VISIBLE.test(s);

const plainText = (max: number, what: string) =>
  z
    .string({ error: `${what} must be a string` })
    // A lone surrogate is not text: it breaks UTF-8 encoders downstream (Redis, JSON, browsers).
    .refine((s) => !LONE_SURROGATE.test(s), { error: `${what} must be valid Unicode (no lone surrogates)`, abort: true })
    .transform((s) => toPlainLine(s.replace(BIDI_CONTROLS, '')))
    .refine((s) => s.length > 0, { error: `${what} must not be empty or only whitespace` })
    .refine(hasVisibleChar, { error: `${what} must have at least one visible character` })
    .refine((s) => charCount(s) <= max, { error: `${what} must be at most ${max} characters` });

export const TextSchema = plainText(TEXT_MAX, 'text');
export const SummarySchema = plainText(SUMMARY_MAX, 'summary');

export const HttpUrlSchema = z
  .string()
  .trim()
  .max(URL_MAX)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { error: 'url must be an absolute http(s) URL' },
  );

export const TopicSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(64)
  .regex(TOPIC_PATTERN, { error: 'topic must be a lowercase slug like "energy" or "central-banks"' });

export const SymbolSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(SYMBOL_PATTERN, { error: 'symbol must be a ticker like "GAZP", "BRK.B" or "LSE:VOD"' });

const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z
    .array(item)
    .max(LIST_MAX, { error: `at most ${LIST_MAX} ${what}` })
    .transform((xs) => [...new Set(xs)]);

export const TopicsSchema = uniqueList(TopicSchema, 'topics');
export const SymbolsSchema = uniqueList(SymbolSchema, 'symbols');

export const UrgencySchema = z.enum(URGENCIES, {
  error: `urgency must be one of ${URGENCIES.join(', ')}`,
});
export const StatusSchema = z.enum(STATUSES);

export const LANG_MAX = 35;
export const LangSchema = z
  .string()
  .trim()
  .max(LANG_MAX, { error: `lang must be at most ${LANG_MAX} characters` })
  .regex(/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/u, { error: 'lang must be a BCP 47 tag like "en" or "pt-BR"' });

export const SourceSchema = z
  .string()
  .transform(toPlainLine)
  .refine((s) => s.length > 0 && charCount(s) <= 64, { error: 'source must be 1..64 characters' });

export const IsoTimeSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, like 2026-01-31T09:30:00Z' });

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/u, { error: 'idempotencyKey must be 1..128 printable ASCII characters' });

/** The body of `POST /api/headlines`. */
export const HeadlineInputSchema = z.strictObject({
  text: TextSchema,
  summary: SummarySchema.optional(),
  url: HttpUrlSchema.optional(),
  topics: TopicsSchema.default([]),
  symbols: SymbolsSchema.default([]),
  urgency: UrgencySchema.default('routine'),
  lang: LangSchema.default('en'),
  source: SourceSchema.default('desk'),
  embargoUntil: IsoTimeSchema.optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export type HeadlineInput = z.input<typeof HeadlineInputSchema>;
export type HeadlineDraft = z.output<typeof HeadlineInputSchema>;

/** The body of `PATCH /api/headlines/:id`: the fields to change; at least one. */
export const CorrectionInputSchema = z
  .strictObject({
    text: TextSchema.optional(),
    summary: SummarySchema.optional(),
    url: HttpUrlSchema.optional(),
    topics: TopicsSchema.optional(),
    symbols: SymbolsSchema.optional(),
    urgency: UrgencySchema.optional(),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .refine((c) => Object.keys(c).some((k) => k !== 'idempotencyKey'), {
    error: 'a correction must change at least one field',
  });
export type CorrectionInput = z.input<typeof CorrectionInputSchema>;
export type CorrectionDraft = z.output<typeof CorrectionInputSchema>;

/** A headline event as it travels on the wire (socket, history, pub/sub, the log). */
export const HeadlineSchema = z.object({
  id: z.string().min(1),
  seq: z.number().int().positive(),
  version: z.number().int().positive(),
  status: StatusSchema,
  text: z.string().min(1),
  summary: z.string().optional(),
  url: z.string().optional(),
  topics: z.array(z.string()),
  symbols: z.array(z.string()),
  urgency: UrgencySchema,
  lang: z.string(),
  source: z.string(),
  publishedAt: z.string(),
  updatedAt: z.string(),
});
export type Headline = z.infer<typeof HeadlineSchema>;
export type Urgency = z.infer<typeof UrgencySchema>;
export type Status = z.infer<typeof StatusSchema>;

/** `"*"` in topics means every topic the key is entitled to. */
const FilterTopicSchema = z.union([z.literal('*'), TopicSchema]);

export const FilterSchema = z.strictObject({
  topics: uniqueList(FilterTopicSchema, 'topics').optional(),
  symbols: SymbolsSchema.optional(),
});
export type Filter = z.output<typeof FilterSchema>;

export const SubscribeRequestSchema = z.strictObject({
  topics: uniqueList(FilterTopicSchema, 'topics').optional(),
  symbols: SymbolsSchema.optional(),
  since: z.number().int().nonnegative().optional(),
  /** the feed epoch `since` belongs to, from an earlier ack: another epoch means a reset */
  epoch: z.string().min(1).max(64).optional(),
  /**
   * The last headline event this client received (`seq` at most `since`): the server compares
   * it with the log, and a log that now holds another headline at that seq (its numbers were
   * reused, e.g. Redis restarted without its last writes together with every gateway) answers
   * with a fresh snapshot, `reset` and `feedRestarted`.
   */
  lastSeen: z.strictObject({ seq: z.number().int().positive(), id: z.string().min(1).max(64) }).optional(),
  limit: z.number().int().min(0).max(SUBSCRIBE_LIMIT_MAX).optional(),
});
export type SubscribeRequest = z.input<typeof SubscribeRequestSchema>;
export type SubscribeParams = z.output<typeof SubscribeRequestSchema>;

export const UnsubscribeRequestSchema = FilterSchema;
export type UnsubscribeRequest = z.input<typeof UnsubscribeRequestSchema>;

/** Query of `GET /api/headlines`: comma-separated lists, as a URL carries them. */
const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0),
    )
    .pipe(z.array(item).max(LIST_MAX));

export const HistoryQuerySchema = z.object({
  topics: csv(FilterTopicSchema).optional(),
  symbols: csv(SymbolSchema).optional(),
  since: z.coerce.number().int().nonnegative().optional(),
  epoch: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT_MAX).optional(),
  key: z.string().optional(),
});
export type HistoryQuery = z.output<typeof HistoryQuerySchema>;
