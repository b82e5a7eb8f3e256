// Reads the roll-ups back for the API, the console and the CSV export. Bounded by the range
// (days, capped by retention) and the number of keys: never a scan of Redis.
import type { RedisClient } from '../redis/connection.js';
import type { UsageConfig } from './usage-config.js';
import { staleAfterMs } from './usage-flusher.js';
import { DAY_MS, HOUR_MS, dayOf, hourOf, minuteOf, subjectOf, type UsageKeys } from './usage-keys.js';
import { figuresOf, keyEntries, num, openViewers, recentAddresses, refusedOrigins, type Hash } from './report-figures.js';
import type { KeyUsage, UsageReport } from './usage-report-types.js';
import type { UsageKey } from './usage-tally.js';

export type { DayFigures, Figures, KeyUsage, RefusedOrigin, UsageReport } from './usage-report-types.js';

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

/** Runs a pipeline; a failed command fails the whole read. */
async function results(read: ReturnType<RedisClient['pipeline']>): Promise<unknown[]> {
  return ((await read.exec()) ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

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
  const all = await results(read);
  const dayHashes = all.slice(0, days.length) as Hash[];
  const hourHashes = all.slice(days.length, days.length + 24) as Hash[];
  const [nowHash, lastSeenHash, namesHash, addrNow, addrPrev] = all.slice(days.length + 24) as [Hash, Hash, Hash, string[], string[]];

  const entries = keyEntries(known, dayHashes, namesHash);
  const figures = figuresOf(days, dayHashes, openViewers(nowHash, now - staleAfterMs(config)), lastSeenHash);
  const filter = q.key;
  const wanted = [...entries].filter(([ref, e]) => filter === undefined || filter === ref || filter === e.name);
  const refusedRead = redis.pipeline();
  for (const [ref] of wanted) {
    for (const d of days) refusedRead.zrange(keys.refused(d, ref), 0, -1, 'WITHSCORES').hgetall(keys.referer(d, ref));
  }
  const refusedResults = await results(refusedRead);

  const out: KeyUsage[] = wanted.map(([ref, e], k) => {
    const perDay = days.map((_, i) => {
      const base = (k * days.length + i) * 2;
      return { z: refusedResults[base] as string[], referers: refusedResults[base + 1] as Hash };
    });
    const subject = subjectOf(ref);
    return {
      ref,
      name: e.name,
      kind: e.widget ? 'widget' : 'api',
      ...figures(subject),
      origins: [...e.origins].sort().map((origin) => ({ origin, ...figures(subjectOf(ref, origin)) })),
      lastDay: hours.map((hour, i) => ({ hour, peakViewers: num(hourHashes[i]!, `peak|${subject}`) })),
      refused: { total: dayHashes.reduce((a, h) => a + num(h, `refused|${ref}`), 0), origins: refusedOrigins(perDay, config.refusedTopN) },
    };
  });

  return {
    from: q.from,
    to: q.to,
    generatedAt: new Date(now).toISOString(),
    keys: out.sort((a, b) => a.name.localeCompare(b.name)),
    unknownKeys: {
      attempts: dayHashes.reduce((a, h) => a + num(h, 'unknown'), 0),
      recentAddresses: recentAddresses(addrNow, addrPrev),
    },
  };
}
