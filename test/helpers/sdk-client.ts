// Records what a TickerClient emits, so tests can await the n-th headline or a given status.
import type { Headline } from '@headline-ticker/sdk/protocol';
import type { LagInfo, ResetInfo, StatusChange, TickerClient, TickerError } from '@headline-ticker/sdk';
import { until } from './wait.js';

export class ClientLog {
  readonly headlines: Headline[] = [];
  readonly statuses: StatusChange[] = [];
  readonly errors: TickerError[] = [];
  readonly resets: ResetInfo[] = [];
  readonly lags: LagInfo[] = [];

  constructor(client: TickerClient) {
    client.on('headline', (h) => this.headlines.push(h));
    client.on('status', (s) => this.statuses.push(s));
    client.on('error', (e) => this.errors.push(e));
    client.on('reset', (r) => this.resets.push(r));
    client.on('lag', (l) => this.lags.push(l));
  }

  get seqs(): number[] {
    return this.headlines.map((h) => h.seq);
  }

  get texts(): string[] {
    return this.headlines.map((h) => h.text);
  }

  /** Resolves once a headline with this text has arrived. */
  async text(text: string, timeoutMs = 10_000): Promise<Headline> {
    await until(() => this.headlines.some((h) => h.text === text), `"${text}" arrived`, timeoutMs);
    return this.headlines.find((h) => h.text === text)!;
  }

  count(n: number, timeoutMs = 10_000): Promise<void> {
    return until(() => this.headlines.length >= n, `${n} headlines arrived (have ${this.headlines.length})`, timeoutMs);
  }

  status(status: StatusChange['status'], nth = 1, timeoutMs = 10_000): Promise<void> {
    return until(() => this.statuses.filter((s) => s.status === status).length >= nth, `status ${status} #${nth}`, timeoutMs);
  }
}
