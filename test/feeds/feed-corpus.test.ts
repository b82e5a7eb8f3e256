// The feed corpus (test/fixtures/feeds/): every case through check-feed's code path, compared
// with the headline text, url and instant it must give, or the error it must be refused with.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '../helpers/feed-server.js';
import { checkFeedBytes } from '../../server/src/sources/check-feed.js';
import { charsetCases } from '../fixtures/feeds/charsets.cases.js';
import { dateCases } from '../fixtures/feeds/dates.cases.js';
import { shapeCases } from '../fixtures/feeds/shapes.cases.js';
import { entityCases } from '../fixtures/feeds/entities.cases.js';
import { recoveryCases } from '../fixtures/feeds/recovery.cases.js';
import { CORPUS_NOW, type FeedCase } from '../fixtures/feeds/corpus.js';

const groups: [string, FeedCase[]][] = [
  ['charsets', charsetCases],
  ['references and markup', entityCases],
  ['recovery', recoveryCases],
  ['dates', dateCases],
  ['shapes', shapeCases],
];

describe.each(groups)('%s', (_group, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(c.source.length).toBeGreaterThan(10);
    const bytes = typeof c.body === 'string' ? Buffer.from(c.body, 'utf8') : c.body;
    const result = checkFeedBytes(c.name, bytes, {
      contentType: c.contentType ?? null,
      ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
      now: CORPUS_NOW,
    });
    if (c.error !== undefined) {
      expect(result).toMatchObject({ ok: false, error: { code: c.error } });
      expect(result.error!.message.length).toBeGreaterThan(0);
      return;
    }
    expect(result.error).toBeNull();
    if (c.format) expect(result.format).toBe(c.format);
    const keys = (e: object) => Object.keys(e);
    expect(result.items.map((got, i) => Object.fromEntries(keys(c.items![i] ?? got).map((k) => [k, got[k as keyof typeof got]])))).toEqual(
      c.items,
    );
  });
});

describe('the corpus itself', () => {
  const all = groups.flatMap(([, cases]) => cases);
  it('has at least 150 cases, each named once, each expecting items or an error, each with its source', () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(new Set(all.map((c) => c.name)).size).toBe(all.length);
    for (const c of all) expect((c.items === undefined) !== (c.error === undefined)).toBe(true);
  });

  it('cites for each case a specification or a named parser, never the issue that asked for it', () => {
    // "issue 16" says what was wanted, not where the expected result comes from.
    expect(all.filter((c) => /\bissue\b|CMSes/iu.test(c.source)).map((c) => c.name)).toEqual([]);
  });
});

describe('npm run check-feed', () => {
  const run = promisify(execFile);
  let dir = '';
  let server: FeedServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'check-feed-'));
    server = await new FeedServer().start();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  });

  /** The CLI as an operator runs it; resolves even when it exits non-zero. */
  async function checkFeedCli(args: string[]): Promise<{ code: number; lines: Record<string, unknown>[] }> {
    try {
      const { stdout } = await run('npm', ['run', '--silent', 'check-feed', '--', ...args], {
        cwd: new URL('../..', import.meta.url).pathname,
      });
      return {
        code: 0,
        lines: stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      };
    } catch (err) {
      const e = err as { code: number; stdout: string };
      return {
        code: e.code,
        lines: e.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      };
    }
  }

  it('prints one JSON line per input: files, a URL, and a refusal with its code; exit 1 when any failed', async () => {
    const cp1252 = charsetCases.find((c) => c.name.startsWith('HTTP charset=iso-8859-1'))!;
    writeFileSync(join(dir, 'latin.rss'), cp1252.body);
    writeFileSync(
      join(dir, 'relative.rss'),
      '<rss><channel><item><title>Rel</title><link>/x/1</link><pubDate>2012-02-14</pubDate></item></channel></rss>',
    );
    writeFileSync(join(dir, 'page.html'), '<html><body>nope</body></html>');
    server.set('/wire.atom', {
      kind: 'feed',
      contentType: 'application/atom+xml',
      body: '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>From HTTP</title><link href="/n/1"/><id>urn:h</id></entry></feed>',
    });
    const files = ['latin.rss', 'relative.rss', 'page.html'].map((f) => join(dir, f));
    const out = await checkFeedCli([
      '--content-type',
      'text/xml; charset=iso-8859-1',
      '--base-url',
      'https://news.example.com/feed',
      ...files,
    ]);
    expect(out.code).toBe(1);
    expect(out.lines).toEqual([
      {
        input: files[0],
        ok: true,
        format: 'rss',
        items: [{ text: '£“test.”', url: 'https://news.example.com/a/1', guid: null, publishedAt: '2012-02-14T10:00:00.000Z' }],
        error: null,
      },
      {
        input: files[1],
        ok: true,
        format: 'rss',
        items: [{ text: 'Rel', url: 'https://news.example.com/x/1', guid: null, publishedAt: '2012-02-14T00:00:00.000Z' }],
        error: null,
      },
      { input: files[2], ok: false, format: null, items: [], error: { code: 'not_a_feed', message: expect.stringContaining('<html>') } },
    ]);
    const web = await checkFeedCli([server.url('/wire.atom')]);
    expect(web).toEqual({
      code: 0,
      lines: [
        {
          input: server.url('/wire.atom'),
          ok: true,
          format: 'atom',
          items: [{ text: 'From HTTP', url: server.url('/n/1'), guid: 'urn:h', publishedAt: null }],
          error: null,
        },
      ],
    });
  });
});
