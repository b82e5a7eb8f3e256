import type { Headline } from '@headline-ticker/sdk/protocol';
import { allowsTopic, isEntitled, type Entitlement } from '../access/entitlements.js';

/** A subscription: what a socket (or history call) asked for, within what its key may see. */
export interface Subscription {
  readonly entitlement: Entitlement;
  /** null: everything the key is entitled to */
  readonly topics: ReadonlySet<string> | null;
  readonly symbols: ReadonlySet<string> | null;
  /** requested topics the key is not licensed for */
  readonly refusedTopics: readonly string[];
}

export function subscriptionOf(
  entitlement: Entitlement,
  filter: { topics?: readonly string[] | undefined; symbols?: readonly string[] | undefined },
): Subscription {
  const topics = filter.topics ?? [];
  const symbols = filter.symbols ?? [];
  if (topics.includes('*') || (topics.length === 0 && symbols.length === 0)) {
    return { entitlement, topics: null, symbols: null, refusedTopics: [] };
  }
  const allowed = topics.filter((t) => allowsTopic(entitlement, t));
  return {
    entitlement,
    topics: new Set(allowed),
    symbols: new Set(symbols),
    refusedTopics: topics.filter((t) => !allowsTopic(entitlement, t)),
  };
}

/** Per DESIGN: a headline matches when it shares a topic or a symbol with the filter. */
export function matches(sub: Subscription, h: Headline): boolean {
  if (!isEntitled(sub.entitlement, h)) return false;
  if (sub.topics === null) return true;
  for (const t of h.topics) if (sub.topics.has(t)) return true;
  for (const s of h.symbols) if (sub.symbols?.has(s)) return true;
  return false;
}
