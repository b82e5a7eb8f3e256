// Builds what the consumer tests exercise — the SDK's dist/, the widget bundle, the server's
// dist/ — once per change of the sources, and never twice at the same time: test files run in
// parallel, and two builds writing one dist/ would hand a test half a package.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/stack.js';

const STEPS = {
  sdk: {
    dirs: ['client-sdk/src', 'client-sdk/scripts', 'client-sdk/package.json'],
    run: ['client-sdk/scripts/build.mjs'],
    out: 'client-sdk/dist/esm/index.js',
  },
  widgets: {
    dirs: ['widgets/src', 'widgets/scripts', 'widgets/releases', 'widgets/package.json', 'client-sdk/src'],
    run: ['--import', 'tsx', 'widgets/scripts/build.ts'],
    out: 'widgets/dist/widget.js',
  },
  server: { dirs: ['server/src', 'server/scripts', 'server/package.json'], run: ['server/scripts/build.mjs'], out: 'server/dist/main.js' },
} as const;
export type BuildStep = keyof typeof STEPS;

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [full];
  return readdirSync(full, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => files(join(path, e.name)));
}

function fingerprint(step: BuildStep): string {
  const h = createHash('sha256');
  for (const f of STEPS[step].dirs.flatMap(files)) h.update(f).update(readFileSync(f));
  return h.digest('hex');
}

const CACHE = join(ROOT, 'node_modules', '.cache', 'ticker-consumers');

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds each step unless its sources are unchanged since the last build; serialised across processes. */
export function ensureBuilt(...steps: BuildStep[]): void {
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, 'lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline belongs to a killed run.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held !== undefined && Date.now() - held.mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another build held ${lock} for 3 minutes`);
      sleep(200);
    }
  }
  try {
    for (const step of steps) {
      const stamp = join(CACHE, `${step}.stamp`);
      const print = fingerprint(step);
      if (existsSync(join(ROOT, STEPS[step].out)) && existsSync(stamp) && readFileSync(stamp, 'utf8') === print) continue;
      execFileSync(process.execPath, [...STEPS[step].run], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      writeFileSync(stamp, print);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
