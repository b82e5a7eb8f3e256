// Bundles the embed script: one minified IIFE with the Socket.IO client inside, so a site needs
// one <script> tag. Types from the SDK are erased; zod must never be pulled in (see the test).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PKG = fileURLToPath(new URL('..', import.meta.url));
export const WIDGET_VERSION = (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { version: string }).version;
/** What the server reads to publish the versioned URL and its SRI hash (see widget-route.ts). */
export const WIDGET_MANIFEST = join(PKG, 'dist', 'widget-manifest.json');

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
    inputs: Object.keys(result.metafile.inputs),
  };
}

export interface WidgetRelease {
  version: string;
  /** the immutable URL path of this release's bundle */
  path: string;
  /** Subresource Integrity of the bundle: `sha384-…` */
  integrity: string;
}

/** The current release, and every release this build serves (oldest first, the current last). */
export interface WidgetManifest extends WidgetRelease {
  releases: WidgetRelease[];
}

/** Released bundles, committed: `releases/<version>/widget.js`, byte for byte what that release served. */
export const RELEASES_DIR = join(PKG, 'releases');

/** `sha384-<base64>`, as a <script integrity=…> attribute takes it. */
export function integrityOf(code: Buffer): string {
  return `sha384-${createHash('sha384').update(code).digest('base64')}`;
}

const VERSION = /^\d+\.\d+\.\d+$/u;
const byVersion = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x!.map((n, i) => n - y![i]!).find((d) => d !== 0) ?? 0;
};

/**
 * A release: the moving dist/widget.js, an immutable copy under dist/v/<version>/ that the
 * server serves at /widget/<version>/widget.js, every committed earlier release copied beside it
 * (so a site's pinned URL survives an upgrade: the image carries them all), and a manifest with
 * each one's SRI hash. A committed release of the current version must be these very bytes: an
 * immutable URL never changes, so a changed bundle needs a new version.
 */
export function writeRelease(bundle = WIDGET_BUNDLE, pkg = PKG, version = WIDGET_VERSION): WidgetManifest {
  const code = readFileSync(bundle);
  const releasesDir = join(pkg, 'releases');
  const kept = existsSync(releasesDir) ? readdirSync(releasesDir).filter((v) => VERSION.test(v)) : [];
  const releases = new Map<string, Buffer>(kept.map((v) => [v, readFileSync(join(releasesDir, v, 'widget.js'))]));
  const released = releases.get(version);
  if (released !== undefined && !released.equals(code)) {
    throw new Error(
      `widgets ${version} was released with other bytes (releases/${version}/widget.js): raise the version in widgets/package.json`,
    );
  }
  releases.set(version, code);
  const list = [...releases.keys()].sort(byVersion).map((v): WidgetRelease => {
    const body = releases.get(v)!;
    const target = join(pkg, 'dist', 'v', v, 'widget.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, body);
    return { version: v, path: `/widget/${v}/widget.js`, integrity: integrityOf(body) };
  });
  const manifest: WidgetManifest = { ...list.find((r) => r.version === version)!, releases: list };
  writeFileSync(join(pkg, 'dist', 'widget-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The npm entry for bundlers: ESM (dependencies left as imports) and its declarations. */
export async function buildLibrary(): Promise<void> {
  await build({
    entryPoints: [join(PKG, 'src', 'index.ts')],
    outfile: join(PKG, 'dist', 'esm', 'index.js'),
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
  execFileSync(process.execPath, [join(PKG, '../node_modules/typescript/bin/tsc'), '-p', join(PKG, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = await buildWidget();
  const manifest = writeRelease();
  await buildLibrary();
  for (const r of manifest.releases) console.log(`widgets/dist/v/${r.version}/widget.js: integrity ${r.integrity}`);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`widgets/dist/widget.js: ${kib(report.bytes)}, ${kib(report.gzipBytes)} gzipped (budget ${kib(GZIP_BUDGET_BYTES)})`);
  if (report.gzipBytes > GZIP_BUDGET_BYTES) {
    console.error('widget bundle is over its gzip budget');
    process.exit(1);
  }
}
