// What a command needs from the process, passed in so commands stay testable and pure.
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** resolves when the user asks to stop (SIGINT/SIGTERM, or stdout closed by `| head`) */
  stopped: Promise<void>;
}

export const PROG = 'headline-ticker';
export const DEFAULT_URL = 'http://localhost:8080';

export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
