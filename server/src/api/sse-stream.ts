import type { Response } from 'express';
import { TickerError, type Headline, type StreamEndReason, type StreamResetReason } from '@headline-ticker/sdk/protocol';
import type { KeyRecord } from '../access/access-registry.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export type { StreamEndReason, StreamResetReason };

export interface SseOptions {
  heartbeatMs: number;
  retryMs: number;
  retryJitterMs: number;
  maxOwedBytes: number;
}

/**
 * One client's Server-Sent Events stream: what it has been sent up to (`sent`, so the hand-over
 * from replay to live neither misses nor doubles), heartbeats, and the slow-consumer cut-off.
 */
export class SseStream {
  /** the seq this client has been sent (or told to skip) up to */
  sent = -1;
  readonly key: KeyRecord;
  /** the key as the client sent it, to look it up again after a reload */
  readonly secret: string;
  readonly #res: Response;
  readonly #options: SseOptions;
  readonly #metrics: Metrics;
  #ended = false;
  #heartbeat: NodeJS.Timeout | null = null;

  constructor(res: Response, options: SseOptions, metrics: Metrics, key: KeyRecord, secret: string) {
    this.#res = res;
    this.#options = options;
    this.#metrics = metrics;
    this.key = key;
    this.secret = secret;
  }

  get ended(): boolean {
    return this.#ended;
  }

  startHeartbeat(): void {
    this.#heartbeat = setInterval(() => this.write(': heartbeat\n\n'), this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** The response headers and the reconnect delay, jittered to spread many clients' reconnects after a gateway restart. */
  open(): void {
    this.#res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx: never buffer this response (deploy/nginx.conf also says so for the location)
      'X-Accel-Buffering': 'no',
      'Access-Control-Allow-Origin': '*',
    });
    this.#res.flushHeaders();
    this.write(`retry: ${this.#options.retryMs + Math.floor(Math.random() * this.#options.retryJitterMs)}\n\n`);
  }

  write(chunk: string): void {
    if (this.#ended) return;
    this.#res.write(chunk);
    if (this.#res.writableLength > this.#options.maxOwedBytes) this.end('slow_consumer');
  }

  /** What this reader sees of an event (it, a withdrawal of the version it saw, or nothing), once; true if written. */
  send(h: Headline | null, seq: number): boolean {
    if (seq <= this.sent) return false;
    this.sent = seq;
    if (h === null || this.#ended) return false;
    this.write(`id: ${h.seq}\nevent: headline\ndata: ${JSON.stringify(h)}\n\n`);
    return true;
  }

  sendAll(headlines: readonly Headline[]): void {
    for (const h of headlines) this.send(h, h.seq);
  }

  /** `epoch` is sent with a `feed_restarted` reset: the feed epoch `seq` belongs to. */
  reset(seq: number, reason: StreamResetReason, epoch?: string): void {
    this.sent = Math.max(this.sent, seq);
    const data = epoch === undefined ? { seq, reason } : { seq, reason, epoch };
    this.write(`id: ${seq}\nevent: reset\ndata: ${JSON.stringify(data)}\n\n`);
  }

  end(reason: StreamEndReason): void {
    if (this.#ended) return;
    this.#ended = true; // first: the goodbye below must not re-enter through write()
    if (reason === 'slow_consumer' || reason === 'revoked') this.#metrics.shed.inc({ reason });
    if (reason !== 'reconnect') this.#res.write(`event: bye\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.#res.end();
  }

  /** Headers are out: an error can only be said on the stream, then the stream ends. */
  fail(err: unknown, logger: Logger): void {
    const e = err instanceof TickerError ? err : new TickerError('unavailable', 'the feed store is unreachable');
    if (!(err instanceof TickerError)) logger.warn({ err }, 'stream failed');
    this.write(`event: error\ndata: ${JSON.stringify(e.toJSON())}\n\n`);
    this.#ended = true;
    this.#res.end();
  }

  /** Stops the heartbeat; nothing more is written. */
  close(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#ended = true;
  }
}
