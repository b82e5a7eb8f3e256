// Messages between the bench runner and its generator process (over the IPC channel), and the
// text format that carries a send time to the receiver.

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const TEXT_PREFIX = 'bench ';
/** `bench <tag> <index> <sentAtMs>`: the tag names the step, so stragglers of an earlier step are not counted. */
export const benchText = (tag: string, index: number, sentAt: number): string => `${TEXT_PREFIX}${tag} ${index} ${sentAt.toFixed(3)}`;

export type ToGenerator =
  /** `limit`: the subscribe asks for the latest `limit` headlines (absent: the server's default) */
  | { type: 'connect'; url: string; key: string; count: number; subscribe: boolean; limit?: number }
  /** `headlines` will be published; `expected` deliveries in all */
  | { type: 'start'; tag: string; headlines: number; expected: number }
  | { type: 'poll' }
  | { type: 'stop' }
  /**
   * From now on a client whose connection drops comes back like the SDK does: after a delay with
   * full jitter between `minDelayMs` and a doubling cap, resubscribing with `since` = the last
   * seq it saw, and counting the replay in the ack.
   */
  | { type: 'resilient'; minDelayMs: number; maxDelayMs: number }
  | { type: 'disconnect' };

export interface ConnectResult {
  type: 'connected';
  open: number;
  failed: number;
  ms: number;
}

export interface StepReport {
  type: 'report';
  /** headline events received for this step (the first receipt of each headline per client) */
  delivered: number;
  /** events received out of seq order or twice */
  disorder: number;
  latency: { p50: number; p95: number; p99: number; max: number };
  /** the generator's own CPU over the step, in cores */
  cpu: number;
  byes: Record<string, number>;
  /** connections that closed during the step */
  closed: number;
  open: number;
  /** per headline index of the step: how many clients received it */
  receivedBy: number[];
  /** resubscribe acks that said `reset` (the replay could not reach back) */
  resets: number;
}

export interface Progress {
  type: 'progress';
  delivered: number;
  /** clients connected and subscribed right now */
  live: number;
  /** wall-clock ms of the last subscribe ack (a client becoming live) */
  lastLiveAt: number;
  /** connection attempts that failed since `resilient` */
  failedAttempts: number;
}

export type FromGenerator = ConnectResult | StepReport | Progress | { type: 'ready' } | { type: 'disconnected' };
