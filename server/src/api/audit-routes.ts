import { Router } from 'express';
import { z } from 'zod';
import { AUDIT_LIMIT_MAX, TickerError, type AuditResponse } from '@headline-ticker/sdk/protocol';
import type { AccessRegistry } from '../access/access-registry.js';
import { AUDIT_ACTIONS } from '@headline-ticker/sdk/protocol';
import type { AuditLog } from '../log/audit-log.js';
import { HEADLINE_ID_PATTERN } from '../ingest/headline-id.js';
import type { Limits } from '../access/limits.js';
import { requireEditor } from './auth.js';
import { parseOr400 } from './http-errors.js';

export const AuditQuerySchema = z.strictObject({
  id: z.string().regex(HEADLINE_ID_PATTERN, { error: 'id must be a headline id' }).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_LIMIT_MAX).default(100),
  /** only entries of this action, e.g. `failed`: changes that never went out */
  action: z.enum(AUDIT_ACTIONS).optional(),
});

export type { AuditResponse };

/** `GET /api/audit?id=&action=&limit=`: who did what, newest first; editors only. */
export function auditRoutes({ access, limits, audit }: { access: AccessRegistry; limits: Limits; audit: AuditLog }): Router {
  const router = Router();
  router.get('/api/audit', requireEditor(access, limits), async (req, res) => {
    const q = parseOr400(AuditQuerySchema, req.query, 'query');
    const entries = await audit.list(q).catch((err: unknown) => {
      throw new TickerError('unavailable', 'the audit store is unreachable; try again', { cause: err });
    });
    const out: AuditResponse = { entries };
    res.json(out);
  });
  return router;
}
