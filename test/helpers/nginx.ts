// The shipped deploy/nginx.conf, run by a real nginx in front of gateways in this process: the
// compose service names become local ports, `listen 80` a free port, everything else as shipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './stack.js';
import { until } from './wait.js';

export const NGINX_PATH = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? null;
export const NO_NGINX = 'skipped: nginx is not installed (apt-get install nginx; .ci/run installs it)';
export const SHIPPED_NGINX_CONF = join(ROOT, 'deploy/nginx.conf');

export interface RunningNginx {
  readonly url: string;
  readonly conf: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Starts nginx with `site` (default: deploy/nginx.conf) where `gatewayN:8080` is replaced by the
 * n-th of `upstreams` (http://127.0.0.1:port). `edit` may change the site text further.
 */
export async function startNginx(upstreams: string[], edit: (site: string) => string = (s) => s): Promise<RunningNginx> {
  if (NGINX_PATH === null) throw new Error(NO_NGINX);
  const dir = mkdtempSync(join(tmpdir(), 'ticker-nginx-'));
  const port = await freePort();
  let site = readFileSync(SHIPPED_NGINX_CONF, 'utf8');
  upstreams.forEach((u, i) => (site = site.replaceAll(`gateway${i + 1}:8080`, new URL(u).host)));
  site = edit(site.replace(/listen\s+80;/u, `listen 127.0.0.1:${port};`));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${site}
}
`,
  );
  const test = spawnSync(NGINX_PATH, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
  const child: ChildProcess = spawn(NGINX_PATH, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () =>
      (await fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => 0,
      )) !== 0 || child.exitCode !== null,
    'nginx answers',
  );
  if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
  return {
    url,
    conf: site,
    stop: async () => {
      // SIGTERM: fast shutdown; SIGQUIT would wait for held long-polls.
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
