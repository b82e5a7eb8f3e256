import type { Headline } from '@headline-ticker/sdk/protocol';

/**
 * What one key is licensed to see. Keys with the same topics and delay form one group, and
 * rooms are named per group, so fan-out work grows with the number of groups, not of sockets.
 */
export interface Entitlement {
  /** 'all' for a `"*"` key */
  readonly topics: ReadonlySet<string> | 'all';
  readonly delaySeconds: number;
  /** stable id of the (topics, delay) class */
  readonly group: string;
}

export function entitlementOf(topics: readonly string[], delaySeconds: number): Entitlement {
  const all = topics.includes('*');
  const sorted = all ? ['*'] : [...new Set(topics)].sort();
  return {
    topics: all ? 'all' : new Set(sorted),
    delaySeconds,
    group: `${sorted.join(',')}/${delaySeconds}`,
  };
}

/** A headline is licensed to a key when it carries one of the key's topics. */
export function isEntitled(e: Entitlement, h: Headline): boolean {
  if (e.topics === 'all') return true;
  for (const t of h.topics) if (e.topics.has(t)) return true;
  return false;
}

export function allowsTopic(e: Entitlement, topic: string): boolean {
  return e.topics === 'all' || e.topics.has(topic);
}
