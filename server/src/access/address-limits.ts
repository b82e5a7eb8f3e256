import { isIPv4, isIPv6 } from 'node:net';
import type { LimitsConfig, RetryAfter } from './limits.js';
import { WindowCounter } from './window-counter.js';

/**
 * The unit a per-address limit counts: an IPv4 address (IPv4-mapped IPv6 too), or an IPv6 /64
 * (one subscriber line usually gets a whole /64, so its single addresses are free to change).
 */
export function addressBucket(ip: string): string {
  // No colon: an IPv4 address (or no address at all), counted as it is. The common case, and on
  // every packet: no regular expression for it.
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/iu.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Transport sessions an address may hold beyond socketsPerAddress, unless configured: handshakes in flight. */
export const SESSION_HEADROOM = 500;

const hasRoom = (counts: Map<string, number>, ip: string, max: number): boolean => (counts.get(addressBucket(ip)) ?? 0) < max;

const add = (counts: Map<string, number>, bucket: string, by: number): void => {
  const n = (counts.get(bucket) ?? 0) + by;
  if (n <= 0) counts.delete(bucket);
  else counts.set(bucket, n);
};

/**
 * Per-address limits held in this gateway's memory: cheap on the connect path, and approximate
 * across gateways (each enforces its own share). Cluster-wide caps are per key (maxConnections).
 */
export class AddressLimits {
  readonly #config: LimitsConfig;
  readonly #sockets = new Map<string, number>();
  readonly #sessions = new Map<string, number>();
  readonly #maxSessions: number;
  readonly #subscribes: WindowCounter;
  readonly #events: WindowCounter;
  readonly #history: WindowCounter;

  constructor(config: LimitsConfig) {
    this.#config = config;
    this.#maxSessions = config.sessionsPerAddress ?? config.socketsPerAddress + SESSION_HEADROOM;
    this.#subscribes = new WindowCounter(config.subscribesPerAddressPer10s, 10_000);
    this.#events = new WindowCounter(config.socketEventsPerAddressPer10s, 10_000);
    this.#history = new WindowCounter(config.historyPerAddressPerMinute, 60_000);
  }

  /** Counts one more open socket from `ip`; false (and not counted) at the limit. */
  openSocket(ip: string): boolean {
    if (!hasRoom(this.#sockets, ip, this.#config.socketsPerAddress)) return false;
    add(this.#sockets, addressBucket(ip), 1);
    return true;
  }

  closeSocket(ip: string): void {
    add(this.#sockets, addressBucket(ip), -1);
  }

  /**
   * Whether `ip` may open one more transport session (an engine.io handshake, before any
   * credential is seen). Counted by openSession once the session exists.
   */
  sessionRoom(ip: string): boolean {
    return hasRoom(this.#sessions, ip, this.#maxSessions);
  }

  openSession(ip: string): void {
    add(this.#sessions, addressBucket(ip), 1);
  }

  closeSession(ip: string): void {
    add(this.#sessions, addressBucket(ip), -1);
  }

  subscribe(ip: string): RetryAfter {
    return this.#subscribes.take(addressBucket(ip));
  }

  /** Any socket event, known or not. */
  socketEvent(ip: string): RetryAfter {
    return this.#events.take(addressBucket(ip));
  }

  history(ip: string): RetryAfter {
    return this.#history.take(addressBucket(ip));
  }
}
