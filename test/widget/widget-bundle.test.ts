import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWidget, GZIP_BUDGET_BYTES, type BundleReport } from '../../widgets/scripts/build.js';

const dir = mkdtempSync(join(tmpdir(), 'widget-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the /widget.js bundle', () => {
  let report: BundleReport;

  it(`is at most ${GZIP_BUDGET_BYTES / 1024} KiB gzipped, Socket.IO client included`, async () => {
    report = await buildWidget(join(dir, 'widget.js'));
    console.info(`widget.js: ${report.bytes} bytes, ${report.gzipBytes} gzipped`);
    expect(report.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(report.inputs.some((p) => p.includes('node_modules/socket.io-client/'))).toBe(true);
    expect(report.inputs.some((p) => p.includes('client-sdk/src/client/ticker-client.ts'))).toBe(true);
  });

  it('pulls in neither zod nor the schemas (protocol types only)', () => {
    expect(report.inputs.filter((p) => /node_modules\/zod\/|client-sdk\/src\/schemas\.ts/u.test(p))).toEqual([]);
  });
});

describe('GET /widget.js', () => {
  it('serves the bundle as JavaScript with an ETag, a short cache life, 304 on revalidation, cross-origin safe', async () => {
    const express = (await import('express')).default;
    const { widgetRoute } = await import('../../server/src/api/widget-route.js');
    const path = join(dir, 'served.js');
    await buildWidget(path);
    const app = express().use(widgetRoute(path));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/widget.js`;
    try {
      const first = await fetch(url, { headers: { origin: 'https://news.example' } });
      expect(first.status).toBe(200);
      expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+/u);
      expect(first.headers.get('access-control-allow-origin')).toBe('*');
      expect(first.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(first.headers.get('x-content-type-options')).toBe('nosniff');
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]+"$/u);
      expect((await first.text()).length).toBe((await import('node:fs')).statSync(path).size);
      const again = await fetch(url, { headers: { 'if-none-match': etag! } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    } finally {
      server.close();
    }
  });
});
