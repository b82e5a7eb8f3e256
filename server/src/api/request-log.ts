import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { LevelWithSilent } from 'pino';
import type { Logger } from '../logger.js';

/** Query parameters that carry a secret, compared after decoding and lower-casing the name. */
const SECRET_PARAMS = new Set(['key', 'token', 'access_token', 'api_key', 'apikey', 'auth', 'authorization']);

const decodedName = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replace(/\+/gu, ' ')).trim().toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
};

/**
 * Keys may ride in `?key=`; a logged URL never shows one. The name is decoded first, as
 * Express decodes it: `?%6Bey=` authenticates exactly like `?key=`.
 */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodedName(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}`;
}

/** One JSON line per request: method, url (redacted), status, time. No headers, no bodies. */
export function requestLogger(logger: Logger) {
  // `never` (no custom levels) is what lets our Logger through; to write it, the defaults before it
  // must be written out too.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-arguments
  return pinoHttp<IncomingMessage, ServerResponse, never>({
    logger,
    quietReqLogger: true,
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
