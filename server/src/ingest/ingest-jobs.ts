import { z } from 'zod';
import { CorrectionInputSchema, HeadlineInputSchema, IsoTimeSchema } from '@headline-ticker/sdk/schemas';

export const INGEST_QUEUE = 'ingest';

const DraftSchema = HeadlineInputSchema.omit({ idempotencyKey: true, embargoUntil: true }).extend({
  /** the item's own time (feeds); desk flashes take the time of publication */
  publishedAt: IsoTimeSchema.optional(),
});
export type PublishDraft = z.output<typeof DraftSchema>;

/** Job payloads are read back from Redis, so they are validated again on the way in. */
export const IngestJobSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('publish'), id: z.string(), draft: DraftSchema, editor: z.string() }),
  z.object({
    op: z.literal('correct'),
    id: z.string(),
    changes: CorrectionInputSchema.transform(({ idempotencyKey: _, ...rest }) => rest),
    editor: z.string(),
  }),
  z.object({ op: z.literal('withdraw'), id: z.string(), editor: z.string() }),
]);
export type IngestJob = z.input<typeof IngestJobSchema>;
export type ParsedIngestJob = z.output<typeof IngestJobSchema>;

/** BullMQ job ids (no ':' allowed). A publish job id derives from the headline id, so the
 * same headline can never be queued twice. */
export const publishJobId = (id: string) => `pub-${id}`;
