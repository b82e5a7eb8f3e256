// One flush for every widget on the page: attribute changes and feed events mark an element
// dirty, and a single microtask renders them all, so a burst becomes one DOM update.
export interface Renderable {
  render(): void;
}

const dirty = new Set<Renderable>();
let queued = false;

export function scheduleRender(target: Renderable): void {
  dirty.add(target);
  if (queued) return;
  queued = true;
  queueMicrotask(flush);
}

function flush(): void {
  queued = false;
  const batch = [...dirty];
  dirty.clear();
  for (const target of batch) target.render();
}

// One ResizeObserver for every tape on the page: a width change retunes its loop's duration.
type Resized = () => void;
const resizeTargets = new WeakMap<Element, Resized>();
let observer: ResizeObserver | null = null;

/** Calls `onResize` when `el` changes size; the returned function stops it. */
export function observeResize(el: Element, onResize: Resized): () => void {
  if (typeof ResizeObserver === 'undefined') return () => undefined;
  observer ??= new ResizeObserver((entries) => {
    for (const e of entries) resizeTargets.get(e.target)?.();
  });
  resizeTargets.set(el, onResize);
  observer.observe(el);
  return () => {
    resizeTargets.delete(el);
    observer?.unobserve(el);
  };
}
