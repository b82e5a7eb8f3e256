import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  Headline,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeOk,
  SubscribeRequest,
} from '@headline-ticker/sdk/protocol';
import type { ErrorBody } from '@headline-ticker/sdk/protocol';
import type { HeadlineInput } from '@headline-ticker/sdk/schemas';

/** What the REST API answers: a success body or `{ error }`. */
export interface ApiBody {
  id?: string;
  status?: string;
  error?: ErrorBody;
  [field: string]: unknown;
}
import { EDITOR_TOKEN } from './config.js';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A raw socket.io-client, connected (or rejected with the connect_error). */
export function connect(url: string, key: string, extra: { origin?: string; reconnection?: boolean } = {}): Promise<TestSocket> {
  const socket: TestSocket = io(url, {
    auth: { key },
    transports: ['websocket'],
    reconnection: extra.reconnection ?? false,
    forceNew: true,
    ...(extra.origin ? { extraHeaders: { origin: extra.origin } } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export function subscribe(socket: TestSocket, request: SubscribeRequest): Promise<SubscribeAck> {
  return socket.timeout(10_000).emitWithAck('subscribe', request);
}

export async function subscribeOk(socket: TestSocket, request: SubscribeRequest): Promise<SubscribeOk> {
  const ack = await subscribe(socket, request);
  if (!ack.ok) throw new Error(`subscribe refused: ${ack.error.code} ${ack.error.message}`);
  return ack;
}

/** Records every `headline` a socket receives, and lets a test await the n-th one. */
export class Recorder {
  readonly received: Headline[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(socket: TestSocket) {
    socket.on('headline', (h) => this.push(h));
  }

  push(h: Headline): void {
    this.received.push(h);
    this.#waiters = this.#waiters.filter((w) => (this.received.length >= w.n ? (w.resolve(), false) : true));
  }

  /** Resolves once at least `n` headlines have arrived. */
  count(n: number, timeoutMs = 10_000): Promise<Headline[]> {
    if (this.received.length >= n) return Promise.resolve(this.received);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received ${this.received.length} of ${n} headlines`)), timeoutMs);
      this.#waiters.push({ n, resolve: () => (clearTimeout(timer), resolve(this.received)) });
    });
  }
}

export async function postHeadline(
  base: string,
  body: HeadlineInput | Record<string, unknown> | string,
  token: string | null = EDITOR_TOKEN,
): Promise<{ status: number; json: ApiBody }> {
  const res = await fetch(`${base}/api/headlines`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as ApiBody };
}
