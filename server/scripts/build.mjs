// Builds the server to JavaScript: server/src/**/*.ts → server/dist/**/*.js, one file per source
// file (no bundling), so the folder layout — and every path computed from import.meta.url, like
// the widget bundle, the editor console and public/ — is the same in src/ and dist/. Production
// runs `node server/dist/main.js`: no TypeScript loader, no dev dependency at run time.
// esbuild only strips types (the sources are isolatedModules + verbatimModuleSyntax); the type
// check is `npm run typecheck`.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const src = join(pkg, 'src');
const SERVER_DIST = join(pkg, 'dist');

const sources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );

// dist/editor/ is the console's bundle (editor/build.ts); everything else in dist/ is ours.
for (const e of existsSync(SERVER_DIST) ? readdirSync(SERVER_DIST, { withFileTypes: true }) : []) {
  if (e.name === 'editor') continue;
  rmSync(join(SERVER_DIST, e.name), { recursive: true, force: true });
}
await build({
  entryPoints: sources(src),
  outbase: src,
  outdir: SERVER_DIST,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('server: dist/*.js (run: node server/dist/main.js)');
