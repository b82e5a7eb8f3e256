// Reads the roll-ups back for the API, the console and the CSV export. Bounded by the range
// (days, capped by retention) and the number of keys: never a scan of Redis.
import type { DayFigures, Figures, KeyUsage, RefusedOrigin, UsageReport } from '@headline-ticker/sdk/protocol';
import type { RedisClient } from '../redis/connection.js';
import type { UsageConfig } from './usage-config.js';
import { staleAfterMs } from './usage-flusher.js';
import { DAY_MS, HOUR_MS, dayOf, hourOf, minuteOf, parseSubject, subjectOf, type UsageKeys } from './usage-keys.js';
import type { UsageKey } from './usage-tally.js';

// The report's wire shape is part of the protocol (GET /api/usage); re-exported here.
export type { DayFigures, Figures, KeyUsage, RefusedOrigin, UsageReport };

export interface ReportQuery {
  from: string;
  to: string;
  /** a key's name or ref: only that key */
  key?: string;
}

export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) days.push(dayOf(t));
  return days;
}

type Hash = Record<string, string>;
const num = (h: Hash, field: string): number => Number(h[field] ?? 0);
const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

export async function usageReport(
  redis: RedisClient,
  keys: UsageKeys,
  config: UsageConfig,
  known: readonly UsageKey[],
  q: ReportQuery,
  now = Date.now(),
): Promise<UsageReport> {
  const days = daysBetween(q.from, q.to);
  const hours = Array.from({ length: 24 }, (_, i) => hourOf(now - (23 - i) * HOUR_MS));
  const read = redis.pipeline();
  for (const d of days) read.hgetall(keys.day(d));
  for (const h of hours) read.hgetall(keys.hour(h));
  read.hgetall(keys.now).hgetall(keys.lastSeen).hgetall(keys.names);
  read.zrange(keys.unknownAddresses(minuteOf(now)), 0, -1, 'WITHSCORES');
  read.zrange(keys.unknownAddresses(minuteOf(now - 60_000)), 0, -1, 'WITHSCORES');
  const results = ((await read.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  const dayHashes = results.slice(0, days.length) as Hash[];
  const hourHashes = results.slice(days.length, days.length + 24) as Hash[];
  const [nowHash, lastSeenHash, namesHash, addrNow, addrPrev] = results.slice(days.length + 24) as [Hash, Hash, Hash, string[], string[]];

  // Which keys: the configured ones, and any key with figures in the range (since removed).
  const entries = new Map<string, { name: string; origins: Set<string>; widget: boolean }>();
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

  const staleBefore = now - staleAfterMs(config);
  const openNow = new Map<string, number>();
  for (const [field, value] of Object.entries(nowHash)) {
    const [open, at] = value.split('|').map(Number) as [number, number];
    if (at < staleBefore) continue;
    const subject = field.slice(field.indexOf('|') + 1);
    openNow.set(subject, (openNow.get(subject) ?? 0) + open);
  }

  const figures = (subject: string): Figures => {
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

  const filter = q.key;
  const wanted = [...entries].filter(([ref, e]) => filter === undefined || filter === ref || filter === e.name);
  const refusedRead = redis.pipeline();
  for (const [ref] of wanted) {
    for (const d of days) refusedRead.zrange(keys.refused(d, ref), 0, -1, 'WITHSCORES').hgetall(keys.referer(d, ref));
  }
  const refusedResults = ((await refusedRead.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });

  const out: KeyUsage[] = wanted.map(([ref, e], k) => {
    const counts = new Map<string, RefusedOrigin>();
    for (let i = 0; i < days.length; i++) {
      const base = (k * days.length + i) * 2;
      const z = refusedResults[base] as string[];
      const referers = refusedResults[base + 1] as Hash;
      for (let j = 0; j < z.length; j += 2) {
        const origin = z[j]!;
        const r = counts.get(origin) ?? { origin, count: 0, referer: null };
        r.count += Number(z[j + 1]);
        r.referer = referers[origin] ?? r.referer;
        counts.set(origin, r);
      }
    }
    const subject = subjectOf(ref);
    return {
      ref,
      name: e.name,
      kind: e.widget ? 'widget' : 'api',
      ...figures(subject),
      origins: [...e.origins].sort().map((origin) => ({ origin, ...figures(subjectOf(ref, origin)) })),
      lastDay: hours.map((hour, i) => ({ hour, peakViewers: num(hourHashes[i]!, `peak|${subject}`) })),
      refused: {
        total: dayHashes.reduce((a, h) => a + num(h, `refused|${ref}`), 0),
        origins: [...counts.values()].sort((a, b) => b.count - a.count || a.origin.localeCompare(b.origin)).slice(0, config.refusedTopN),
      },
    };
  });

  const addresses = new Map<string, number>();
  for (const z of [addrNow, addrPrev]) for (let j = 0; j < z.length; j += 2) addresses.set(z[j]!, (addresses.get(z[j]!) ?? 0) + Number(z[j + 1]));
  return {
    from: q.from,
    to: q.to,
    generatedAt: new Date(now).toISOString(),
    keys: out.sort((a, b) => a.name.localeCompare(b.name)),
    unknownKeys: {
      attempts: dayHashes.reduce((a, h) => a + num(h, 'unknown'), 0),
      recentAddresses: [...addresses].map(([address, count]) => ({ address, count })).sort((a, b) => b.count - a.count),
    },
  };
}
