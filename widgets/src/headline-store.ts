import type { Headline } from '@headline-ticker/sdk/protocol';
import { matchesFilter, type WidgetFilter } from './widget-filter.js';

/**
 * One widget's headlines: the current version of each, newest first. A correction replaces its
 * headline (same id, same publishedAt, so the same place), a withdrawal removes it, and an
 * event that no longer matches the widget's filter drops it. A few more than `limit` are kept so
 * a withdrawal is filled from below.
 */
export class HeadlineStore {
  #byId = new Map<string, Headline>();
  #filter: WidgetFilter;
  #limit: number;

  constructor(filter: WidgetFilter, limit: number) {
    this.#filter = filter;
    this.#limit = limit;
  }

  configure(filter: WidgetFilter, limit: number): void {
    this.#filter = filter;
    this.#limit = limit;
    for (const [id, h] of this.#byId) if (!matchesFilter(filter, h)) this.#byId.delete(id);
    this.#trim();
  }

  /** Replaces everything with a snapshot. */
  reset(headlines: readonly Headline[]): void {
    this.#byId.clear();
    for (const h of headlines) this.#put(h);
    this.#trim();
  }

  /** Applies one event; true when what the widget shows may have changed. */
  apply(h: Headline): boolean {
    const changed = this.#put(h);
    if (changed) this.#trim();
    return changed;
  }

  /** Newest first, at most `limit`. */
  visible(): Headline[] {
    return this.#sorted().slice(0, this.#limit);
  }

  /** The version of `id` the widget shows now (within `limit`), if any. */
  shown(id: string): Headline | undefined {
    return this.visible().find((h) => h.id === id);
  }

  #put(h: Headline): boolean {
    const old = this.#byId.get(h.id);
    if (old !== undefined && old.version > h.version) return false;
    if (h.status === 'withdrawn' || !matchesFilter(this.#filter, h)) return this.#byId.delete(h.id);
    this.#byId.set(h.id, h);
    return true;
  }

  #sorted(): Headline[] {
    return [...this.#byId.values()].sort(newestFirst);
  }

  #trim(): void {
    const keep = this.#limit + 20;
    if (this.#byId.size <= keep) return;
    for (const h of this.#sorted().slice(keep)) this.#byId.delete(h.id);
  }
}

function newestFirst(a: Headline, b: Headline): number {
  const ta = Date.parse(a.publishedAt);
  const tb = Date.parse(b.publishedAt);
  if (ta !== tb) return (Number.isNaN(tb) ? 0 : tb) - (Number.isNaN(ta) ? 0 : ta);
  return b.seq - a.seq;
}
