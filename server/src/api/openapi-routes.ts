// The table of every route the product serves, with what each takes and answers: the OpenAPI
// document (openapi.ts) is built from it, and test/consumers/openapi.test.ts fails when the app
// has a route this table lacks.
import type { z } from 'zod';
import { HistoryQuerySchema } from '@headline-ticker/sdk/schemas';
import type { ErrorCode } from '@headline-ticker/sdk/protocol';
import { USAGE_DEFAULTS } from '../usage/usage-config.js';
import { usageQuerySchema } from '../usage/usage-query.js';
import { AuditQuerySchema } from './audit-routes.js';
import { StreamQuerySchema } from './stream-query.js';

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
