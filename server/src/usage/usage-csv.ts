import type { UsageReport } from './usage-report.js';

export const CSV_HEADER = [
  'day',
  'key_ref',
  'key_name',
  'kind',
  'origin',
  'peak_viewers',
  'connects',
  'deliveries',
  'refused',
  'last_seen',
] as const;

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so a spreadsheet does not run it. */
function cell(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/u.test(s)) s = `'${s}`;
  return /[",\r\n]/u.test(s) ? `"${s.replace(/"/gu, '""')}"` : s;
}

/**
 * One row per day per key (origin empty), then one per day per licensed origin of a widget
 * key: what a vendor bills on. `refused` is the key's refused attempts that day.
 */
export function usageCsv(report: UsageReport): string {
  const rows: (string | number | null)[][] = [[...CSV_HEADER]];
  for (const k of report.keys) {
    for (const d of k.days) {
      rows.push([d.day, k.ref, k.name, k.kind, '', d.peakViewers, d.connects, d.deliveries, d.refused, d.lastSeen]);
      for (const o of k.origins) {
        const od = o.days.find((x) => x.day === d.day)!;
        rows.push([d.day, k.ref, k.name, k.kind, o.origin, od.peakViewers, od.connects, od.deliveries, null, od.lastSeen]);
      }
    }
  }
  return rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
