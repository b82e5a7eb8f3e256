import { isEverything, sharesTopicOrSymbol, type Headline } from '@headline-ticker/sdk/protocol';
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
  if (isEverything(filter)) return { entitlement, topics: null, symbols: null, refusedTopics: [] };
  const topics = filter.topics ?? [];
  const symbols = filter.symbols ?? [];
  const allowed = topics.filter((t) => allowsTopic(entitlement, t));
  return {
    entitlement,
    topics: new Set(allowed),
    symbols: new Set(symbols),
    refusedTopics: topics.filter((t) => !allowsTopic(entitlement, t)),
  };
}

const NONE: ReadonlySet<string> = new Set();

/** Within the key's entitlement, the protocol's filter matching (a shared topic or symbol). */
export function matches(sub: Subscription, h: Headline): boolean {
  if (!isEntitled(sub.entitlement, h)) return false;
  return sub.topics === null || sharesTopicOrSymbol(h, sub.topics, sub.symbols ?? NONE);
}
