import type { KeyRecord } from './access-registry.js';
import type { ConnectionCounter } from './connection-counter.js';

/**
 * A connection admitted under `key` (the record in force once its slot was held); `release`
 * gives the slot back, once (null: the key has no cap, so no slot was taken).
 */
export interface Admitted {
  ok: true;
  key: KeyRecord;
  release: (() => void) | null;
}

/** Why admission failed: the key was revoked (or its origin unlicensed) meanwhile, it is at its cap, or the client left. */
export interface Refused {
  ok: false;
  reason: 'revoked' | 'too_many_connections' | 'gone';
}

export interface SlotRequest {
  connections: ConnectionCounter;
  /** the key as it stands now, or undefined when revoked or no longer licensed for the client's origin */
  current: () => KeyRecord | undefined;
  /** whether the client has already gone away */
  gone: () => boolean;
  /** the key as `current()` answered just before the call, when the caller has it (saves a lookup) */
  checked?: KeyRecord;
}

/** A reload changes maxConnections this many times during one admission at most before it gives up. */
const MAX_ATTEMPTS = 4;

/**
 * Takes the key's `maxConnections` slot and answers with the key record in force once it is
 * held. The slot is counted in Redis, so a reload can land while it is awaited: the record read
 * before is then stale (a narrowed licence, a revoked key). After the await the key is looked up
 * again; revoked or gone means the slot is given back and the client refused; a changed cap means
 * the slot is taken again under it; otherwise the fresh record is what the connection runs under.
 */
export async function acquireSlot({ connections, current, gone, checked }: SlotRequest): Promise<Admitted | Refused> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const key = attempt === 0 && checked !== undefined ? checked : current();
    if (key === undefined) return { ok: false, reason: 'revoked' };
    if (gone()) return { ok: false, reason: 'gone' };
    if (key.maxConnections === null) return { ok: true, key, release: null };
    // Redis unreachable: admitted (the cap is a licence term, not a safety limit).
    const admitted = await connections.tryAcquire(key.digest, key.maxConnections).catch(() => true);
    if (!admitted) return { ok: false, reason: 'too_many_connections' };
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      connections.release(key.digest);
    };
    const fresh = current();
    if (fresh === undefined) return (release(), { ok: false, reason: 'revoked' });
    if (gone()) return (release(), { ok: false, reason: 'gone' });
    if (fresh.maxConnections === key.maxConnections) return { ok: true, key: fresh, release };
    release();
  }
  return { ok: false, reason: 'too_many_connections' };
}
