import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout. Secrets never reach a log line: anything under these paths is
 * replaced, and code logs a key's `ref` (a digest prefix), never the key.
 */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'headline-ticker', ...base },
    redact: {
      paths: ['key', 'token', 'auth.key', 'req.headers.authorization', 'headers.authorization', '*.token', '*.key'],
      censor: '[redacted]',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
