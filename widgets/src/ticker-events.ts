import type { Headline } from '@headline-ticker/sdk/protocol';
import type { FeedStatus } from './feed-source.js';

/** Fired when the widget's feed status changes; crosses the shadow boundary. */
export class HeadlineTickerStatusEvent extends Event {
  static readonly type = 'headline-ticker-status';
  readonly status: FeedStatus;
  readonly previous: FeedStatus | null;

  constructor(status: FeedStatus, previous: FeedStatus | null) {
    super(HeadlineTickerStatusEvent.type, { bubbles: true, composed: true });
    this.status = status;
    this.previous = previous;
  }
}

/** Fired for each live event the widget shows (published, corrected or withdrawn). */
export class HeadlineTickerHeadlineEvent extends Event {
  static readonly type = 'headline-ticker-headline';
  readonly headline: Headline;

  constructor(headline: Headline) {
    super(HeadlineTickerHeadlineEvent.type, { bubbles: true, composed: true });
    this.headline = headline;
  }
}
