import { z } from 'zod';
import { dayOf } from './usage-keys.js';
import { daysBetween } from './usage-report.js';

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/u, { error: 'must be a UTC day, YYYY-MM-DD' })
  .refine(
    (s) => {
      const t = Date.parse(`${s}T00:00:00Z`);
      return Number.isFinite(t) && dayOf(t) === s;
    },
    { error: 'not a calendar day' },
  );

/** `from`/`to` (UTC days, inclusive; default today) and an optional key name or ref. */
export function usageQuerySchema(maxDays: number, now = () => Date.now()) {
  return z
    .strictObject({
      from: Day.optional(),
      to: Day.optional(),
      key: z.string().min(1).max(128).optional(),
    })
    .transform((q) => {
      const to = q.to ?? dayOf(now());
      const from = q.from ?? to;
      return { from, to, ...(q.key === undefined ? {} : { key: q.key }) };
    })
    .refine((q) => q.from <= q.to, { error: 'from must not be after to', path: ['from'] })
    .refine((q) => daysBetween(q.from, q.to).length <= maxDays, { error: `at most ${maxDays} days (the retention)`, path: ['from'] });
}
