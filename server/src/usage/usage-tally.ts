// The hot path: connects, disconnects, deliveries and refusals are counted here, in memory,
// and drained by the flusher every few seconds. Nothing in this file touches Redis.
import { NO_ORIGIN, subjectOf } from './usage-keys.js';

/** What usage needs to know about a key (a subset of the access registry's KeyRecord). */
export interface UsageKey {
  readonly ref: string;
  readonly name: string;
  /** set for widget keys */
  readonly origins: ReadonlySet<string> | null;
}

interface SubjectCount {
  open: number;
  /** most sockets open at once since the last drain */
  windowMax: number;
  connects: number;
  deliveries: number;
  lastSeen: number;
}

export interface SubjectSnapshot {
  subject: string;
  open: number;
  windowMax: number;
  connects: number;
  deliveries: number;
  /** 0 when nothing was open or connected since the last drain */
  lastSeen: number;
}

export interface RefusedSnapshot {
  ref: string;
  origin: string;
  count: number;
  referer: string | null;
}

export interface TallySnapshot {
  subjects: SubjectSnapshot[];
  names: Map<string, string>;
  refused: RefusedSnapshot[];
  unknown: { total: number; byAddress: Map<string, number> };
}

/** Distinct refused origins / unknown-key addresses held between drains; the rest are summed. */
export const MAX_PENDING = 10_000;
export const OVERFLOW_ORIGIN = '(other origins)';
const MAX_ORIGIN_CHARS = 200;
const MAX_REFERER_CHARS = 500;

/** A header value as stored: control characters dropped, length capped. */
export function cleanHeader(value: string | undefined, max: number): string | null {
  if (value === undefined) return null;

  const s = value.replace(/[\u0000-\u001f\u007f]/gu, '').slice(0, max);
  return s === '' ? null : s;
}

export class UsageTally {
  readonly #subjects = new Map<string, SubjectCount>();
  /** socket id → the subjects it counts for (its key, and its key on its origin) */
  readonly #sockets = new Map<string, { counts: SubjectCount[]; broadcast: number }>();
  /** numbers broadcasts, so a socket in several of an event's rooms is counted once */
  #broadcast = 0;
  #names = new Map<string, string>();
  #refused = new Map<string, RefusedSnapshot>();
  #unknownTotal = 0;
  #unknownByAddress = new Map<string, number>();
  /** deliveries already drained, per subject: bounded by the configured keys */
  readonly #deliveredBefore = new Map<string, number>();

