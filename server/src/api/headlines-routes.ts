import { Router, json } from 'express';
import {
  CorrectionInputSchema,
  HeadlineInputSchema,
  HistoryQuerySchema,
} from '@headline-ticker/sdk/schemas';
import { TickerError, type HistoryResponse, type ScheduledResponse } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import type { Limits } from '../access/limits.js';
import type { Metrics } from '../metrics.js';
import type { FeedLog } from '../log/feed-log.js';
import { subscriptionOf } from '../log/subscription.js';
import { queryFeed } from '../log/feed-query.js';
import { HEADLINE_ID_PATTERN } from '../ingest/headline-id.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import { editorOf, keyOf, rateLimited, requireEditor, requireKey } from './auth.js';
import { parseOr400 } from './http-errors.js';

export const BODY_LIMIT = '64kb';

export interface HeadlinesRoutesDeps {
  access: AccessRegistry;
  limits: Limits;
  metrics: Metrics;
  /** absent on a gateway-only node: writes answer 503 there */
  ingest: IngestQueue | null;
  log: FeedLog;
}

function headlineId(raw: string | string[] | undefined): string {
  if (typeof raw !== 'string' || !HEADLINE_ID_PATTERN.test(raw)) throw new TickerError('not_found', 'no such headline');
  return raw;
}

export function headlinesRoutes({ access, limits, metrics, ingest, log }: HeadlinesRoutesDeps): Router {
  const router = Router();
  const body = json({ limit: BODY_LIMIT, strict: false });
  const writer = (): IngestQueue => {
    if (ingest === null) throw new TickerError('unavailable', 'this node does not accept writes');
    return ingest;
  };

  router.post('/api/headlines', requireEditor(access, limits), body, async (req, res) => {
    const draft = parseOr400(HeadlineInputSchema, req.body, 'headline');
    const accepted = await writer().publish(draft, editorOf(res).name);
    metrics.ingested.inc({ op: 'publish' });
    res.status(202).json(accepted);
  });

  router.get('/api/headlines/scheduled', requireEditor(access, limits), async (_req, res) => {
    const body: ScheduledResponse = { scheduled: await writer().scheduled() };
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });

  router.patch('/api/headlines/:id', requireEditor(access, limits), body, async (req, res) => {
    const id = headlineId(req.params['id']);
    const changes = parseOr400(CorrectionInputSchema, req.body, 'correction');
    res.status(202).json(await writer().correct(id, changes, editorOf(res).name));
    metrics.ingested.inc({ op: 'correct' });
  });

  router.delete('/api/headlines/:id', requireEditor(access, limits), async (req, res) => {
    const id = headlineId(req.params['id']);
    const result = await writer().withdraw(id, editorOf(res).name);
    metrics.ingested.inc({ op: result.status === 'cancelled' ? 'cancel' : 'withdraw' });
    res.status(result.status === 'cancelled' ? 200 : 202).json(result);
  });

  router.get('/api/headlines', requireKey(access, limits), async (req, res) => {
    const { entitlement, digest } = keyOf(res);
    const wait = await limits.history(digest);
    if (wait !== null) throw rateLimited(wait, 'too many history requests for this key');
    const q = parseOr400(HistoryQuerySchema, req.query, 'query');
    const sub = subscriptionOf(entitlement, q);
    let upTo: number;
    let head: number;
    let epoch: string;
    try {
      epoch = await log.epoch();
      upTo = head = await log.currentSeq();
      // A delayed key's history ends where its delay does.
      if (entitlement.delaySeconds > 0) upTo = await log.seqAsOf(Date.now() - entitlement.delaySeconds * 1000, head);
    } catch (err) {
      throw new TickerError('unavailable', 'the feed store is unreachable', { cause: err });
    }
    // A delayed key sees each headline in its latest state: what came after its horizon counts.
    const delayed = entitlement.delaySeconds > 0 ? { delaySeconds: entitlement.delaySeconds, head } : undefined;
    // A position from another epoch means nothing now: a fresh snapshot, marked as a reset.
    const otherEpoch = q.epoch !== undefined && q.since !== undefined && q.epoch !== epoch;
    const answer = await queryFeed(log, sub, { since: otherEpoch ? undefined : q.since, limit: q.limit, upTo, delayed });
    if (answer.reset || otherEpoch) metrics.resets.inc();
    const out: HistoryResponse = { ...answer, epoch, ...(otherEpoch ? { reset: true as const } : {}) };
    res.json(out);
  });

  return router;
}
