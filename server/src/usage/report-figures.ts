import type { UsageKey } from './usage-tally.js';
import { parseSubject } from './usage-keys.js';
import type { DayFigures, Figures, RefusedOrigin } from './usage-report-types.js';

export type Hash = Record<string, string>;
export const num = (h: Hash, field: string): number => Number(h[field] ?? 0);
const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

export interface KeyEntry {
  name: string;
  origins: Set<string>;
  widget: boolean;
}

/** Which keys: the configured ones, and any key with figures in the range (since removed). */
export function keyEntries(known: readonly UsageKey[], dayHashes: readonly Hash[], namesHash: Hash): Map<string, KeyEntry> {
  const entries = new Map<string, KeyEntry>();
  for (const k of known) entries.set(k.ref, { name: k.name, origins: new Set(k.origins ?? []), widget: k.origins !== null });
  const seen = (field: string) => {
    const bar = field.indexOf('|');
    if (bar < 0) return;
    const { ref, origin } = parseSubject(field.slice(bar + 1));
    if (!/^[0-9a-f]{12}$/u.test(ref)) return;
    const e = entries.get(ref) ?? { name: namesHash[ref] ?? ref, origins: new Set<string>(), widget: false };
    if (origin !== null && !field.startsWith('refused|')) {
      e.origins.add(origin);
      e.widget = true;
    }
    entries.set(ref, e);
  };
  for (const h of dayHashes) for (const f of Object.keys(h)) seen(f);
  return entries;
}

/** Sockets open now per subject, summed over the gateways that flushed since `staleBefore`. */
export function openViewers(nowHash: Hash, staleBefore: number): Map<string, number> {
  const openNow = new Map<string, number>();
  for (const [field, value] of Object.entries(nowHash)) {
    const [open, at] = value.split('|').map(Number) as [number, number];
    if (at < staleBefore) continue;
    const subject = field.slice(field.indexOf('|') + 1);
    openNow.set(subject, (openNow.get(subject) ?? 0) + open);
  }
  return openNow;
}

/** A subject's figures over the range's days. */
export function figuresOf(days: readonly string[], dayHashes: readonly Hash[], openNow: Map<string, number>, lastSeenHash: Hash) {
  return (subject: string): Figures => {
    const perDay = days.map((day, i): DayFigures => {
      const h = dayHashes[i]!;
      return {
        day,
        peakViewers: num(h, `peak|${subject}`),
        connects: num(h, `connects|${subject}`),
        deliveries: num(h, `deliveries|${subject}`),
        refused: num(h, `refused|${subject}`),
        lastSeen: iso(num(h, `lastSeen|${subject}`)),
      };
    });
    const last = Math.max(0, ...days.map((_, i) => num(dayHashes[i]!, `lastSeen|${subject}`)));
    return {
      viewersNow: openNow.get(subject) ?? 0,
      peakViewers: Math.max(0, ...perDay.map((d) => d.peakViewers)),
      connects: perDay.reduce((a, d) => a + d.connects, 0),
      deliveries: perDay.reduce((a, d) => a + d.deliveries, 0),
      lastSeen: iso(last > 0 ? last : Number(lastSeenHash[subject] ?? 0)),
      days: perDay,
    };
  };
}

/** The origins a key was refused from, most first: per day a sorted set (origin, count) and a hash (origin, referer). */
export function refusedOrigins(perDay: readonly { z: string[]; referers: Hash }[], topN: number): RefusedOrigin[] {
  const counts = new Map<string, RefusedOrigin>();
  for (const { z, referers } of perDay) {
    for (let j = 0; j < z.length; j += 2) {
      const origin = z[j]!;
      const r = counts.get(origin) ?? { origin, count: 0, referer: null };
      r.count += Number(z[j + 1]);
      r.referer = referers[origin] ?? r.referer;
      counts.set(origin, r);
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.origin.localeCompare(b.origin)).slice(0, topN);
}

/** Addresses with unknown-key attempts in the two minutes kept, most first. */
export function recentAddresses(...minutes: string[][]): { address: string; count: number }[] {
  const addresses = new Map<string, number>();
  for (const z of minutes) for (let j = 0; j < z.length; j += 2) addresses.set(z[j]!, (addresses.get(z[j]!) ?? 0) + Number(z[j + 1]));
  return [...addresses].map(([address, count]) => ({ address, count })).sort((a, b) => b.count - a.count);
}
