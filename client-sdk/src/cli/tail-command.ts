// `headline-ticker tail`: follow the feed and print it, as lines or NDJSON, until stopped.
import { parseArgs } from 'node:util';
import { TickerClient } from '../client/ticker-client.js';
import type { TickerError } from '../protocol.js';
import { DEFAULT_URL, PROG, splitList, type CliIo } from './cli-io.js';
import { EXIT, UsageError, exitCodeOf, type ExitCode } from './exit-codes.js';
import { formatLine } from './format-line.js';

export const TAIL_USAGE = `usage: ${PROG} tail [--url URL] [--key KEY] [--topics a,b] [--symbols X,Y] [--limit N] [--since SEQ] [--json]
  --url      server (default: $TICKER_URL or ${DEFAULT_URL})
  --key      API key (default: $TICKER_KEY)
  --topics   follow these topics; --symbols: these tickers (a headline matching either is shown)
  --limit    start with the latest N headlines (default 10); --since SEQ: everything after SEQ
  --json     one JSON headline per line (NDJSON), for piping`;

const intOption = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/u.test(value)) throw new UsageError(`--${name} must be a whole number, not "${value}"`);
  return Number(value);
};

export async function tail(args: string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      topics: { type: 'string' },
      symbols: { type: 'string' },
      limit: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0) throw new UsageError(`tail takes no arguments (got "${positionals[0]}")`);
  const key = values.key ?? io.env['TICKER_KEY'];
  if (key === undefined || key === '') throw new UsageError('tail needs --key (or TICKER_KEY)');
  const url = values.url ?? io.env['TICKER_URL'] ?? DEFAULT_URL;
  const since = intOption('since', values.since);
  const limit = intOption('limit', values.limit) ?? (since === undefined ? 10 : undefined);

  const client = new TickerClient({
    url,
    key,
    topics: splitList(values.topics),
    symbols: splitList(values.symbols),
    ...(since !== undefined ? { since } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
  client.on('headline', (h) => io.out(values.json ? JSON.stringify(h) : formatLine(h)));
  client.on('status', (s) => {
    const why = s.reason ? ` (${s.reason}${s.error ? `: ${s.error.message}` : ''})` : '';
    io.err(`${PROG}: ${s.status}${why}`);
  });
  client.on('reset', (r) =>
    io.err(
      r.feedRestarted
        ? `${PROG}: reset: the feed started again (the server lost its data); showing the latest ${r.headlines.length}`
        : `${PROG}: reset: away too long, events after seq ${r.since} are no longer kept; showing the latest ${r.headlines.length}`,
    ),
  );

  // Resolves with the error that closed the client; never, when the user stops it first.
  const failed = new Promise<TickerError>((resolve) => {
    client.on('status', (s) => {
      if (s.status === 'closed' && s.error) resolve(s.error);
    });
  });
  const fatal = await Promise.race([io.stopped.then(() => null), failed]);
  await client.close();
  if (fatal !== null) {
    const e: TickerError = fatal;
    io.err(`${PROG}: error ${e.code}: ${e.message}`);
    return exitCodeOf(e.code);
  }
  return EXIT.ok;
}
