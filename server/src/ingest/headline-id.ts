import { randomBytes } from 'node:crypto';

export const HEADLINE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/u;

/** Time-ordered and unguessable: 8 base-36 digits of milliseconds, then 72 random bits. */
export function newHeadlineId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomBytes(9).toString('base64url')}`;
}
