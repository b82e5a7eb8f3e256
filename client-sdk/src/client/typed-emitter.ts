// A small typed event emitter that runs in Node and browsers alike. A listener that throws
// cannot break the emitter (or the client behind it): the exception is caught and handed to
// `onListenerError()`, and the remaining listeners still run.

/** An interface of one-argument listener signatures, e.g. `{ headline: (h: Headline) => void }`. */
export type EventMap<Events> = { [E in keyof Events]: (arg: never) => void };

/** The one argument a listener of `F` takes. */
export type EventArg<F> = F extends (arg: infer A) => void ? A : never;

type Listener = (arg: unknown) => void;

export class TypedEmitter<Events extends EventMap<Events>> {
  #listeners = new Map<keyof Events, Set<Listener>>();
  /** `once` wrappers by original listener, so `off(event, listener)` removes them too. */
  #onceWrappers = new Map<keyof Events, Map<Listener, Listener>>();

  /** Adds a listener; returns a disposer that removes it. */
  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener as unknown as Listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener for the next event only; returns a disposer. */
  once<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const original = listener as unknown as Listener;
    const wrapper: Listener = (arg) => {
      this.off(event, listener);
      original(arg);
    };
    let wrappers = this.#onceWrappers.get(event);
    if (wrappers === undefined) this.#onceWrappers.set(event, (wrappers = new Map<Listener, Listener>()));
    wrappers.set(original, wrapper);
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(wrapper);
    return () => this.off(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    const original = listener as unknown as Listener;
    const wrappers = this.#onceWrappers.get(event);
    const wrapper = wrappers?.get(original);
    if (wrapper !== undefined) {
      wrappers!.delete(original);
      this.#listeners.get(event)?.delete(wrapper);
    }
    this.#listeners.get(event)?.delete(original);
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
    this.#onceWrappers.clear();
  }

  protected emit<E extends keyof Events>(event: E, arg: EventArg<Events[E]>): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    // A copy, so listeners added or removed during the emit take effect from the next one.
    for (const listener of [...set]) {
      try {
        listener(arg);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  /** Called when a listener throws; subclasses report it (the client emits `error`). */
  protected onListenerError(_event: keyof Events, _err: unknown): void {}
}
