// Builds dist/: ESM (dist/esm/*.js), CommonJS (dist/cjs/*.cjs), types (tsc → dist/esm/*.d.ts)
// and a self-contained browser ESM bundle (dist/browser/sdk.js, socket.io-client inside).
// Each source file becomes one output file, so the client, the protocol and the schemas share
// one TickerError class however they are imported.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const src = join(pkg, 'src');
const dist = join(pkg, 'dist');

const sources = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
const entryPoints = sources(src);

/** Keeps relative imports as imports of the sibling output file (".js" or ".cjs"). */
const siblings = (ext) => ({
  name: 'siblings',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === 'entry-point' ? undefined : { path: args.path.replace(/\.js$/u, ext), external: true },
    );
  },
});

rmSync(dist, { recursive: true, force: true });
const common = {
  entryPoints,
  outbase: src,
  bundle: true,
  packages: 'external',
  platform: 'neutral',
  target: 'es2022',
  logLevel: 'warning',
};
await build({ ...common, format: 'esm', outdir: join(dist, 'esm'), plugins: [siblings('.js')] });
await build({ ...common, format: 'cjs', outdir: join(dist, 'cjs'), outExtension: { '.js': '.cjs' }, plugins: [siblings('.cjs')] });

// The browser path must not reach zod or any Node module: `platform: 'browser'` fails the
// build on a Node built-in, and the check below fails it on zod.
const browser = await build({
  entryPoints: [join(src, 'index.ts')],
  outfile: join(dist, 'browser', 'sdk.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const zodInputs = Object.keys(browser.metafile.inputs).filter((p) => p.includes('node_modules/zod/'));
if (zodInputs.length > 0) throw new Error(`the browser bundle pulls in zod: ${zodInputs[0]}`);

execFileSync(process.execPath, [join(pkg, '../node_modules/typescript/bin/tsc'), '-p', join(pkg, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
// CommonJS consumers' TypeScript needs declarations that are CommonJS too (.d.cts beside the
// .cjs): the package is "type": "module", so a .d.ts reads as ESM and a `require` of it fails.
const declarations = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? declarations(join(dir, e.name)) : e.name.endsWith('.d.ts') ? [join(dir, e.name)] : [],
  );
for (const file of declarations(join(dist, 'esm'))) {
  const cts = readFileSync(file, 'utf8').replace(/(from\s+'\.{1,2}\/[^']*)\.js'/gu, "$1.cjs'");
  writeFileSync(join(dist, 'cjs', relative(join(dist, 'esm'), file)).replace(/\.d\.ts$/u, '.d.cts'), cts);
}

const bytes = browser.metafile.outputs[relative(process.cwd(), join(dist, 'browser', 'sdk.js'))]?.bytes;
console.log(`client-sdk: dist/esm, dist/cjs, .d.ts/.d.cts, dist/browser/sdk.js${bytes ? ` (${Math.round(bytes / 1024)} KiB)` : ''}`);
