import { Router } from 'express';
import { TickerError } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import type { Limits } from '../access/limits.js';
import type { UsageRecorder } from '../usage/usage-recorder.js';
import { usageQuerySchema } from '../usage/usage-query.js';
import { editorOf, requireEditor } from './auth.js';
import { parseOr400 } from './http-errors.js';

/** `GET /api/usage?from=&to=&key=`: the usage roll-ups; editors with `admin: true` only. */
export function usageRoutes({ access, limits, usage }: { access: AccessRegistry; limits: Limits; usage: UsageRecorder }): Router {
  const router = Router();
  router.get('/api/usage', requireEditor(access, limits), async (req, res) => {
    if (!editorOf(res).admin) throw new TickerError('forbidden', 'usage is for editors with admin: true in the config');
    const q = parseOr400(usageQuerySchema(usage.config.retentionDays), req.query, 'query');
    const report = await usage.report(q).catch((err: unknown) => {
      throw new TickerError('unavailable', 'the usage store is unreachable; try again', { cause: err });
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json(report);
  });
  return router;
}
