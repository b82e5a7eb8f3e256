// `headline-ticker push "text"`: publish one headline as an editor (token from the environment).
import { parseArgs } from 'node:util';
import { fromHttpError } from '../client/client-errors.js';
import { TickerError, type HeadlineInput, type IngestAccepted } from '../protocol.js';
import { DEFAULT_URL, PROG, splitList, type CliIo } from './cli-io.js';
import { EXIT, UsageError, exitCodeOf, type ExitCode } from './exit-codes.js';

export const PUSH_USAGE = `usage: ${PROG} push "headline text" [--urgency flash|bulletin|urgent|routine] [--topics a,b] [--symbols X,Y]
                      [--summary TEXT] [--link URL] [--embargo ISO-TIME] [--idempotency-key KEY] [--url URL] [--json]
  token:     $TICKER_EDITOR_TOKEN (required)
  --url      server (default: $TICKER_URL or ${DEFAULT_URL})
  prints "<id> <status>" (status: queued, or scheduled with --embargo); --json prints the answer as JSON`;

export async function push(args: string[], io: CliIo, fetchFn: typeof fetch = fetch): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      urgency: { type: 'string' },
      topics: { type: 'string' },
      symbols: { type: 'string' },
      summary: { type: 'string' },
      link: { type: 'string' },
      embargo: { type: 'string' },
      'idempotency-key': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'push needs the headline text' : 'push takes one headline text (quote it)');
  }
  const token = io.env['TICKER_EDITOR_TOKEN'];
  if (token === undefined || token === '') throw new UsageError('push needs an editor token in TICKER_EDITOR_TOKEN');
  const url = (values.url ?? io.env['TICKER_URL'] ?? DEFAULT_URL).replace(/\/+$/u, '');

  // The server validates everything (one set of rules); the CLI only shapes the body.
  const body: Record<string, unknown> = { text: positionals[0] } satisfies Partial<HeadlineInput>;
  if (values.urgency !== undefined) body['urgency'] = values.urgency;
  if (values.topics !== undefined) body['topics'] = splitList(values.topics);
  if (values.symbols !== undefined) body['symbols'] = splitList(values.symbols);
  if (values.summary !== undefined) body['summary'] = values.summary;
  if (values.link !== undefined) body['url'] = values.link;
  if (values.embargo !== undefined) body['embargoUntil'] = values.embargo;
  // Always sent, so a push whose outcome is unknown (a timeout, a lost answer) can be retried
  // safely: the key is printed with the error.
  const idempotencyKey = values['idempotency-key'] ?? globalThis.crypto.randomUUID();
  body['idempotencyKey'] = idempotencyKey;

  let res: Response;
  try {
    res = await fetchFn(`${url}/api/headlines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    return fail(io, new TickerError('unavailable', `cannot reach ${url}: ${why}`));
  }
  const answer: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const code = fail(io, fromHttpError(res.status, answer));
    if (res.status >= 500) io.err(`  retry safely with: --idempotency-key ${idempotencyKey}`);
    return code;
  }
  const accepted = answer as IngestAccepted | null;
  if (accepted === null || typeof accepted.id !== 'string')
    return fail(io, new TickerError('internal', 'the server answered with an unexpected body'));
  io.out(values.json ? JSON.stringify(accepted) : `${accepted.id} ${accepted.status}`);
  return EXIT.ok;
}

function fail(io: CliIo, e: TickerError): ExitCode {
  io.err(`${PROG}: error ${e.code}: ${e.message}`);
  const details = e.details;
  if (Array.isArray(details)) {
    for (const d of details as { path?: string; message?: string }[]) io.err(`  ${d.path || '(body)'}: ${d.message ?? ''}`);
  }
  return exitCodeOf(e.code);
}
