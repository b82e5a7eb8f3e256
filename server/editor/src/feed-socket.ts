import { io, type Socket } from 'socket.io-client';
import { CONNECT_ERROR, type ClientToServerEvents, type Headline, type ServerToClientEvents } from '@headline-ticker/sdk/protocol';

export interface FeedHandlers {
  /** a fresh snapshot (first connect, or `since` fell out of the log): replace what is shown */
  snapshot(headlines: Headline[]): void;
  headline(h: Headline): void;
  state(text: string): void;
  /** the token was refused on the socket */
  refused(): void;
}

const RECENT = 50;

/**
 * The console's live view: the editor's token on the handshake (all topics), a snapshot of the
 * latest, then every event in seq order; after a reconnect it resumes with `since`.
 */
export function followFeed(token: string, on: FeedHandlers): { close(): void } {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ auth: { token }, transports: ['websocket'] });
  let last: number | undefined;

  socket.on('connect', () => {
    socket.emit('subscribe', last === undefined ? { limit: RECENT } : { since: last }, (ack) => {
      if (!ack.ok) {
        on.state(`not live: ${ack.error.message}`);
        return;
      }
      if (last === undefined || ack.reset === true) on.snapshot(ack.headlines);
      else for (const h of ack.headlines) on.headline(h);
      last = ack.seq;
      on.state('live');
    });
  });
  socket.on('headline', (h) => {
    if (last !== undefined && h.seq <= last) return;
    last = h.seq;
    on.headline(h);
  });
  socket.on('connect_error', (err) => {
    if (err.message === CONNECT_ERROR.unauthorized) {
      socket.close();
      on.refused();
    } else on.state('reconnecting…');
  });
  let revoked = false;
  socket.on('bye', ({ reason }) => {
    revoked = reason === 'revoked';
    if (revoked) on.refused();
  });
  socket.on('disconnect', (reason) => {
    if (revoked) return;
    on.state('reconnecting…');
    // The client reconnects by itself except when the server closed the socket (a restart).
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
  });
  return { close: () => void socket.close() };
}
