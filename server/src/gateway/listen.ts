import type { EventEmitter } from 'node:events';

/** Removes what was registered; safe to call more than once. */
export type Disposer = () => void;

/**
 * Registers `fn` for `ev` and returns the disposer that removes it (as socket.io's client does),
 * so a part's `close()` runs what it collected instead of repeating every registration by hand.
 */
export function on<T extends Record<keyof T, unknown[]>, K extends keyof T & string>(
  emitter: EventEmitter<T>,
  ev: K,
  fn: (...args: T[K]) => void,
): Disposer {
  const target = emitter as unknown as EventEmitter;
  const listener = fn as (...args: unknown[]) => void;
  target.on(ev, listener);
  return () => void target.off(ev, listener);
}

/** Runs every disposer once, in order. */
export function disposeAll(disposers: Disposer[]): void {
  for (const dispose of disposers.splice(0)) dispose();
}