  #subject(subject: string): SubjectCount {
    let c = this.#subjects.get(subject);
    if (c === undefined) {
      c = { open: 0, windowMax: 0, connects: 0, deliveries: 0, lastSeen: 0 };
      this.#subjects.set(subject, c);
    }
    return c;
  }

  connected(socketId: string, key: UsageKey, origin: string | undefined, now = Date.now()): void {
    this.#names.set(key.ref, key.name);
    const subjects = [subjectOf(key.ref)];
    if (key.origins !== null && origin !== undefined && key.origins.has(origin)) subjects.push(subjectOf(key.ref, origin));
    const counts = subjects.map((s) => this.#subject(s));
    for (const c of counts) {
      c.open += 1;
      c.connects += 1;
      c.windowMax = Math.max(c.windowMax, c.open);
      c.lastSeen = now;
    }
    this.#sockets.set(socketId, { counts, broadcast: 0 });
  }

  disconnected(socketId: string, now = Date.now()): void {
    const counts = this.#sockets.get(socketId)?.counts;
    if (counts === undefined) return;
    this.#sockets.delete(socketId);
    for (const c of counts) {
      c.open -= 1;
      c.lastSeen = now;
    }
  }

  /**
   * One broadcast to the union of `rooms` (each a set of socket ids): every socket in at least
   * one of them receives the event once, as Socket.IO sends it, so each is counted once.
   */
  delivered(rooms: Iterable<ReadonlySet<string> | undefined>): void {
    const broadcast = ++this.#broadcast;
    for (const room of rooms) {
      if (room === undefined) continue;
      for (const id of room) {
        const socket = this.#sockets.get(id);
        if (socket === undefined || socket.broadcast === broadcast) continue;
        socket.broadcast = broadcast;
        for (const c of socket.counts) c.deliveries += 1;
      }
    }
  }

  /** One delivery to one connection: an SSE stream is written to alone, not through rooms. */
  deliveredTo(id: string): void {
    for (const c of this.#sockets.get(id)?.counts ?? []) c.deliveries += 1;
  }

  /** Sockets of a subject open now at this gateway (for metrics). */
  openOf(subject: string): number {
    return this.#subjects.get(subject)?.open ?? 0;
  }

  /** Deliveries to a subject's sockets since this gateway started (for metrics). */
  deliveredTotal(subject: string): number {
    return (this.#deliveredBefore.get(subject) ?? 0) + (this.#subjects.get(subject)?.deliveries ?? 0);
  }

  /** A known key refused for its origin (foreign, or none sent). */
  refused(key: UsageKey, origin: string | undefined, referer: string | undefined): void {
    this.#names.set(key.ref, key.name);
    let o = cleanHeader(origin, MAX_ORIGIN_CHARS) ?? NO_ORIGIN;
    let id = `${key.ref} ${o}`;
    if (!this.#refused.has(id) && this.#refused.size >= MAX_PENDING) {
      o = OVERFLOW_ORIGIN;
      id = `${key.ref} ${o}`;
    }
    const r = this.#refused.get(id) ?? { ref: key.ref, origin: o, count: 0, referer: null };
    r.count += 1;
    r.referer = cleanHeader(referer, MAX_REFERER_CHARS) ?? r.referer;
    this.#refused.set(id, r);
  }

  /** A missing or unknown key: counted per address; the key itself is not kept. */
  unknownKey(address: string): void {
    this.#unknownTotal += 1;
    if (this.#unknownByAddress.has(address) || this.#unknownByAddress.size < MAX_PENDING) {
      this.#unknownByAddress.set(address, (this.#unknownByAddress.get(address) ?? 0) + 1);
    }
  }

  /** Takes what was counted since the last drain; open counts carry on. */
  drain(): TallySnapshot {
    const subjects: SubjectSnapshot[] = [];
    for (const [subject, c] of this.#subjects) {
      if (c.deliveries > 0) this.#deliveredBefore.set(subject, (this.#deliveredBefore.get(subject) ?? 0) + c.deliveries);
      subjects.push({
        subject,
        open: c.open,
        windowMax: c.windowMax,
        connects: c.connects,
        deliveries: c.deliveries,
        lastSeen: c.open > 0 ? Date.now() : c.lastSeen,
      });
      // Written once more as 0 after the last socket left, then forgotten until it comes back.
      if (c.open === 0 && c.windowMax === 0) this.#subjects.delete(subject);
      c.windowMax = c.open;
      c.connects = 0;
      c.deliveries = 0;
      c.lastSeen = 0;
    }
    const snapshot: TallySnapshot = {
      subjects,
      names: this.#names,
      refused: [...this.#refused.values()],
      unknown: { total: this.#unknownTotal, byAddress: this.#unknownByAddress },
    };
    this.#names = new Map();
    this.#refused = new Map();
    this.#unknownTotal = 0;
    this.#unknownByAddress = new Map();
    return snapshot;
  }

  /** Puts a snapshot that could not be written back, so a Redis outage loses no counts. */
  restore(s: TallySnapshot): void {
    for (const x of s.subjects) {
      if (x.deliveries > 0) this.#deliveredBefore.set(x.subject, (this.#deliveredBefore.get(x.subject) ?? 0) - x.deliveries);
      const c = this.#subject(x.subject);
      c.windowMax = Math.max(c.windowMax, x.windowMax);
      c.connects += x.connects;
      c.deliveries += x.deliveries;
      c.lastSeen = Math.max(c.lastSeen, x.lastSeen);
    }
    for (const [ref, name] of s.names) if (!this.#names.has(ref)) this.#names.set(ref, name);
    for (const r of s.refused) {
      let id = `${r.ref} ${r.origin}`;
      if (!this.#refused.has(id) && this.#refused.size >= MAX_PENDING) id = `${r.ref} ${OVERFLOW_ORIGIN}`;
      const mine = this.#refused.get(id);
      if (mine) mine.count += r.count;
      else this.#refused.set(id, { ...r, origin: id.slice(r.ref.length + 1) });
    }
    this.#unknownTotal += s.unknown.total;
    for (const [a, n] of s.unknown.byAddress) {
      if (this.#unknownByAddress.has(a) || this.#unknownByAddress.size < MAX_PENDING)
        this.#unknownByAddress.set(a, (this.#unknownByAddress.get(a) ?? 0) + n);
    }
  }
}
