// The CLI's exit codes: scripts branch on these, so they never change meaning.
import type { ErrorCode } from '../protocol.js';

export const EXIT = {
  ok: 0,
  /** an unexpected failure (a bug, or the server answered something unexpected) */
  failure: 1,
  /** bad command line, or a required setting missing */
  usage: 2,
  /** the key or token was refused (unauthorized, forbidden) */
  auth: 3,
  /** the server refused the input (bad_request, payload_too_large, not_found, conflict) */
  rejected: 4,
  /** the server is unreachable or asks to come back later (unavailable, rate_limited, too_many_connections) */
  unavailable: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeOf(code: ErrorCode): ExitCode {
  switch (code) {
    case 'unauthorized':
    case 'forbidden':
      return EXIT.auth;
    case 'bad_request':
    case 'payload_too_large':
    case 'not_found':
    case 'conflict':
      return EXIT.rejected;
    case 'unavailable':
    case 'outcome_unknown':
    case 'rate_limited':
    case 'too_many_connections':
      return EXIT.unavailable;
    case 'internal':
      return EXIT.failure;
  }
}

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
