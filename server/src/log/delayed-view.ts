import type { Headline } from '@headline-ticker/sdk/protocol';
import type { LogEvent } from './log-event.js';

// A delayed key gets the latest state of each headline: an event is passed over when the next
// event of the same headline was made before this one's delay ran out (the delay line drops it
// from its queue the moment the newer one arrives). What the key last saw is then the `prev` of
// the newer event; a withdrawal of a headline the key never saw is not shown at all.

const at = (h: Headline) => Date.parse(h.updatedAt);

/** Whether `h` is overtaken, for delay `delayMs`, by the next event of its headline (`nextAt`). */
export const overtaken = (h: Headline, nextAt: number | undefined, delayMs: number): boolean =>
  nextAt !== undefined && nextAt < at(h) + delayMs;

/** The earliest time of a later event, per headline id, in `later` (events after the horizon). */
export function nextEventTimes(later: readonly LogEvent[]): Map<string, number> {
  const next = new Map<string, number>();
  for (const { h } of later) if (!next.has(h.id)) next.set(h.id, at(h));
  return next;
}

/**
 * The events a delay lane releases, from `events` (in seq order, up to the horizon) given the
 * events after it (`later`): overtaken ones left out, `prev` set to what the lane last released
 * of that headline (null when nothing), and withdrawals of never-released headlines left out.
 */
export function delayedEvents(events: readonly LogEvent[], later: readonly LogEvent[], delayMs: number): LogEvent[] {
  const next = nextEventTimes(later);
  const overtakenAt = new Array<boolean>(events.length);
  for (let i = events.length - 1; i >= 0; i--) {
    const { h } = events[i]!;
    overtakenAt[i] = overtaken(h, next.get(h.id), delayMs);
    next.set(h.id, at(h));
  }
  const shown = new Map<string, Headline | null>();
  const out: LogEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const ev = events[i]!;
    const { h } = ev;
    let prev: Headline | null;
    if (shown.has(h.id)) prev = shown.get(h.id)!;
    else if (ev.prev !== null && overtaken(ev.prev, at(h), delayMs)) {
      // The previous version was itself overtaken; only a first publication is known for sure
      // never to have been released (an older chain is beyond this read).
      prev = ev.prev.version === 1 ? null : ev.prev;
    } else prev = ev.prev;
    if (overtakenAt[i]) {
      if (!shown.has(h.id)) shown.set(h.id, prev);
      continue;
    }
    shown.set(h.id, h);
    if (prev === null && h.status === 'withdrawn' && h.version > 1) continue;
    out.push({ h, prev });
  }
  return out;
}
