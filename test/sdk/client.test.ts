import { afterAll, describe, expect, it } from 'vitest';
import { io, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import {
  TickerClient,
  TickerError,
  type Headline,
  type SubscribeAck,
  type TickerClientOptions,
  type TickerSocket,
} from '@headline-ticker/sdk';
import { ALL_KEY, testConfig } from '../helpers/config.js';
import { postHeadline } from '../helpers/clients.js';
import { useStack } from '../helpers/harness.js';
import { ClientLog } from '../helpers/sdk-client.js';
import { until, waitFor } from '../helpers/wait.js';

const REVOCABLE_KEY = 'sdk_test_revocable';
const allKeys = testConfig().keys;
const withRevocable = testConfig({ keys: [...allKeys, { key: REVOCABLE_KEY, name: 'revocable', topics: ['*'] }] });
const clients: TickerClient[] = [];

const stack = useStack({ ticker: { config: withRevocable } });

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

const client = (options: Partial<TickerClientOptions> = {}) => {
  const c = new TickerClient({ url: stack.ticker.url, key: ALL_KEY, reconnect: { minDelayMs: 50, maxDelayMs: 200 }, ...options });
  clients.push(c);
  return c;
};
const publish = async (text: string, extra: Record<string, unknown> = {}) => {
  const res = await postHeadline(stack.ticker.url, { text, ...extra });
  expect(res.status).toBe(202);
  return res.json.id!;
};
/** Publishes and waits until the log holds it, so a following step sees it in order. */
const published = async (text: string, extra: Record<string, unknown> = {}) => {
  const before = await stack.currentSeq();
  await publish(text, extra);
  await until(async () => (await stack.currentSeq()) > before, `"${text}" is in the log`);
};

describe('TickerClient against the real server', () => {
  it('follows a topic or a symbol and delivers only what matches, in seq order', async () => {
    const byTopic = client({ topics: ['energy'], limit: 0 });
    const bySymbol = client({ symbols: ['GAZP'], limit: 0 });
    const topicLog = new ClientLog(byTopic);
    const symbolLog = new ClientLog(bySymbol);
    await Promise.all([byTopic.ready(10_000), bySymbol.ready(10_000)]);
    expect(topicLog.statuses).toEqual([{ status: 'live', previous: 'connecting' }]);

    await publish('oil output steady', { topics: ['energy'] });
    await publish('gazprom board meets', { topics: ['politics'], symbols: ['GAZP'] });
    await publish('cup final tonight', { topics: ['sports'] });
    await publish('marker both', { topics: ['energy'], symbols: ['GAZP'] });
    await Promise.all([topicLog.text('marker both'), symbolLog.text('marker both')]);

    expect(topicLog.texts).toEqual(['oil output steady', 'marker both']);
    expect(symbolLog.texts).toEqual(['gazprom board meets', 'marker both']);
    expect(topicLog.seqs[0]!).toBeLessThan(topicLog.seqs[1]!);
    expect(byTopic.lastSeq).toBe(topicLog.seqs.at(-1));
  });

  it('starts from a snapshot of `limit`, or replays everything after `since`', async () => {
    await published('snap one', { topics: ['markets'] });
    await published('snap two', { topics: ['markets'] });
    const seq = await stack.currentSeq();
    const snap = client({ topics: ['markets'], limit: 1 });
    const snapLog = new ClientLog(snap);
    await snap.ready(10_000);
    expect(snapLog.texts).toEqual(['snap two']);

    const replay = client({ topics: ['markets'], since: seq - 2 });
    const replayLog = new ClientLog(replay);
    await replay.ready(10_000);
    expect(replayLog.texts).toEqual(['snap one', 'snap two']);
    expect(replay.lastSeq).toBe(seq);
  });

  it('dedupes at the replay/live boundary: live events before the answer wait, duplicates are dropped', async () => {
    // The server never sends an event twice, so the boundary is forced from the client side:
    // the subscribe answer is held back until live events have arrived after it, and every
    // replayed headline is echoed again as a live event.
    await published('boundary before 1', { topics: ['boundary'] });
    await published('boundary before 2', { topics: ['boundary'] });
    const since = (await stack.currentSeq()) - 2;
    let subscribed!: () => void;
    const subscribeSent = new Promise<void>((r) => (subscribed = r));
    let liveSeen = 0;
    let releaseAck: (() => void) | null = null;
    const holdingIo = (url: string, opts: Partial<ManagerOptions & SocketOptions>) => {
      const socket = io(url, opts) as TickerSocket;
      socket.on('headline', () => {
        liveSeen++;
        if (liveSeen === 2) releaseAck?.();
      });
      const emit = socket.emit.bind(socket) as (ev: string, req: unknown, cb: (ack: SubscribeAck) => void) => TickerSocket;
      (socket as unknown as { emit: typeof emit }).emit = (ev, req, cb) =>
        emit(ev, req, (ack) => {
          const echo = () => {
            cb(ack);
            if (ack.ok) for (const h of ack.headlines) for (const l of socket.listeners('headline')) l(h);
          };
          releaseAck = echo;
          if (liveSeen >= 2) echo();
        });
      queueMicrotask(subscribed);
      return socket;
    };
    const c = client({ topics: ['boundary'], since, io: holdingIo });
    const log = new ClientLog(c);
    await subscribeSent;
    await until(() => releaseAck !== null, 'the subscribe answer came and is held');
    await publish('boundary live 1', { topics: ['boundary'] });
    await publish('boundary live 2', { topics: ['boundary'] });
    await log.count(4);
    await publish('boundary after', { topics: ['boundary'] });
    await log.text('boundary after');
    expect(log.texts).toEqual(['boundary before 1', 'boundary before 2', 'boundary live 1', 'boundary live 2', 'boundary after']);
    expect(log.seqs).toEqual([...log.seqs].sort((a, b) => a - b));
  });

  it('update() changes the filter on the same connection, resuming after what was delivered', async () => {
    const c = client({ topics: ['energy'], limit: 0 });
    const log = new ClientLog(c);
    await c.ready(10_000);
    await publish('update energy 1', { topics: ['energy'] });
    await log.text('update energy 1');
    await c.update({ topics: ['politics'] });
    await publish('update energy 2', { topics: ['energy'] });
    await publish('update politics 1', { topics: ['politics'] });
    await log.text('update politics 1');
    expect(log.texts).toEqual(['update energy 1', 'update politics 1']);
    expect(log.statuses.map((s) => s.status)).toEqual(['live']);

    // A filter the server refuses rejects update() and leaves the old one in force.
    const err = await c.update({ topics: ['Not A Slug!'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TickerError);
    expect((err as TickerError).code).toBe('bad_request');
    expect(c.status).toBe('live');
    await publish('update politics 2', { topics: ['politics'] });
    await log.text('update politics 2');
  });

  it('an unknown key: error `unauthorized`, status closed, and no retry', async () => {
    let attempts = 0;
    const counting = (url: string, opts: Partial<ManagerOptions & SocketOptions>) => {
      attempts++;
      return io(url, opts) as TickerSocket;
    };
    const c = client({ key: 'sdk_nobody_at_all', io: counting });
    const log = new ClientLog(c);
    const ready = c.ready();
    const err = await waitFor<TickerError>(c, 'error');
    expect(err).toBeInstanceOf(TickerError);
    expect(err.code).toBe('unauthorized');
    await expect(ready).rejects.toMatchObject({ code: 'unauthorized' });
    expect(log.statuses).toEqual([{ status: 'closed', previous: 'connecting', reason: 'unauthorized', error: err }]);
    expect(c.status).toBe('closed');
    expect(attempts).toBe(1);
    // Iterators of a failed client throw the fatal error instead of waiting forever.
    await expect(c.headlines().next()).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('a filter the server refuses on connect: error bad_request, closed, reason refused', async () => {
    const c = client({ topics: ['Not A Slug!'] });
    const log = new ClientLog(c);
    await expect(c.ready()).rejects.toMatchObject({ code: 'bad_request' });
    expect(log.statuses.at(-1)).toMatchObject({ status: 'closed', reason: 'refused' });
  });

  it('a listener that throws cannot break the client: it is reported as an `error` and delivery goes on', async () => {
    const c = client({ topics: ['listeners'], limit: 0 });
    const log = new ClientLog(c);
    c.on('headline', (h) => {
      if (h.text === 'listener boom') throw new Error('app bug');
    });
    await c.ready(10_000);
    await publish('listener boom', { topics: ['listeners'] });
    await publish('listener after', { topics: ['listeners'] });
    await log.text('listener after');
    expect(log.errors).toHaveLength(1);
    expect(log.errors[0]).toMatchObject({ code: 'internal', message: expect.stringContaining('app bug') });
    expect(log.texts).toEqual(['listener boom', 'listener after']);
  });

  it('headlines(): a slow consumer gets the newest `highWaterMark`, and `lag` counts what was dropped', async () => {
    const c = client({ topics: ['lagging'], limit: 0 });
    const log = new ClientLog(c);
    await c.ready(10_000);
    const iterator = c.headlines({ highWaterMark: 3 });
    for (let i = 1; i <= 8; i++) await publish(`lag ${i}`, { topics: ['lagging'] });
    await log.count(8);
    await until(() => log.lags.reduce((n, l) => n + l.dropped, 0) === 5, 'five drops reported');
    expect(log.lags.at(-1)).toMatchObject({ highWaterMark: 3, totalDropped: 5 });
    expect(log.lags[0]!.fromSeq).toBe(log.seqs[0]);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(((await iterator.next()).value as Headline).text);
    expect(got).toEqual(['lag 6', 'lag 7', 'lag 8']);
    // A fresh headline after catching up arrives through the iterator, then close() ends the loop.
    const next = iterator.next();
    await publish('lag 9', { topics: ['lagging'] });
    expect(((await next).value as Headline).text).toBe('lag 9');
    await c.close();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(log.statuses.at(-1)).toEqual({ status: 'closed', previous: 'live', reason: 'client_closed' });
  });

  it('history() reads GET /api/headlines with the key, through an injectable fetch', async () => {
    let calls = 0;
    const c = client({
      topics: ['markets'],
      limit: 0,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const answer = await c.history({ limit: 1 });
    expect(answer.headlines.map((h) => h.text)).toEqual(['snap two']);
    expect(answer.seq).toBe(await stack.currentSeq());
    expect(calls).toBe(1);
    const bad = client({ key: 'sdk_nobody_at_all' });
    bad.on('error', () => undefined);
    await expect(bad.history()).rejects.toMatchObject({ name: 'TickerError', code: 'unauthorized' });
    await expect(c.history({ limit: 0 })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('a key revoked while connected: `bye revoked` → error unauthorized, status closed, no retry', async () => {
    let attempts = 0;
    const counting = (url: string, opts: Partial<ManagerOptions & SocketOptions>) => {
      attempts++;
      return io(url, opts) as TickerSocket;
    };
    const c = client({ key: REVOCABLE_KEY, io: counting, limit: 0 });
    const log = new ClientLog(c);
    await c.ready(10_000);
    const iterator = c.headlines();
    const ended = iterator.next().then(
      () => null,
      (e: unknown) => e,
    );
    stack.ticker.access.replace(testConfig({ keys: allKeys }));
    await log.status('closed');
    expect(log.statuses.at(-1)).toMatchObject({ status: 'closed', previous: 'live', reason: 'revoked', error: { code: 'unauthorized' } });
    expect(log.errors.map((e) => e.code)).toEqual(['unauthorized']);
    expect(await ended).toMatchObject({ code: 'unauthorized' });
    await expect(c.ready()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(attempts).toBe(1);
  });
});

describe('TickerClient options', () => {
  it('refuses a missing key or a url that is not absolute http(s), at once', () => {
    expect(() => new TickerClient({ url: 'localhost:8080', key: ALL_KEY })).toThrow(TickerError);
    expect(() => new TickerClient({ url: 'ftp://example.com', key: ALL_KEY })).toThrow(/absolute URL/u);
    expect(() => new TickerClient({ url: 'http://127.0.0.1:1', key: '' })).toThrow(/key/u);
  });
});
