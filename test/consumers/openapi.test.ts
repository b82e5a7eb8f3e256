// The OpenAPI document: valid OpenAPI 3.1 (checked by an OpenAPI schema validator, not by us),
// served by the product, naming every route the Express app has and nothing it lacks, every
// error code the API code throws, and the statuses the server really answers with.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/src/api/openapi.js';
import { renderApiMarkdown } from '../../server/scripts/api-docs.js';
import type { RunningTicker } from '../../server/src/ticker.js';
import { ALL_KEY, EDITOR_TOKEN } from '../helpers/config.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';

// The run's shared redis-server under a key prefix of this file's own; tickers start in beforeAll.
const stack = useStack({ ticker: false });

interface RouteLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: RouteLayer[] };
}

/** Every `METHOD path` the Express app routes, however deep its routers nest. */
export function expressRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: RouteLayer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const path of [layer.route.path].flat()) {
          for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push(`${m.toUpperCase()} ${path}`);
        }
      } else if (Array.isArray(layer.handle.stack)) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);
  return [...new Set(out)].sort();
}

interface CodeSchema {
  allOf?: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } }[];
}
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: CodeSchema }> }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
}

function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/gu, ':$1')}`))
    .sort();
}

function documentedCodes(doc: Doc): Set<string> {
  const codes = new Set<string>();
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops)) {
      for (const r of Object.values(op.responses)) {
        for (const part of r.content?.['application/json']?.schema?.allOf ?? [])
          for (const c of part.properties?.error?.properties?.code?.enum ?? []) codes.add(c);
      }
    }
  }
  return codes;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('OpenAPI document', () => {
  let ticker: RunningTicker;
  let served: Doc;

  beforeAll(async () => {
    ticker = await stack.startTicker();
    const res = await fetch(`${ticker.url}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/u);
    served = (await res.json()) as Doc;
  });
  afterAll(async () => {
    await ticker?.close();
  });

  it('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(served) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is what openApiDocument() builds', () => {
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('names every route the app serves, and no route it lacks', () => {
    const routes = expressRoutes(ticker.app);
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => !documentedRoutes(served).includes(r))).toEqual([]);
    expect(documentedRoutes(served).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it('lists every error code the server code throws', () => {
    const thrown = new Set<string>();
    for (const file of sources(join(ROOT, 'server/src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new TickerError\(\s*'(\w+)'/gu)) thrown.add(m[1]!);
    }
    expect(thrown.size).toBeGreaterThan(3);
    const codes = documentedCodes(served);
    expect([...thrown].filter((c) => !codes.has(c))).toEqual([]);
  });

  it('documents the status each route really answers, without and with credentials', async () => {
    const failures: string[] = [];
    for (const [path, ops] of Object.entries(served.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const url = `${ticker.url}${path.replace('{id}', 'h_nope').replace('{version}', '9.9.9')}`;
        const verb = method.toUpperCase();
        const tries: RequestInit[] = [{ method: verb }];
        if (path.startsWith('/api/')) {
          const token = path === '/api/headlines' && method === 'get' ? ALL_KEY : path === '/api/openapi.json' ? ALL_KEY : EDITOR_TOKEN;
          const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
          tries.push({ method: verb, headers: auth, ...(method === 'post' || method === 'patch' ? { body: '{"text":' } : {}) });
          if (method === 'get') tries.push({ method: verb, headers: auth });
        }
        for (const init of tries) {
          const q = method === 'get' && path.startsWith('/api/') && init.headers ? '?limit=-1' : '';
          const res = await fetch(url + q, { ...init, redirect: 'manual' });
          await res.body?.cancel();
          if (!(String(res.status) in op.responses)) failures.push(`${method.toUpperCase()} ${path}${q}: ${res.status} not documented`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('docs/api.md is rendered from the current document', () => {
    expect(readFileSync(join(ROOT, 'docs/api.md'), 'utf8')).toBe(renderApiMarkdown());
  });
});
