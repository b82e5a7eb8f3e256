type Listener = (...args: unknown[]) => void;
/** Node emitters, socket.io sockets and the SDK client all have this shape. */
interface Emitterish {
  once(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** The next `event` from `emitter`, or a rejection naming it after `timeoutMs`. */
export function waitFor<T = unknown>(emitter: object, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const e = emitter as Emitterish;
    const timer = setTimeout(() => {
      e.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args[0] as T);
    };
    e.once(event, listener);
  });
}

/** Polls `check` until it returns true (for state with no event to await, e.g. another process). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
