import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { TickerConfig } from '../config/ticker-config.js';
import { entitlementOf, type Entitlement } from './entitlements.js';

export interface KeyRecord {
  /** SHA-256 of the key: its identity across reloads */
  readonly digest: string;
  /** short, non-secret reference for logs: the first 12 hex digits of the key's SHA-256 */
  readonly ref: string;
  readonly name: string;
  readonly entitlement: Entitlement;
  /** set for widget keys: the page origins it may be used from */
  readonly origins: ReadonlySet<string> | null;
  readonly maxConnections: number | null;
}

export interface EditorRecord {
  readonly name: string;
  /** may read usage */
  readonly admin: boolean;
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Looks up a secret by its SHA-256 digest. Secrets are never compared as such: whatever timing
 * a map lookup leaks is about the digest, which says nothing usable about the secret.
 */
function lookup<T>(table: ReadonlyMap<string, T>, secret: string): T | undefined {
  return table.get(sha256Hex(secret));
}

/**
 * Keys and editor tokens from the config file, held as SHA-256 digests only. `replace()` swaps
 * in a reloaded config and emits `changed`, so the gateway can act on revoked keys.
 */
export class AccessRegistry extends EventEmitter<{ changed: [] }> {
  #keys = new Map<string, KeyRecord>();
  #editors = new Map<string, EditorRecord>();
  #groups: Entitlement[] = [];

  constructor(config: TickerConfig) {
    super();
    this.replace(config);
  }

  replace(config: TickerConfig): void {
    const keys = new Map<string, KeyRecord>();
    const groups = new Map<string, Entitlement>();
    for (const k of config.keys) {
      const digest = k.keySha256 ?? sha256Hex(k.key!);
      const entitlement = entitlementOf(k.topics, k.delaySeconds);
      const existing = groups.get(entitlement.group);
      const shared = existing ?? entitlement;
      groups.set(shared.group, shared);
      keys.set(digest, {
        digest,
        ref: digest.slice(0, 12),
        name: k.name,
        entitlement: shared,
        origins: k.origins ? new Set(k.origins) : null,
        maxConnections: k.maxConnections ?? null,
      });
    }
    const editors = new Map<string, EditorRecord>();
    for (const e of config.editors) editors.set(e.tokenSha256 ?? sha256Hex(e.token!), { name: e.name, admin: e.admin ?? false });
    this.#keys = keys;
    this.#editors = editors;
    this.#groups = [...groups.values()];
    this.emit('changed');
  }

  key(secret: string): KeyRecord | undefined {
    return lookup(this.#keys, secret);
  }

  editor(token: string): EditorRecord | undefined {
    return lookup(this.#editors, token);
  }

  /** Every configured key (for usage reports). */
  get keys(): readonly KeyRecord[] {
    return [...this.#keys.values()];
  }

  /** Distinct entitlement classes, for fan-out. */
  get groups(): readonly Entitlement[] {
    return this.#groups;
  }
}
