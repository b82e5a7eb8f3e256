// The npm entry: the element class and `define`, with no side effect on import.
export { HeadlineTickerElement, DEFAULT_LIMIT, DEFAULT_SPEED, MAX_LIMIT, type TickerMode } from './headline-ticker-element.js';
export { define, DEFAULT_TAG } from './define.js';
export { HeadlineTickerHeadlineEvent, HeadlineTickerStatusEvent } from './ticker-events.js';
export { stampFormatter, type StampOptions } from './agency-time.js';
export type { FeedRequest, FeedSink, FeedSource, FeedStatus } from './feed-source.js';
export type { WidgetFilter } from './widget-filter.js';
