import type { Headline } from '@headline-ticker/sdk/protocol';
import { isEntitled, type Entitlement } from '../access/entitlements.js';
import type { Subscription } from '../log/subscription.js';

// Room naming is the gateway's business: the log matches subscriptions, the gateway maps them
// onto Socket.IO rooms so that one broadcast per event reaches exactly the matching sockets.
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
