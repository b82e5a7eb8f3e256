// The document's component schemas, from the same zod schemas the routes validate with (zod 4's
// JSON Schema output, which is OpenAPI 3.1's schema dialect); answers the server builds without a
// zod schema get one here, from the wire types.
import { z } from 'zod';
import { CorrectionInputSchema, HeadlineInputSchema, HeadlineSchema, UrgencySchema } from '@headline-ticker/sdk/schemas';
import { ERROR_CODES } from '@headline-ticker/sdk/protocol';
import { AUDIT_ACTIONS } from '../log/audit-log.js';

export type JsonSchema = Record<string, unknown>;

/** JSON Schema of a zod schema: `input` for what a client sends, `output` for what it gets. */
export function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  return rest;
}

export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const IngestAcceptedSchema = z.object({ id: z.string(), status: z.enum(['queued', 'scheduled']) });
const WithdrawResultSchema = z.object({ id: z.string(), status: z.enum(['queued', 'cancelled']) });
const HistoryResponseSchema = z.object({
  headlines: z.array(HeadlineSchema),
  seq: z.number().int().nonnegative(),
  reset: z.literal(true).optional().describe('`since` was older than the retained log: a fresh snapshot instead of a replay'),
});
const ScheduledResponseSchema = z.object({
  scheduled: z.array(
    z.object({
      id: z.string(),
      text: z.string(),
      topics: z.array(z.string()),
      symbols: z.array(z.string()),
      urgency: UrgencySchema,
      embargoUntil: z.string(),
      editor: z.string(),
    }),
  ),
});
const AuditResponseSchema = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      action: z.enum(AUDIT_ACTIONS),
      editor: z.string(),
      at: z.string(),
      seq: z.number().int().positive().optional(),
      version: z.number().int().positive().optional(),
    }),
  ),
});
const WidgetRelease = z.object({
  version: z.string(),
  path: z.string(),
  integrity: z.string().describe('sha384-…, for <script integrity=…>'),
});
const ErrorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional().describe('for bad_request: the zod issues; for rate_limited: retryAfterSeconds'),
  }),
});

/** components/schemas: every schema a route's body or answer names. */
export function componentSchemas(): Record<string, JsonSchema> {
  return {
    Headline: schemaOf(HeadlineSchema, 'output'),
    HeadlineInput: schemaOf(HeadlineInputSchema, 'input'),
    CorrectionInput: schemaOf(CorrectionInputSchema, 'input'),
    IngestAccepted: schemaOf(IngestAcceptedSchema, 'output'),
    WithdrawResult: schemaOf(WithdrawResultSchema, 'output'),
    HistoryResponse: schemaOf(HistoryResponseSchema, 'output'),
    ScheduledResponse: schemaOf(ScheduledResponseSchema, 'output'),
    AuditResponse: schemaOf(AuditResponseSchema, 'output'),
    EditorMe: schemaOf(z.object({ name: z.string() }), 'output'),
    Health: schemaOf(z.object({ ok: z.literal(true) }), 'output'),
    Ready: schemaOf(z.object({ ok: z.boolean(), redis: z.string() }), 'output'),
    WidgetManifest: schemaOf(
      z.object({
        ...WidgetRelease.shape,
        releases: z.array(WidgetRelease).describe('every release this server serves, oldest first, the current one last'),
      }),
      'output',
    ),
    Error: schemaOf(ErrorSchema, 'output'),
  };
}
