import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '../../server/src/config/env.js';
import { createLogger } from '../../server/src/logger.js';
import type { RedisTopology } from '../../server/src/redis/redis-topology.js';
import { startTicker, type RunningTicker, type TickerOptions } from '../../server/src/ticker.js';
import { testConfig } from './config.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The product in this process (fast): for everything but process-level faults. */
export async function startInProcess(
  redisUrl: string | RedisTopology,
  options: Partial<Omit<TickerOptions, 'redis'>> = {},
): Promise<RunningTicker> {
  return startTicker({
    role: 'all',
    config: testConfig(),
    logger: createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent'),
    ...options,
    redis: redisUrl,
  });
}

export interface TickerProcess {
  readonly role: Role;
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** everything the process wrote to stdout (JSON log lines) */
  output(): string;
  /** resolves with the exit code (or signal) once the process has exited */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function writeConfigFile(config: unknown = testConfig()): string {
  const dir = mkdtempSync(join(tmpdir(), 'ticker-config-'));
  const path = join(dir, 'ticker.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * A real `TICKER_ROLE=…` node as a child process on a free port: for SIGKILL, SIGTERM and
 * config errors. Resolves once it logs that it started.
 */
export function startProcess(
  role: Role,
  env: Record<string, string>,
  { waitForStart = true }: { waitForStart?: boolean } = {},
): Promise<TickerProcess> {
  const child = spawn(process.execPath, ['--conditions=ticker-source', '--import', 'tsx', 'server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', TICKER_ROLE: role, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const make = (port: number): TickerProcess => ({
    role,
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out + err,
    exited,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  });
  if (!waitForStart) return Promise.resolve(make(0));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} did not start in 40 s:\n${out}\n${err}`));
    }, 40_000);
    const onData = () => {
      const m = /"port":(\d+)[^\n]*"msg":"headline ticker started"/u.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(make(Number(m[1])));
      }
    };
    child.stdout.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code ?? signal}) before starting:\n${out}\n${err}`));
    });
  });
}
