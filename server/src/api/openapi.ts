// The REST API as an OpenAPI 3.1 document, generated from the same zod schemas the routes
// validate with (zod 4's JSON Schema output, which is OpenAPI 3.1's schema dialect), so the
// document cannot drift from what the server accepts. Served at GET /api/openapi.json; rendered
// into docs/api.md by server/scripts/api-docs.ts. The routes are the table in openapi-routes.ts;
// the component schemas are in openapi-schemas.ts.
import { readFileSync } from 'node:fs';
import { Router } from 'express';
import type { z } from 'zod';
import { ERROR_CODES, ERROR_HTTP_STATUS, PROTOCOL_VERSION, type ErrorCode } from '@headline-ticker/sdk/protocol';
import { ROUTES, type RouteDoc } from './openapi-routes.js';
import { componentSchemas, ref, schemaOf, type JsonSchema } from './openapi-schemas.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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
      schemas: componentSchemas(),
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
