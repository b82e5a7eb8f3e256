// Polite HTTP for feeds: conditional GET, a timeout over the whole exchange, a size limit, a
// bounded number of redirects (loops detected), and a User-Agent that names the product.
import { FeedError } from './feed-error.js';

export const FEED_USER_AGENT = 'HeadlineTicker/0.1 (+feed poller)';

export interface FetchLimits {
  /** the whole exchange, redirects and body included (default 10 s) */
  timeoutMs: number;
  /** largest body accepted, after content decoding (default 5 MiB) */
  maxBytes: number;
  /** redirects followed before giving up (default 5) */
  maxRedirects: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024, maxRedirects: 5 };

/** What the server told us last time, sent back so it can answer 304. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type FetchResult =
  { status: 'not_modified' } | { status: 'ok'; body: Uint8Array; contentType: string | null; finalUrl: string; validators: Validators };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `stop` aborts the exchange at once (shutdown); it then fails with reason 'network'. */
export async function fetchFeed(
  url: string,
  validators: Validators,
  limits: FetchLimits = DEFAULT_FETCH_LIMITS,
  stop?: AbortSignal,
): Promise<FetchResult> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
  try {
    return await fetchFollowing(url, validators, limits, signal);
  } catch (err) {
    if (err instanceof FeedError) throw err;
    if (timeout.aborted) throw new FeedError('timeout', `no complete answer within ${limits.timeoutMs} ms`, { cause: err });
    const cause = (err as Error & { cause?: Error }).cause;
    throw new FeedError('network', `request failed: ${cause?.message ?? (err as Error).message}`, { cause: err });
  }
}

async function fetchFollowing(url: string, validators: Validators, limits: FetchLimits, signal: AbortSignal): Promise<FetchResult> {
  const seen = new Set<string>();
  let current = url;
  for (let hop = 0; ; hop++) {
    seen.add(current);
    const headers: Record<string, string> = {
      'user-agent': FEED_USER_AGENT,
      accept: 'application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5',
    };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    const res = await fetch(current, { headers, redirect: 'manual', signal });

    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel().catch(() => undefined);
      const location = res.headers.get('location');
      let next: URL;
      try {
        next = new URL(location ?? '', current);
      } catch {
        throw new FeedError('bad_redirect', `HTTP ${res.status} with an unusable Location: ${location ?? '(none)'}`);
      }
      if (location === null || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        throw new FeedError('bad_redirect', `HTTP ${res.status} to ${location ?? '(no Location)'}: only http(s) is followed`);
      }
      if (seen.has(next.href)) throw new FeedError('redirect_loop', `redirect loop: ${[...seen, next.href].join(' → ')}`);
      if (hop >= limits.maxRedirects) throw new FeedError('too_many_redirects', `more than ${limits.maxRedirects} redirects`);
      current = next.href;
      continue;
    }
    if (res.status === 304) {
      await res.body?.cancel().catch(() => undefined);
      return { status: 'not_modified' };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new FeedError('http_status', `HTTP ${res.status} ${res.statusText}`.trim());
    }
    const body = await readLimited(res, limits.maxBytes);
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    return {
      status: 'ok',
      body,
      contentType: res.headers.get('content-type'),
      finalUrl: current,
      validators: { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) },
    };
  }
}

/** Reads the body, giving up (and closing the connection) as soon as it passes `maxBytes`. */
async function readLimited(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new FeedError('too_large', `body of ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FeedError('too_large', `body passed the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
