import type { Headline } from '@headline-ticker/sdk/protocol';
import type { WidgetFilter } from './widget-filter.js';

/** What a widget shows about its feed. */
export type FeedStatus = 'connecting' | 'live' | 'unavailable' | 'refused';

/** What a widget asks its source for. */
export interface FeedRequest {
  server: string;
  key: string;
  filter: WidgetFilter;
  limit: number;
}

/** How a source talks to one widget. Events may be a superset of the widget's filter. */
export interface FeedSink {
  /** a fresh snapshot: replaces what the widget had */
  reset(headlines: readonly Headline[]): void;
  /** one event in seq order: published, corrected or withdrawn */
  event(headline: Headline): void;
  status(status: FeedStatus): void;
}

/**
 * Where a widget gets headlines. The default shares one connection per (server, key) among all
 * widgets on the page; a page or a test may give an element its own (`element.feedSource`).
 */
export interface FeedSource {
  /** Starts delivering to `sink`; the returned function stops it. */
  attach(request: FeedRequest, sink: FeedSink): () => void;
}
