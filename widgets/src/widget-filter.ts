import { isEverything, LIST_MAX, sharesTopicOrSymbol, SYMBOL_PATTERN, TOPIC_PATTERN, type Headline } from '@headline-ticker/sdk/protocol';

// What one widget shows, read from its `topics` and `symbols` attributes. The patterns and caps
// are the protocol's (zod-free, so the embed script stays small). A malformed entry is dropped rather than sent,
// since the server refuses a whole subscribe for one bad topic.
/** the protocol's list cap, under the name the widget uses */
export const FILTER_LIST_MAX = LIST_MAX;

export interface WidgetFilter {
  /** empty with empty symbols: everything the key may see */
  readonly topics: readonly string[];
  readonly symbols: readonly string[];
}

function list(raw: string | null, normalise: (s: string) => string, pattern: RegExp): string[] {
  if (raw === null) return [];
  const out = new Set<string>();
  for (const part of raw.split(/[\s,]+/u)) {
    const s = normalise(part);
    if (s === '*' || pattern.test(s)) out.add(s);
  }
  return [...out].slice(0, FILTER_LIST_MAX);
}

export function parseFilter(topics: string | null, symbols: string | null): WidgetFilter {
  return {
    topics: list(topics, (s) => s.trim().toLowerCase(), TOPIC_PATTERN),
    symbols: list(symbols, (s) => s.trim().toUpperCase(), SYMBOL_PATTERN).filter((s) => s !== '*'),
  };
}

/** The protocol's "everything" rule and matching (`@headline-ticker/sdk/protocol`), on a widget's filter. */
export function matchesFilter(f: WidgetFilter, h: Pick<Headline, 'topics' | 'symbols'>): boolean {
  return isEverything(f) || sharesTopicOrSymbol(h, f.topics, f.symbols);
}

/**
 * The one filter a shared connection subscribes with: the union of its widgets' filters.
 * Past the server's list limit it asks for everything and lets each widget filter.
 */
export function unionFilter(filters: Iterable<WidgetFilter>): WidgetFilter {
  const topics = new Set<string>();
  const symbols = new Set<string>();
  for (const f of filters) {
    if (isEverything(f)) return { topics: [], symbols: [] };
    for (const t of f.topics) topics.add(t);
    for (const s of f.symbols) symbols.add(s);
  }
  if (topics.size > FILTER_LIST_MAX || symbols.size > FILTER_LIST_MAX) return { topics: [], symbols: [] };
  return { topics: [...topics].sort(), symbols: [...symbols].sort() };
}

/** True when everything `inner` matches, `outer` matches too. */
export function covers(outer: WidgetFilter, inner: WidgetFilter): boolean {
  if (isEverything(outer)) return true;
  if (isEverything(inner)) return false;
  return inner.topics.every((t) => outer.topics.includes(t)) && inner.symbols.every((s) => outer.symbols.includes(s));
}
