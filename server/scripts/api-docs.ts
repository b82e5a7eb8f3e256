// Renders the OpenAPI document (server/src/api/openapi.ts) as docs/api.md, so the API reads
// offline and in review. `npm run docs:api -w server` rewrites it; a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/api/openapi.js';

export const API_MD = fileURLToPath(new URL('../../docs/api.md', import.meta.url));

interface Op {
  summary: string;
  description?: string;
  security: Record<string, unknown>[];
  parameters: { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: { $ref?: string } }> }>;
}

const schemaName = (s: { $ref?: string } | undefined) => s?.$ref?.split('/').at(-1);

function typeOf(s: Record<string, unknown>): string {
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s['type'] === 'array') return `${typeOf((s['items'] ?? {}) as Record<string, unknown>)}[]`;
  if (typeof s['$ref'] === 'string') return schemaName(s)!;
  if (Array.isArray(s['anyOf'])) return (s['anyOf'] as Record<string, unknown>[]).map(typeOf).join(' \\| ');
  if (s['const'] !== undefined) return `\`${JSON.stringify(s['const'])}\``;
  return typeof s['type'] === 'string' ? s['type'] : 'any';
}

function limits(s: Record<string, unknown>): string {
  const out: string[] = [];
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'maxLength', 'maxItems', 'default', 'format']) {
    if (s[k] !== undefined && !(k === 'maximum' && s[k] === Number.MAX_SAFE_INTEGER)) out.push(`${k} ${JSON.stringify(s[k])}`);
  }
  return out.join(', ');
}

export function renderApiMarkdown(doc = openApiDocument()): string {
  const info = doc['info'] as { title: string; version: string; description: string };
  const paths = doc['paths'] as Record<string, Record<string, Op>>;
  const schemas = (
    doc['components'] as { schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] }> }
  ).schemas;
  const lines: string[] = [
    '<!-- Generated from server/src/api/openapi.ts by `npm run docs:api -w server`; do not edit by hand. -->',
    `# ${info.title} HTTP API ${info.version}`,
    '',
    info.description,
    '',
    'The machine-readable document is served at [`/api/openapi.json`](http://localhost:8080/api/openapi.json)',
    '(OpenAPI 3.1). Errors are `{ "error": { "code", "message", "details"? } }`; the codes and their',
    'statuses are listed per route.',
    '',
    '| method | path | who | answers |',
    '| --- | --- | --- | --- |',
  ];
  const who = (op: Op) => {
    const names = op.security.flatMap((s) => Object.keys(s));
    return names.includes('editorToken') ? 'editor token' : names.includes('apiKey') ? 'API key' : 'anyone';
  };
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      lines.push(`| ${method.toUpperCase()} | \`${path}\` | ${who(op)} | ${Object.keys(op.responses).join(', ')} |`);
    }
  }
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      lines.push('', `## ${method.toUpperCase()} ${path}`, '', op.summary + '.');
      if (op.description) lines.push('', op.description);
      lines.push('', `Who: ${who(op)}.`);
      if (op.parameters.length > 0) {
        lines.push('', '| parameter | in | type | required | notes |', '| --- | --- | --- | --- | --- |');
        for (const p of op.parameters) {
          lines.push(
            `| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${[p.description, limits(p.schema)].filter(Boolean).join('; ')} |`,
          );
        }
      }
      const body = schemaName(op.requestBody?.content['application/json']?.schema);
      if (body) lines.push('', `Body: [\`${body}\`](#${body.toLowerCase()}) (JSON).`);
      lines.push('', '| status | meaning | body |', '| --- | --- | --- |');
      for (const [status, r] of Object.entries(op.responses)) {
        const [media, c] = Object.entries(r.content ?? {})[0] ?? [];
        const name = schemaName(c?.schema) ?? (c?.schema ? 'Error' : undefined);
        lines.push(`| ${status} | ${r.description} | ${name ? `[\`${name}\`](#${name.toLowerCase()})` : (media ?? '')} |`);
      }
    }
  }
  lines.push('', '# Schemas');
  for (const [name, s] of Object.entries(schemas)) {
    lines.push('', `## ${name}`, '', '| field | type | required | notes |', '| --- | --- | --- | --- |');
    for (const [field, f] of Object.entries(s.properties ?? {})) {
      const notes = [typeof f['description'] === 'string' ? f['description'] : '', limits(f)].filter(Boolean).join('; ');
      lines.push(`| \`${field}\` | ${typeOf(f)} | ${s.required?.includes(field) ? 'yes' : 'no'} | ${notes} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(API_MD, renderApiMarkdown());
  console.log(`wrote ${API_MD}`);
}
