// The primary's listener on its own (no children): what it refuses and how fast it lets go. The
// handover to real children is proven in test/ops/processes.test.ts.
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createBalancer, type Balancer } from './balancer.js';
import { sessionId, slotOfRequestLine } from './handover.js';

let balancer: Balancer | null = null;
afterEach(() => balancer?.server.close());

async function listening(requestLineTimeoutMs = 10_000): Promise<number> {
  balancer = createBalancer({ requestLineTimeoutMs });
  await new Promise<void>((resolve) => balancer!.server.listen(0, '127.0.0.1', resolve));
  return (balancer.server.address() as AddressInfo).port;
}

/** Writes `bytes`, then resolves with everything the server sent once it closed the connection. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    if (bytes !== '') socket.write(bytes);
  });
}

describe('session ids name their process', () => {
  it('a child-made id carries its slot; the request line alone is read', () => {
    const id = sessionId(3);
    expect(id).toMatch(/^3\.[\w-]{20}$/u);
    expect(sessionId(3)).not.toBe(id);
    expect(slotOfRequestLine(`GET /socket.io/?EIO=4&transport=polling&sid=${id} HTTP/1.1`)).toBe(3);
    expect(slotOfRequestLine('POST /socket.io/?EIO=4&sid=12.abc&transport=polling HTTP/1.1')).toBe(12);
    expect(slotOfRequestLine('GET /socket.io/?EIO=4&transport=polling HTTP/1.1')).toBeNull();
    // An id not made by a child (a forged or pre-cluster one) names no slot.
    expect(slotOfRequestLine('GET /socket.io/?EIO=4&transport=polling&sid=abcdefghijklmnopqrst HTTP/1.1')).toBeNull();
    expect(slotOfRequestLine('GET /?fakesid=1.abc HTTP/1.1')).toBeNull();
  });
});

describe('the primary listener', () => {
  it('answers 503 with a retry hint while no child is serving', async () => {
    const port = await listening();
    const answer = await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/u);
    expect(answer).toContain('Retry-After: 1');
  });

  it('refuses a request line over 8 KiB with 414 instead of buffering it', async () => {
    const port = await listening();
    const answer = await exchange(port, `GET /${'a'.repeat(9000)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/u);
  });

  it('closes a connection that sends nothing once its time for a request line is up', async () => {
    const port = await listening(200);
    const t0 = Date.now();
    expect(await exchange(port, '')).toBe('');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  });
});
