import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { LevelWithSilent } from 'pino';
import type { Logger } from '../logger.js';

/** Keys may ride in `?key=`; a logged URL never shows one. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(/([?&]key=)[^&#]*/giu, '$1[redacted]');
}

/** One JSON line per request: method, url (redacted), status, time. No headers, no bodies. */
export function requestLogger(logger: Logger) {
  return pinoHttp<IncomingMessage, ServerResponse, never>({
    logger,
    quietReqLogger: true,
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.remoteAddress }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
