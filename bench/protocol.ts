// Messages between the bench runner and its generator process (over the IPC channel), and the
// text format that carries a send time to the receiver.

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

export const TEXT_PREFIX = 'bench ';
/** `bench <tag> <index> <sentAtMs>`: the tag names the step, so stragglers of an earlier step are not counted. */
export const benchText = (tag: string, index: number, sentAt: number): string => `${TEXT_PREFIX}${tag} ${index} ${sentAt.toFixed(3)}`;

export type ToGenerator =
  | { type: 'connect'; url: string; key: string; count: number; subscribe: boolean }
  /** `headlines` will be published; `expected` deliveries in all */
  | { type: 'start'; tag: string; headlines: number; expected: number }
  | { type: 'poll' }
  | { type: 'stop' }
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
}

export type FromGenerator =
  | ConnectResult
  | StepReport
  | { type: 'progress'; delivered: number }
  | { type: 'ready' }
  | { type: 'disconnected' };
