import type { Job } from 'bullmq';
import type { ScheduledHeadline } from '@headline-ticker/sdk/protocol';
import { IngestJobSchema } from './ingest-jobs.js';

/** Embargoed publishes as the console lists them, soonest first. */
export function scheduledHeadlines(jobs: readonly Job[]): ScheduledHeadline[] {
  const out: ScheduledHeadline[] = [];
  for (const job of jobs) {
    const parsed = IngestJobSchema.safeParse(job.data);
    if (!parsed.success || parsed.data.op !== 'publish') continue;
    const { id, draft, editor } = parsed.data;
    out.push({
      id,
      text: draft.text,
      topics: draft.topics,
      symbols: draft.symbols,
      urgency: draft.urgency,
      embargoUntil: new Date(job.timestamp + (job.opts.delay ?? 0)).toISOString(),
      editor,
    });
  }
  return out.sort((a, b) => a.embargoUntil.localeCompare(b.embargoUntil));
}
