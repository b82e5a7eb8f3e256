// One process per core (TICKER_PROCESSES > 1): this primary listens on PORT and hands each
// connection to a child (balancer.ts), keeping a long-polling session's requests on the child
// that holds the session. The children are the gateways; each subscribes to the feed in Redis
// itself, so no Socket.IO adapter carries anything between them. The primary holds no Redis
// connection and runs none of the product: it forks, restarts, forwards signals and balances.
import cluster, { type Worker } from 'node:cluster';
import type { Role } from '../config/env.js';
import { listen } from '../http-part.js';
import type { Logger } from '../logger.js';
import { createBalancer, type Balancer } from './balancer.js';
import { aggregateChildMetrics } from './cluster-metrics.js';
import { isSessions } from './handover.js';

/** What a child sends once its ticker is serving. */
export const CHILD_READY = 'ticker:child-ready';

export interface PrimaryOptions {
  processes: number;
  role: Exclude<Role, 'worker'>;
  port: number;
  host: string;
  /** environment every child gets on top of the primary's (e.g. the Redis the primary found) */
  childEnv: Record<string, string>;
  logger: Logger;
}

export interface RunningPrimary {
  readonly port: number;
  /** Passes a signal on to every child. */
  forward(signal: NodeJS.Signals): void;
  /** Stops listening, sends SIGTERM to every child and resolves once all have exited. */
  stop(): Promise<void>;
  /** Ends every child at once. */
  kill(): void;
}

const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 8000;

/**
 * The role of each slot: in the `all` role slot 0 alone runs the ingest worker and the feed poller
 * next to its gateway (one worker keeps desk order); every other slot is a gateway.
 */
export function slotRole(role: Exclude<Role, 'worker'>, slot: number): Role {
  return slot === 0 ? role : 'gateway';
}

interface ChildTable {
  /** the slot of each child process */
  slots: Map<Worker, number>;
  /** failures in a row per slot: how long the next restart waits */
  failures: Map<number, number>;
  stopping(): boolean;
  allExited(): void;
}

/** A child that exits is restarted in its slot, after a backoff that grows with each crash in a row. */
function restartOnExit(t: ChildTable, balancer: Balancer, logger: Logger, fork: (slot: number) => void) {
  return (worker: Worker, code: number, signal: string): void => {
    const slot = t.slots.get(worker);
    t.slots.delete(worker);
    if (slot === undefined) return;
    balancer.gone(slot);
    if (t.stopping()) {
      if (t.slots.size === 0) t.allExited();
      return;
    }
    // A crash loop (a bad config, Redis refusing) backs off instead of spinning.
    const n = t.failures.get(slot) ?? 0;
    t.failures.set(slot, n + 1);
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** n, MAX_RESTART_DELAY_MS);
    logger.warn({ slot, pid: worker.process.pid, code, signal, restartInMs: delay }, 'process died: restarting it');
    setTimeout(() => t.stopping() || fork(slot), delay).unref();
  };
}

/** A child's environment: the primary's, what it was told to add, and the child's slot and role. */
function childEnvOf(o: PrimaryOptions, slot: number, port: number): Record<string, string> {
  return { ...o.childEnv, TICKER_ROLE: slotRole(o.role, slot), TICKER_PROCESS_SLOT: String(slot), PORT: String(port) };
}

/** Starts the children and resolves once every one is serving. */
export async function startPrimary(o: PrimaryOptions): Promise<RunningPrimary> {
  const { logger } = o;
  // A handover carries the bytes read from the connection as a Buffer: JSON would mangle it.
  cluster.setupPrimary({ serialization: 'advanced' });
  aggregateChildMetrics();
  const balancer = createBalancer();
  const server = balancer.server;
  const port = await listen(server, o.port, o.host);

  const slots = new Map<Worker, number>();
  const failures = new Map<number, number>();
  let stopping = false;
  let allExited: () => void = () => undefined;
  let readyCount = 0;
  let allReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (allReady = resolve));

  const fork = (slot: number) => void slots.set(cluster.fork(childEnvOf(o, slot, port)), slot);

  cluster.on('message', (worker, message: unknown) => {
    const slot = slots.get(worker);
    if (slot === undefined) return;
    if (isSessions(message)) return balancer.sessions(slot, message.open);
    if ((message as { type?: unknown } | null)?.type !== CHILD_READY) return;
    failures.set(slot, 0);
    // Only a child that is serving gets connections: one still starting has no one to take them.
    balancer.ready(slot, worker);
    if (++readyCount === o.processes) allReady();
  });
  const table: ChildTable = { slots, failures, stopping: () => stopping, allExited: () => allExited() };
  cluster.on('exit', restartOnExit(table, balancer, logger, fork));

  for (let slot = 0; slot < o.processes; slot++) fork(slot);
  await ready;

  const each = (fn: (w: Worker) => void) => {
    for (const w of slots.keys()) fn(w);
  };
  let stopped: Promise<void> | null = null;
  return {
    port,
    forward: (signal) => each((w) => w.process.kill(signal)),
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        stopping = true;
        // New connections are refused from here; those handed over are the children's to close.
        server.close();
        allExited = resolve;
        if (slots.size === 0) return resolve();
        each((w) => w.process.kill('SIGTERM'));
      })),
    kill: () => each((w) => w.process.kill('SIGKILL')),
  };
}
