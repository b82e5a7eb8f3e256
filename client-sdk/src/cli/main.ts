// `headline-ticker` entry: dispatches to a command and turns every outcome into an exit code.
// Node only (the CLI is not part of the browser build).
import { PROG, type CliIo } from './cli-io.js';
import { EXIT, UsageError, type ExitCode } from './exit-codes.js';
import { PUSH_USAGE, push } from './push-command.js';
import { TAIL_USAGE, tail } from './tail-command.js';

export const USAGE = `${PROG}: watch and feed a Headline Ticker server

${TAIL_USAGE}

${PUSH_USAGE}

exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 key/token refused, 4 input refused, 5 server unavailable
errors are printed to stderr as "${PROG}: error <code>: <message>"`;

export async function run(argv: string[], io: CliIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'tail':
        return await tail(rest, io);
      case 'push':
        return await push(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return EXIT.ok;
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
    }
  } catch (err) {
    // parseArgs throws TypeErrors with a code for unknown or malformed options.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`${PROG}: usage: ${(err as Error).message}`);
      io.err(command === 'tail' ? TAIL_USAGE : command === 'push' ? PUSH_USAGE : USAGE);
      return EXIT.usage;
    }
    io.err(`${PROG}: error internal: ${(err as Error).message}`);
    return EXIT.failure;
  }
}

/** The process around `run`: real stdout/stderr, environment and signals. */
export async function runProcess(argv: string[] = process.argv.slice(2)): Promise<void> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `tail … | head` closes stdout: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', stop);
  const io: CliIo = {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    env: process.env,
    stopped,
  };
  process.exitCode = await run(argv, io);
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
}
