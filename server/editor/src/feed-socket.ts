import { TickerClient, type Headline } from '@headline-ticker/sdk';

export interface FeedHandlers {
  /** a fresh snapshot (first connect, or the log moved on without us): replace what is shown */
  snapshot(headlines: Headline[]): void;
  headline(h: Headline): void;
  state(text: string): void;
  /** the token was refused on the socket */
  refused(): void;
}

const RECENT = 50;

/**
 * The console's live view is the SDK's one resume client with the editor's token (all topics):
 * dedupe by seq, `since` resume, and a reset onto a feed that started again all come from it.
 * A snapshot is what arrives before the client is live after its first connect or a reset.
 */
export function followFeed(token: string, on: FeedHandlers): { close(): void } {
  const client = new TickerClient({ url: location.origin, token, limit: RECENT });
  let snapshot: Headline[] | null = [];

  client.on('reset', () => {
    snapshot = [];
  });
  client.on('headline', (h) => {
    if (snapshot !== null) snapshot.push(h);
    else on.headline(h);
  });
  client.on('status', ({ status, reason }) => {
    if (status === 'live') {
      if (snapshot !== null) on.snapshot(snapshot);
      snapshot = null;
      on.state('live');
    } else if (status === 'closed') {
      if (reason === 'unauthorized' || reason === 'revoked') on.refused();
    } else on.state(status === 'connecting' ? 'connecting…' : 'reconnecting…');
  });
  return { close: () => void client.close() };
}
