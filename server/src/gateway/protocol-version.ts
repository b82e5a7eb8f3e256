import { SUPPORTED_PROTOCOL_VERSIONS } from '@headline-ticker/sdk/protocol';

/**
 * Whether a client's protocol version (socket `auth.v`, stream `?v=`) is one this server speaks.
 * Absent is accepted: clients from before the version was sent speak version 1.
 */
export function protocolVersionAccepted(v: unknown): boolean {
  if (v === undefined) return true;
  const n = typeof v === 'string' && /^\d{1,3}$/u.test(v) ? Number(v) : v;
  return typeof n === 'number' && SUPPORTED_PROTOCOL_VERSIONS.includes(n);
}
