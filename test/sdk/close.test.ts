import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { ALL_KEY } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ROOT } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';

const stack = useStack();

it('close() leaves nothing that keeps Node running: a script that connects, receives and closes exits by itself', async () => {
  expect((await postHeadline(stack.ticker.url, { text: 'for the child' })).status).toBe(202);
  await until(async () => Number(await stack.redis.client.get(stack.keys.seq)) === 1, 'the headline is in the log');

  const child = spawn(
    process.execPath,
    ['--conditions=ticker-source', '--import', 'tsx', 'test/sdk/fixtures/close-child.ts', stack.ticker.url, ALL_KEY],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // The bound is generous (tsx compiles on a shared, loaded machine); a leaked handle hangs forever.
  const exit = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('still running after 45 s');
    }, 45_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  expect(exit, out).toBe(0);
  expect(out).toBe(`${JSON.stringify({ seq: 1, text: 'for the child' })}\nclosed closed\n`);
}, 60_000);
