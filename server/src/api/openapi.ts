// The REST API as an OpenAPI 3.1 document, generated from the same zod schemas the routes
// validate with (zod 4's JSON Schema output, which is OpenAPI 3.1's schema dialect), so the
// document cannot drift from what the server accepts. Served at GET /api/openapi.json; rendered
// into docs/api.md by server/scripts/api-docs.ts. test/consumers/openapi.test.ts fails when the
// app has a route this table lacks.
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { z } from 'zod';
import { USAGE_DEFAULTS } from '../usage/usage-config.js';
import { usageQuerySchema } from '../usage/usage-query.js';
import {
  CorrectionInputSchema,
  HeadlineInputSchema,
  HeadlineSchema,
  HistoryQuerySchema,
  UrgencySchema,
} from '@headline-ticker/sdk/schemas';
import { ERROR_CODES, ERROR_HTTP_STATUS, PROTOCOL_VERSION, type ErrorCode } from '@headline-ticker/sdk/protocol';
import { AUDIT_ACTIONS } from '../log/audit-log.js';
import { AuditQuerySchema } from './audit-routes.js';
import { StreamQuerySchema } from './stream-query.js';

type JsonSchema = Record<string, unknown>;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** JSON Schema of a zod schema: `input` for what a client sends, `output` for what it gets. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' });
  return rest;
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

// Answers that have no zod schema on the server (it builds them) get one here, from the wire types.
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

type Auth = 'none' | 'key' | 'editor';
interface Answer {
  description: string;
  /** a components/schemas name (JSON), or a media type with no schema */
  json?: string;
  media?: string;
}
export interface RouteDoc {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** the Express path (`:id`); the document writes it as `{id}` */
  path: string;
  summary: string;
  description?: string;
  auth: Auth;
  query?: z.ZodType;
  body?: string;
  ok: Record<number, Answer>;
  /** request headers the route reads, besides Authorization */
  headers?: Record<string, string>;
  /** error codes besides those the auth, query and body imply */
  errors?: ErrorCode[];
  tag: string;
}

/** Every route the product serves. */
export const ROUTES: RouteDoc[] = [
  {
    method: 'post',
    path: '/api/headlines',
    tag: 'headlines',
    auth: 'editor',
    body: 'HeadlineInput',
    summary: 'Publish a headline (editors)',
    description: 'Queued for the ingest worker; with `embargoUntil`, scheduled for then. The same `idempotencyKey` never publishes twice.',
    ok: { 202: { description: 'accepted', json: 'IngestAccepted' } },
    errors: ['unavailable', 'outcome_unknown'],
  },
  {
    method: 'get',
    path: '/api/headlines/scheduled',
    tag: 'headlines',
    auth: 'editor',
    summary: 'Headlines waiting for their embargo, soonest first (editors)',
    ok: { 200: { description: 'the schedule', json: 'ScheduledResponse' } },
    errors: ['unavailable'],
  },
  {
    method: 'patch',
    path: '/api/headlines/:id',
    tag: 'headlines',
    auth: 'editor',
    body: 'CorrectionInput',
    summary: 'Correct a published headline (a new version, a new seq)',
    ok: { 202: { description: 'correction queued', json: 'IngestAccepted' } },
    errors: ['not_found', 'conflict', 'unavailable', 'outcome_unknown'],
  },
  {
    method: 'delete',
    path: '/api/headlines/:id',
    tag: 'headlines',
    auth: 'editor',
    summary: 'Withdraw a published headline, or cancel one still scheduled',
    ok: {
      200: { description: 'cancelled before publication', json: 'WithdrawResult' },
      202: { description: 'withdrawal queued', json: 'WithdrawResult' },
    },
    errors: ['not_found', 'conflict', 'unavailable', 'outcome_unknown'],
  },
  {
    method: 'get',
    path: '/api/headlines',
    tag: 'headlines',
    auth: 'key',
    query: HistoryQuerySchema,
    summary: 'History and backfill for an API key (paged: `more` says to continue from `seq`)',
    description:
      'The latest `limit` matching headlines, or with `since` every matching event after it, in seq order. A delayed key sees history up to its delay.',
    ok: { 200: { description: 'headlines in seq order', json: 'HistoryResponse' } },
    errors: ['unavailable'],
  },
  {
    method: 'get',
    path: '/api/stream',
    tag: 'stream',
    auth: 'key',
    query: StreamQuerySchema,
    summary: 'The live tape as Server-Sent Events',
    description:
      'Events `headline` (data: a Headline, id: its seq) and `reset`; comment lines as heartbeats. Resume with the `Last-Event-ID` header (or `?since=`). Same entitlements, delay and limits as the socket. See docs/protocol.md.',
    headers: { 'Last-Event-ID': 'the seq of the last event received: the stream resumes after it (EventSource sends it on reconnect)' },
    ok: { 200: { description: 'an endless text/event-stream', media: 'text/event-stream' } },
    errors: ['too_many_connections', 'unavailable'],
  },
  {
    method: 'get',
    path: '/api/audit',
    tag: 'editors',
    auth: 'editor',
    query: AuditQuerySchema,
    summary: 'Who did what, newest first (editors)',
    ok: { 200: { description: 'audit entries', json: 'AuditResponse' } },
    errors: ['unavailable'],
  },
  {
    method: 'get',
    path: '/api/usage',
    tag: 'editors',
    auth: 'editor',
    query: usageQuerySchema(USAGE_DEFAULTS.retentionDays),
    summary: 'Licence usage and refused use per key (editors with `admin: true`)',
    description:
      'Roll-ups per UTC day: viewers now and peak, connects, deliveries, last seen; refused origins with counts. See docs/access.md.',
    ok: { 200: { description: 'the usage report', media: 'application/json' } },
    errors: ['forbidden', 'unavailable'],
  },
  {
    method: 'get',
    path: '/api/editor/me',
    tag: 'editors',
    auth: 'editor',
    summary: 'The editor a token belongs to',
    ok: { 200: { description: 'the editor', json: 'EditorMe' } },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'meta',
    auth: 'none',
    summary: 'This document',
    ok: { 200: { description: 'OpenAPI 3.1', media: 'application/json' } },
  },
  {
    method: 'get',
    path: '/widget.js',
    tag: 'widget',
    auth: 'none',
    summary: 'The embed script, current release (short cache, ETag)',
    ok: { 200: { description: 'JavaScript', media: 'text/javascript' }, 304: { description: 'not modified (If-None-Match)' } },
    errors: ['unavailable'],
  },
  {
    method: 'get',
    path: '/widget/:version/widget.js',
    tag: 'widget',
    auth: 'none',
    summary: "One release's embed script, immutable (cached a year): pin it with integrity=",
    ok: {
      200: {
        description:
          "JavaScript; its SRI hash is the release's entry in /widget/manifest.json (every earlier release is kept: widgets/releases/)",
        media: 'text/javascript',
      },
    },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/widget/manifest.json',
    tag: 'widget',
    auth: 'none',
    summary: 'The embed script releases: the current one (version, immutable path, Subresource Integrity hash) and every one served',
    ok: { 200: { description: 'the manifest', json: 'WidgetManifest' } },
    errors: ['unavailable'],
  },
  {
    method: 'get',
    path: '/editor',
    tag: 'editors',
    auth: 'none',
    summary: 'The editor console page',
    ok: { 200: { description: 'HTML', media: 'text/html' } },
    errors: ['unavailable'],
  },
  {
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    auth: 'none',
    summary: 'Liveness: the process answers',
    ok: { 200: { description: '{ ok: true }', json: 'Health' } },
  },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    auth: 'none',
    summary: 'Readiness: Redis answers',
    ok: { 200: { description: 'ready', json: 'Ready' }, 503: { description: 'Redis unreachable', json: 'Ready' } },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    auth: 'none',
    summary: 'Prometheus metrics (see docs/operations.md)',
    ok: { 200: { description: 'Prometheus text format', media: 'text/plain' } },
  },
];

