import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PrivateRedisOptions {
  /** data directory (AOF lives here, so a restart keeps the log) */
  dir: string;
  /** TCP port; 0 picks a free one */
  port?: number;
  /** fsync every write, so a kill loses nothing acknowledged (tests); default everysec */
  fsyncAlways?: boolean;
  binary?: string;
}

export function redisServerAvailable(binary = 'redis-server'): boolean {
  const r = spawnSync(binary, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A redis-server child process on 127.0.0.1 with append-only persistence. Used by `npm start`
 * when no Redis answers, and by the tests, which also kill and restart it to inject faults.
 */
export class PrivateRedis {
  readonly #options: PrivateRedisOptions;
  #port = 0;
  #child: ChildProcess | null = null;

  constructor(options: PrivateRedisOptions) {
    this.#options = options;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(): Promise<this> {
    if (this.#child) return this;
    mkdirSync(this.#options.dir, { recursive: true });
    if (this.#port === 0) this.#port = this.#options.port || (await freePort());
    const args = [
      '--port',
      String(this.#port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.#options.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      this.#options.fsyncAlways ? 'always' : 'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
      '--logfile',
      '',
    ];
    const child = spawn(this.#options.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`)));
      child.once('error', reject);
    });
    // Keep draining output so the pipe never fills.
    child.stdout.resume();
    child.stderr.resume();
    child.once('exit', () => {
      if (this.#child === child) this.#child = null;
    });
    return this;
  }

  /** SIGKILL: an abrupt crash. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM: a clean shutdown. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** Kill and start again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.#child = null;
  }
}
