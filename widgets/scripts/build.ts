// Bundles the embed script: one minified IIFE with the Socket.IO client inside, so a site needs
// one <script> tag. Types from the SDK are erased; zod must never be pulled in (see the test).
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

export const WIDGET_BUNDLE = fileURLToPath(new URL('../dist/widget.js', import.meta.url));
/** The budget the issue sets for the gzipped bundle. */
export const GZIP_BUDGET_BYTES = 30 * 1024;

export interface BundleReport {
  bytes: number;
  gzipBytes: number;
  inputs: string[];
}

export async function buildWidget(outfile = WIDGET_BUNDLE): Promise<BundleReport> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/embed.ts', import.meta.url))],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    conditions: ['ticker-source'],
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const code = readFileSync(outfile);
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys((result.metafile as Metafile).inputs),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await buildWidget();
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`widgets/dist/widget.js: ${kib(report.bytes)}, ${kib(report.gzipBytes)} gzipped (budget ${kib(GZIP_BUDGET_BYTES)})`);
  if (report.gzipBytes > GZIP_BUDGET_BYTES) {
    console.error('widget bundle is over its gzip budget');
    process.exit(1);
  }
}
