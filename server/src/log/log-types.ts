import type { Headline } from '@headline-ticker/sdk/protocol';

/** A headline event before the log gives it its seq. */
export type UnsequencedEvent = Omit<Headline, 'seq'>;

export interface Retention {
  maxEvents: number;
  minAgeSeconds: number;
  /**
   * A hard ceiling: beyond it the oldest events go whatever their age, so a flood cannot grow
   * Redis without bound. A new headline is never refused for it.
   */
  maxEventsHard?: number;
}

export type AppendResult =
  | { kind: 'appended'; seq: number; /** events dropped by the hard ceiling */ hardDropped: number }
  /** this operation was applied before (a retried job): nothing appended */
  | { kind: 'duplicate'; seq: number }
  /** the headline's version moved since it was read: re-read and try again */
  | { kind: 'conflict'; version: number };

/** The audit stream keeps about this many entries (trimmed approximately, as Redis does cheaply). */
export const AUDIT_MAX_LEN = 100_000;

/** Who asked for an append, recorded in the audit stream in the same atomic step. */
export interface AppendAudit {
  editor: string;
  action: 'publish' | 'correct' | 'withdraw';
}

export interface AppendRequest {
  /** identifies the operation (the job), so a retry is recognised */
  opId: string;
  /** the version the caller read; 0 for a new headline */
  expectedVersion: number;
  event: UnsequencedEvent;
  audit?: AppendAudit;
}

export interface ReadAfterResult {
  headlines: Headline[];
  /** the seq up to which the log was read: continue after it */
  seq: number;
  /** `since` was older than the retained log */
  reset: boolean;
}
