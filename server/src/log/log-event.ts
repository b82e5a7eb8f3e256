import type { Headline } from '@headline-ticker/sdk/protocol';

/**
 * One entry of the feed log as the server reads it: the event, and the version it replaced
 * (recorded by the append script in the same step), so a change reaches every reader who could
 * have seen the previous version — even one whose topics the new version no longer carries.
 */
export interface LogEvent {
  readonly h: Headline;
  /** the headline's previous event (null for a first publication) */
  readonly prev: Headline | null;
}

/**
 * What a reader who could see `prev` but may not see `h` is told: that the headline is
 * withdrawn, carrying only the version it was licensed to see. A complete `Headline`, valid
 * under the schema, at the new event's seq.
 */
export function withdrawalOf(prev: Headline, h: Headline): Headline {
  return { ...prev, seq: h.seq, version: h.version, status: 'withdrawn', updatedAt: h.updatedAt };
}

/**
 * What one reader sees of an event, given what it may see (`visible`): the event itself; a
 * withdrawal of the previous version when only that was visible; or nothing.
 */
export function viewOf(ev: LogEvent, visible: (h: Headline) => boolean): Headline | null {
  if (visible(ev.h)) return ev.h;
  if (ev.prev !== null && ev.prev.status !== 'withdrawn' && visible(ev.prev)) return withdrawalOf(ev.prev, ev.h);
  return null;
}

/** A pub/sub announcement: `{ e, p }` (or a bare event, as older workers sent). */
export function parseAnnouncement(raw: string): LogEvent {
  const m = JSON.parse(raw) as { e?: Headline; p?: Headline | null } & Partial<Headline>;
  if (m.e !== undefined) return { h: m.e, prev: m.p ?? null };
  return { h: m as Headline, prev: null };
}