/** The error codes a route can answer with: those it declares plus those its inputs imply. */
export function errorCodesOf(r: RouteDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>(r.errors ?? []);
  if (r.auth !== 'none') codes.add('unauthorized').add('rate_limited');
  if (r.query !== undefined || r.body !== undefined) codes.add('bad_request');
  if (r.body !== undefined) codes.add('payload_too_large').add('bad_request');
  codes.add('internal');
  return ERROR_CODES.filter((c) => codes.has(c));
}

const openApiPath = (path: string) => path.replace(/:(\w+)/gu, '{$1}');

function queryParameters(schema: z.ZodType): JsonSchema[] {
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: s,
    ...(name === 'topics' || name === 'symbols' ? { description: 'comma-separated list' } : {}),
    ...(name === 'key' ? { description: 'the API key, when an Authorization header cannot be sent' } : {}),
  }));
}

function operation(r: RouteDoc): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, a] of Object.entries(r.ok)) {
    const content =
      a.json !== undefined ? { 'application/json': { schema: ref(a.json) } } : a.media !== undefined ? { [a.media]: {} } : undefined;
    responses[status] = { description: a.description, ...(content ? { content } : {}) };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(r)) byStatus.set(ERROR_HTTP_STATUS[code], [...(byStatus.get(ERROR_HTTP_STATUS[code]) ?? []), code]);
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `error: ${codes.join(', ')}`,
      content: {
        'application/json': {
          schema: { allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: codes } } } } }] },
        },
      },
      ...(codes.includes('rate_limited') || codes.includes('unavailable')
        ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } }
        : {}),
    };
  }
  return {
    operationId: `${r.method}${openApiPath(r.path)
      .replace(/[{}]/gu, '')
      .split(/[/.]/u)
      .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : ''))
      .join('')}`,
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    tags: [r.tag],
    security: r.auth === 'key' ? [{ apiKey: [] }, { apiKeyQuery: [] }] : r.auth === 'editor' ? [{ editorToken: [] }] : [],
    parameters: [
      ...[...r.path.matchAll(/:(\w+)/gu)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
        description: name === 'version' ? 'a release, like 0.2.0' : 'the headline id',
      })),
      ...(r.query ? queryParameters(r.query) : []),
      ...Object.entries(r.headers ?? {}).map(([name, description]) => ({
        name,
        in: 'header',
        required: false,
        schema: { type: 'string' },
        description,
      })),
    ],
    ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(r.body) } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every route in ROUTES. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of ROUTES) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Headline Ticker',
      version: VERSION,
      description: `REST and Server-Sent Events API of Headline Ticker (wire protocol v${PROTOCOL_VERSION}). The live socket (Socket.IO) is described in docs/protocol.md.`,
    },
    servers: [{ url: '/' }],
    tags: ['headlines', 'stream', 'editors', 'widget', 'operations', 'meta'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'an API key (sdk_…, demo_…): history and the stream' },
        apiKeyQuery: { type: 'apiKey', in: 'query', name: 'key', description: 'the same key as `?key=` (for EventSource and curl)' },
        editorToken: { type: 'http', scheme: 'bearer', description: 'an editor token (ed_…): writes, schedule, audit' },
      },
      schemas: {
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
      },
    },
  };
}

/** `GET /api/openapi.json`: built once, cacheable, readable from any origin. */
export function openApiRoute(): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument());
  router.get('/api/openapi.json', (_req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' });
    res.type('application/json').send(body);
  });
  return router;
}
