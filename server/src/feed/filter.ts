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

const ALL = '*';
const topicRoom = (group: string, topic: string) => `${group}|t:${topic}`;
const symbolRoom = (group: string, symbol: string) => `${group}|s:${symbol}`;
const allRoom = (group: string) => `${group}|${ALL}`;

/** The rooms a socket with this subscription joins. */
export function roomsOf(sub: Subscription): string[] {
  const g = sub.entitlement.group;
  if (sub.topics === null) return [allRoom(g)];
  return [...[...sub.topics].map((t) => topicRoom(g, t)), ...[...(sub.symbols ?? [])].map((s) => symbolRoom(g, s))];
}

/**
 * The rooms an event goes to for one entitlement group (empty when the group may not see it).
 * Joined with `roomsOf`, this gives exactly `matches`: a socket is in one of these rooms iff
 * its subscription matches the event.
 */
export function eventRooms(e: Entitlement, h: Headline): string[] {
  if (!isEntitled(e, h)) return [];
  const g = e.group;
  const rooms = [allRoom(g)];
  for (const t of h.topics) rooms.push(topicRoom(g, t));
  for (const s of h.symbols) rooms.push(symbolRoom(g, s));
  return rooms;
}
