// The HTTP side on its own, against a local server: limits, redirects, validators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedError } from '../../server/src/sources/feed-error.js';
import { DEFAULT_FETCH_LIMITS, FEED_USER_AGENT, fetchFeed, type FetchLimits } from '../../server/src/sources/feed-fetch.js';
import { FeedServer } from '../helpers/feed-server.js';

let server: FeedServer;
// The real 10 s timeout: the machine may be busy. Only the hanging-server case shortens it.
const limits: FetchLimits = DEFAULT_FETCH_LIMITS;

beforeAll(async () => {
  server = await new FeedServer().start();
});
afterAll(async () => {
  await server?.stop();
});

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return err instanceof FeedError ? err.reason : `not a FeedError: ${(err as Error).message}`;
  }
}

describe('fetchFeed', () => {
  it('sends the User-Agent and the validators, and returns the new ones', async () => {
    server.set('/a', { kind: 'feed', body: '<rss/>', etag: 'W/"7"', lastModified: 'Sat, 14 Dec 2019 19:00:00 GMT' });
    const res = await fetchFeed(server.url('/a'), {}, limits);
    expect(res).toMatchObject({ status: 'ok', validators: { etag: 'W/"7"', lastModified: 'Sat, 14 Dec 2019 19:00:00 GMT' } });
    expect(server.requestsFor('/a')[0]!['user-agent']).toBe(FEED_USER_AGENT);
    expect(server.requestsFor('/a')[0]!['if-none-match']).toBeUndefined();
    expect(await fetchFeed(server.url('/a'), { etag: 'W/"7"' }, limits)).toEqual({ status: 'not_modified' });
    expect(server.requestsFor('/a')[1]!['if-none-match']).toBe('W/"7"');
  });

  it('follows a few redirects, and refuses loops, long chains and non-http targets', async () => {
    server.set('/r1', { kind: 'redirect', to: '/r2' });
    server.set('/r2', { kind: 'redirect', to: '/a' });
    const res = await fetchFeed(server.url('/r1'), {}, limits);
    expect(res).toMatchObject({ status: 'ok', finalUrl: server.url('/a') });

    server.set('/loop1', { kind: 'redirect', to: '/loop2' });
    server.set('/loop2', { kind: 'redirect', to: '/loop1' });
    expect(await reasonOf(fetchFeed(server.url('/loop1'), {}, limits))).toBe('redirect_loop');

    for (let i = 0; i < 8; i++) server.set(`/chain${i}`, { kind: 'redirect', to: `/chain${i + 1}` });
    server.set('/chain8', { kind: 'feed', body: '<rss/>' });
    expect(await reasonOf(fetchFeed(server.url('/chain0'), {}, { ...limits, maxRedirects: 5 }))).toBe('too_many_redirects');

    server.set('/file', { kind: 'redirect', to: 'file:///etc/passwd' });
    expect(await reasonOf(fetchFeed(server.url('/file'), {}, limits))).toBe('bad_redirect');
  });

  it('gives up on bodies over the size limit, declared or streamed', async () => {
    server.set('/big', { kind: 'feed', body: Buffer.alloc(64 * 1024, 0x20) });
    expect(await reasonOf(fetchFeed(server.url('/big'), {}, { ...limits, maxBytes: 10_000 }))).toBe('too_large');
    server.set('/endless', { kind: 'endless' });
    expect(await reasonOf(fetchFeed(server.url('/endless'), {}, { ...limits, maxBytes: 1024 * 1024, timeoutMs: 10_000 }))).toBe(
      'too_large',
    );
  });

  it('times out on a server that never answers, and reports HTTP errors and refused connections', async () => {
    server.set('/hang', { kind: 'hang' });
    expect(await reasonOf(fetchFeed(server.url('/hang'), {}, { ...limits, timeoutMs: 300 }))).toBe('timeout');
    server.set('/gone', { kind: 'status', status: 410 });
    expect(await reasonOf(fetchFeed(server.url('/gone'), {}, limits))).toBe('http_status');
    expect(await reasonOf(fetchFeed('http://127.0.0.1:1/feed', {}, limits))).toBe('network');
  });
});
