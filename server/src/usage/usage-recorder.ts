// The usage module's face to the rest of the server: the gateway and the REST guard call these
// hooks; they count in memory (UsageTally) and a timer writes to Redis (UsageFlusher).
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/connection.js';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { UsageConfig } from './usage-config.js';
import { UsageFlusher } from './usage-flusher.js';
import { subjectOf, usageKeys, type UsageKeys } from './usage-keys.js';
import { usageReport, type ReportQuery, type UsageReport } from './usage-report.js';
import { UsageTally, type UsageKey } from './usage-tally.js';

/** What the recorder is told about a key: a subset of the access registry's KeyRecord. */
export interface RecordedKey extends UsageKey {
  readonly digest: string;
}

/** A counted connection that is not a socket (an SSE stream): its deliveries, and its end. */
export interface CountedStream {
  delivered(): void;
  end(): void;
}

// Editors' consoles follow the feed with an editor token, not a licence: not usage.
const isEditor = (key: RecordedKey) => key.digest.startsWith('editor:');

export interface UsageRecorderDeps {
  redis: RedisClient;
  prefix: string;
  config: UsageConfig;
  logger: Logger;
  metrics: Metrics;
  /** the keys configured now, for reports and metrics */
  keys: () => readonly UsageKey[];
}

export class UsageRecorder {
  readonly tally = new UsageTally();
  readonly keys: UsageKeys;
  readonly #flusher: UsageFlusher;
  readonly #deps: UsageRecorderDeps;
  #config: UsageConfig;
  readonly #connects: Counter<'key'>;
  readonly #refused: Counter<'key'>;
  readonly #unknown: Counter;
  #closing: Promise<void> | null = null;

  constructor(deps: UsageRecorderDeps) {
    this.#deps = deps;
    this.#config = deps.config;
    this.keys = usageKeys(deps.prefix);
    this.#flusher = new UsageFlusher({ redis: deps.redis, keys: this.keys, tally: this.tally, logger: deps.logger, config: deps.config });
    // Labels are key names from the config only (never origins or addresses): bounded by it.
    const registers = [deps.metrics.registry];
    const tally = this.tally;
    new Counter({
      name: 'ticker_usage_deliveries_total',
      help: 'Headlines sent to sockets and SSE streams of each key at this gateway',
      labelNames: ['key'],
      registers,
      collect() {
        this.reset();
        for (const k of deps.keys()) this.inc({ key: k.name }, tally.deliveredTotal(subjectOf(k.ref)));
      },
    });
    this.#connects = new Counter({
      name: 'ticker_usage_connects_total',
      help: 'Sockets and SSE streams accepted for each key at this gateway',
      labelNames: ['key'],
      registers,
    });
    this.#refused = new Counter({
      name: 'ticker_usage_refused_total',
      help: 'Handshakes and REST requests refused for a known key from a foreign or missing origin',
      labelNames: ['key'],
      registers,
    });
    this.#unknown = new Counter({
      name: 'ticker_usage_unknown_key_total',
      help: 'Handshakes and requests with a missing or unknown key',
      registers,
    });
    new Gauge({
      name: 'ticker_usage_viewers',
      help: 'Sockets and SSE streams open now for each key at this gateway',
      labelNames: ['key'],
      registers,
      collect() {
        this.reset();
        for (const k of deps.keys()) this.set({ key: k.name }, tally.openOf(subjectOf(k.ref)));
      },
    });
  }

  start(): void {
    this.#flusher.start();
  }

  set config(config: UsageConfig) {
    this.#config = config;
    this.#flusher.config = config;
  }

  get config(): UsageConfig {
    return this.#config;
  }

  // ---- hooks (hot path: memory only) ----------------------------------------------------------

  connected(socketId: string, key: RecordedKey, origin: string | undefined): void {
    if (isEditor(key)) return;
    this.tally.connected(socketId, key, origin);
    this.#connects.inc({ key: key.name });
  }

  disconnected(socketId: string): void {
    this.tally.disconnected(socketId);
  }

  /**
   * An SSE stream of `key`: a viewer like a socket (connects, now, peak; per licensed origin)
   * until `end()`, and each live headline written to it a delivery.
   */
  stream(key: RecordedKey, origin: string | undefined): CountedStream {
    const id = `sse:${randomUUID()}`;
    this.connected(id, key, origin);
    return { delivered: () => this.tally.deliveredTo(id), end: () => this.disconnected(id) };
  }

  /** One broadcast to the union of these rooms' sockets. */
  delivered(rooms: Iterable<ReadonlySet<string> | undefined>): void {
    this.tally.delivered(rooms);
  }

  /** A known key refused for its origin; the referring page where the client sent one. */
  refused(key: RecordedKey, origin: string | undefined, referer: string | undefined): void {
    if (isEditor(key)) return;
    this.tally.refused(key, origin, referer);
    this.#refused.inc({ key: key.name });
  }

  /** A missing or unknown key, from this address (the key itself is not kept). */
  unknownKey(address: string): void {
    this.tally.unknownKey(address);
    this.#unknown.inc();
  }

  // ---- reading and stopping -------------------------------------------------------------------

  /** Writes the counts now (tests pass `now` to play a later minute). */
  flush(now?: number): Promise<void> {
    return this.#flusher.flush(now);
  }

  report(q: ReportQuery, now?: number): Promise<UsageReport> {
    return usageReport(this.#deps.redis, this.keys, this.#config, this.#deps.keys(), q, now);
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#flusher.close());
  }
}
