import { Router, json, type RequestHandler } from 'express';
import { CorrectionInputSchema, HeadlineInputSchema, HistoryQuerySchema } from '@headline-ticker/sdk/schemas';
import { TickerError, type ScheduledResponse } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import type { AddressLimits } from '../access/address-limits.js';
import type { Limits } from '../access/limits.js';
import type { Metrics } from '../metrics.js';
import type { FeedLog } from '../log/feed-log.js';
import { HEADLINE_ID_PATTERN } from '../ingest/headline-id.js';
import type { IngestQueue } from '../ingest/ingest-queue.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { editorOf, keyOf, rateLimited, requireEditor, requireKey } from './auth.js';
import { parseOr400 } from './http-errors.js';
import { historyAnswer } from './history.js';

export const BODY_LIMIT = '64kb';

export interface HeadlinesRoutesDeps {
  access: AccessRegistry;
  limits: Limits;
  metrics: Metrics;
  /** absent on a gateway-only node: writes answer 503 there */
  ingest: IngestQueue | null;
  log: FeedLog;
  addressLimits: AddressLimits;
  /** licence usage: refused widget-key requests are recorded */
  usage?: UsageRecorder | null;
}

function headlineId(raw: string | string[] | undefined): string {
  if (typeof raw !== 'string' || !HEADLINE_ID_PATTERN.test(raw)) throw new TickerError('not_found', 'no such headline');
  return raw;
}

export function headlinesRoutes({ access, limits, metrics, ingest, log, addressLimits, usage }: HeadlinesRoutesDeps): Router {
  const router = Router();
  const body = json({ limit: BODY_LIMIT, strict: false });
  // Each write by an editor counts: a flood (or a leaked token) must not grow the log unbounded.
  const writeLimit: RequestHandler = (_req, res, next) => {
    void limits
      .publish(editorOf(res).name)
      .then((wait) => next(wait === null ? undefined : rateLimited(wait, 'too many writes by this editor')));
  };
  const writer = (): IngestQueue => {
    if (ingest === null) throw new TickerError('unavailable', 'this node does not accept writes');
    return ingest;
  };

  router.post('/api/headlines', requireEditor(access, limits), writeLimit, body, async (req, res) => {
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

  router.patch('/api/headlines/:id', requireEditor(access, limits), writeLimit, body, async (req, res) => {
    const id = headlineId(req.params['id']);
    const changes = parseOr400(CorrectionInputSchema, req.body, 'correction');
    res.status(202).json(await writer().correct(id, changes, editorOf(res).name));
    metrics.ingested.inc({ op: 'correct' });
  });

  router.delete('/api/headlines/:id', requireEditor(access, limits), writeLimit, async (req, res) => {
    const id = headlineId(req.params['id']);
    const result = await writer().withdraw(id, editorOf(res).name);
    metrics.ingested.inc({ op: result.status === 'cancelled' ? 'cancel' : 'withdraw' });
    res.status(result.status === 'cancelled' ? 200 : 202).json(result);
  });

  router.get('/api/headlines', requireKey(access, limits, usage), async (req, res) => {
    const { entitlement, digest } = keyOf(res);
    const near = addressLimits.history(req.ip ?? 'unknown');
    if (near !== null) throw rateLimited(near, 'too many history requests from this address');
    const wait = await limits.history(digest);
    if (wait !== null) throw rateLimited(wait, 'too many history requests for this key');
    const q = parseOr400(HistoryQuerySchema, req.query, 'query');
    res.json(await historyAnswer(log, metrics, entitlement, q));
  });

  return router;
}
