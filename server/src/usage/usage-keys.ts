// Where usage lives in Redis, and the UTC time buckets it is rolled up into. Every key here
// carries a TTL, so what is stored is bounded by retention × keys × licensed origins.

/** `YYYY-MM-DD` (UTC) */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** `YYYY-MM-DDTHH` (UTC) */
export const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);
/** `YYYY-MM-DDTHH:mm` (UTC) */
export const minuteOf = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/**
 * A subject is what is counted: a key (its ref), or a widget key on one of its licensed origins
 * (`ref|origin`). Licensed origins come from the config, so subjects are bounded by it.
 */
export const subjectOf = (ref: string, origin?: string): string => (origin === undefined ? ref : `${ref}|${origin}`);

export function parseSubject(subject: string): { ref: string; origin: string | null } {
  const bar = subject.indexOf('|');
  return bar < 0 ? { ref: subject, origin: null } : { ref: subject.slice(0, bar), origin: subject.slice(bar + 1) };
}

/** Origin recorded for a refused handshake that sent none. */
export const NO_ORIGIN = '(none)';

export function usageKeys(prefix: string) {
  const base = `${prefix}:usage`;
  return {
    /** hash per minute: `gateway|subject` → that gateway's most concurrent sockets in the minute */
    minute: (m: string) => `${base}:min:${m}`,
    /** hash per hour: `peak|subject`, `connects|subject`, `deliveries|subject` */
    hour: (h: string) => `${base}:hour:${h}`,
    /** hash per day: as the hour, plus `lastSeen|subject`, `refused|ref`, `unknown` */
    day: (d: string) => `${base}:day:${d}`,
    /** hash: `gateway|subject` → `count|ms` (sockets open now at that gateway, written at ms) */
    now: `${base}:now`,
    /** hash: subject → last ms a socket was open or connected (kept as long as the roll-ups) */
    lastSeen: `${base}:last-seen`,
    /** hash: ref → key name, so a report can name keys since removed from the config */
    names: `${base}:names`,
    /** sorted set per key per day: origin → refused attempts (top N) */
    refused: (d: string, ref: string) => `${base}:refused:${d}:${ref}`,
    /** hash per key per day: origin → last referring page sent with a refused attempt */
    referer: (d: string, ref: string) => `${base}:referer:${d}:${ref}`,
    /** sorted set per minute: address → attempts with an unknown key (kept two minutes only) */
    unknownAddresses: (m: string) => `${base}:unknown-addr:${m}`,
  };
}

export type UsageKeys = ReturnType<typeof usageKeys>;

/** How long a per-address counter lives: the flood window, no longer. */
export const ADDRESS_TTL_SECONDS = 120;
/** Minute hashes are needed only until their hour's peak is settled. */
export const MINUTE_TTL_SECONDS = 2 * 3600;
