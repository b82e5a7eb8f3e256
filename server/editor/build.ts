// Bundles the editor console (TypeScript + socket.io-client) into server/dist/editor/, which
// the server serves at /editor. `npm run build -w server` runs it; tests call buildEditor().
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const EDITOR_OUT = fileURLToPath(new URL('../dist/editor/', import.meta.url));

export async function buildEditor(outDir = EDITOR_OUT): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(HERE, 'src/main.ts')],
    outfile: join(outDir, 'editor.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    conditions: ['ticker-source'],
    minify: true,
    sourcemap: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  await Promise.all(['editor.html', 'editor.css'].map((f) => copyFile(join(HERE, f), join(outDir, f))));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildEditor();
  process.stdout.write(`editor console built into ${EDITOR_OUT}\n`);
}
