import { describe, expectTypeOf, it } from 'vitest';
import {
  TickerClient,
  type ErrorCode,
  type Headline,
  type HistoryResponse,
  type LagInfo,
  type ResetInfo,
  type StatusChange,
  type StatusReason,
  type TickerClientEvents,
  type TickerError,
  type TickerStatus,
} from '@headline-ticker/sdk';

declare const client: TickerClient;

describe('the TickerClient event map', () => {
  it('gives each listener its one context object', () => {
    client.on('headline', (h) => expectTypeOf(h).toEqualTypeOf<Headline>());
    client.on('status', (s) => {
      expectTypeOf(s).toEqualTypeOf<StatusChange>();
      expectTypeOf(s.status).toEqualTypeOf<TickerStatus>();
      expectTypeOf(s.previous).toEqualTypeOf<TickerStatus>();
      expectTypeOf(s.reason).toEqualTypeOf<StatusReason | undefined>();
    });
    client.on('reset', (r) => expectTypeOf(r).toEqualTypeOf<ResetInfo>());
    client.on('error', (e) => expectTypeOf(e.code).toEqualTypeOf<ErrorCode>());
    client.on('lag', (l) => expectTypeOf(l).toEqualTypeOf<LagInfo>());
    expectTypeOf<keyof TickerClientEvents>().toEqualTypeOf<'headline' | 'status' | 'reset' | 'error' | 'lag'>();
  });

  it('rejects unknown events and wrong listener types', () => {
    // @ts-expect-error no such event
    client.on('headlines', () => undefined);
    // @ts-expect-error a headline listener takes a Headline, not a string
    client.on('headline', (h: string) => h);
    // @ts-expect-error status is one of four words
    expectTypeOf<TickerStatus>().toEqualTypeOf<'connecting' | 'live' | 'reconnecting' | 'closed' | 'open'>();
  });

  it('on/once return a disposer; the rest of the surface is typed', () => {
    expectTypeOf(client.on('headline', () => undefined)).toEqualTypeOf<() => void>();
    expectTypeOf(client.once('status', () => undefined)).toEqualTypeOf<() => void>();
    expectTypeOf(client.status).toEqualTypeOf<TickerStatus>();
    expectTypeOf(client.lastSeq).toEqualTypeOf<number | null>();
    expectTypeOf(client.headlines()).toEqualTypeOf<AsyncIterableIterator<Headline>>();
    expectTypeOf(client.history()).resolves.toEqualTypeOf<HistoryResponse>();
    expectTypeOf(client.ready).parameters.toEqualTypeOf<[timeoutMs?: number]>();
    expectTypeOf(client.close()).resolves.toBeVoid();
    expectTypeOf<Parameters<TickerClientEvents['error']>[0]>().toEqualTypeOf<TickerError>();
  });
});
