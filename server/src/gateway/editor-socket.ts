import type { AccessRegistry, KeyRecord } from '../access/access-registry.js';
import { sha256Hex } from '../access/access-registry.js';
import { entitlementOf } from '../access/entitlements.js';

/** The editor console sees every topic, undelayed: it watches what it publishes. */
export const EDITOR_ENTITLEMENT = entitlementOf(['*'], 0);

/**
 * An editor token stands in for an all-topics key on the socket, so the console can follow the
 * feed without holding an API key. The digest is namespaced so it can never equal a key's.
 */
export function editorKeyRecord(access: AccessRegistry, token: string): KeyRecord | undefined {
  const editor = access.editor(token);
  if (editor === undefined) return undefined;
  const digest = `editor:${sha256Hex(token)}`;
  return {
    digest,
    ref: digest.slice(0, 19),
    name: `editor ${editor.name}`,
    entitlement: EDITOR_ENTITLEMENT,
    origins: null,
    maxConnections: null,
  };
}
