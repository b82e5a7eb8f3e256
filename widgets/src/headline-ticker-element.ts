import type { Headline } from '@headline-ticker/sdk/protocol';
import { stampFormatter } from './agency-time.js';
import { Announcer, announcementOf, parseAnnounce } from './announcer.js';
import type { FeedSink, FeedSource, FeedStatus } from './feed-source.js';
import { HeadlineStore } from './headline-store.js';
import { createListView, createTapeView, type HeadlinesView } from './headline-views.js';
import { observeResize, scheduleRender } from './render-scheduler.js';
import { serverOrigin, sharedFeed } from './shared-feed.js';
import { STYLES } from './styles.js';
import { HeadlineTickerHeadlineEvent, HeadlineTickerStatusEvent } from './ticker-events.js';
import { matchesFilter, parseFilter, type WidgetFilter } from './widget-filter.js';

export type TickerMode = 'list' | 'scroll';

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
export const DEFAULT_SPEED = 60;

const STATUS_TEXT: Record<FeedStatus | 'no-key', string> = {
  connecting: 'Connecting to the headline feed\u2026',
  live: '',
  unavailable: 'Headline feed unavailable \u2014 retrying\u2026',
  refused: 'This site is not licensed for this headline feed.',
  'no-key': 'No feed key given (key attribute).',
};

function intIn(raw: string | null, min: number, max: number, fallback: number): number {
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.round(n))) : fallback;
}

const nonEmpty = (raw: string | null) => (raw === null || raw.trim() === '' ? undefined : raw.trim());

let sharedSheet: CSSStyleSheet | null | undefined;
/** One constructed sheet for every instance; it is also exempt from a host page's style-src CSP. */
function adoptStyles(root: ShadowRoot): void {
  if (sharedSheet === undefined) {
    try {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(STYLES);
    } catch {
      sharedSheet = null;
    }
  }
  if (sharedSheet !== null && 'adoptedStyleSheets' in root) {
    root.adoptedStyleSheets = [sharedSheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = STYLES;
  root.append(style);
}

/**
 * `<headline-ticker>`: live headlines from a Headline Ticker server, as an agency column or a
 * ticker tape. Attributes are the source of truth; any change is folded into one update on the
 * next microtask. Defining the class registers nothing: see `define`.
 */
export class HeadlineTickerElement extends HTMLElement {
  static readonly observedAttributes = [
    'key',
    'topics',
    'symbols',
    'mode',
    'limit',
    'theme',
    'timezone',
    'locale',
    'server',
    'speed',
    'announce',
  ];

  /** The server when no `server` attribute is given; the embed script sets it from its own URL. */
  static defaultServer: string | undefined;

  readonly #root: ShadowRoot;
  readonly #statusLine: HTMLParagraphElement;
  readonly #announcer = new Announcer();
  readonly #renderer = { render: () => this.#update() };
  readonly #store = new HeadlineStore({ topics: [], symbols: [] }, DEFAULT_LIMIT);
  #source: FeedSource = sharedFeed;
  #detach: (() => void) | null = null;
  #attachment = '';
  #status: FeedStatus | 'no-key' = 'connecting';
  #filter: WidgetFilter = { topics: [], symbols: [] };
  #view: HeadlinesView | null = null;
  #mode: TickerMode | null = null;
  #failed = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    adoptStyles(this.#root);
    this.#statusLine = document.createElement('p');
    this.#statusLine.className = 'status';
    this.#statusLine.setAttribute('part', 'status');
    this.#root.append(this.#statusLine, this.#announcer.root);
  }

  /** Where headlines come from; by default one shared connection per server and key. */
  get feedSource(): FeedSource {
    return this.#source;
  }

  set feedSource(source: FeedSource) {
    this.#source = source;
    this.#attachment = '';
    this.#schedule();
  }

  /** The feed's state as the widget shows it. */
  get status(): FeedStatus | 'no-key' {
    return this.#status;
  }

  get mode(): TickerMode {
    return this.getAttribute('mode') === 'scroll' ? 'scroll' : 'list';
  }

  set mode(value: TickerMode) {
    this.setAttribute('mode', value);
  }

  connectedCallback(): void {
    this.#schedule();
  }

  disconnectedCallback(): void {
    this.#schedule();
  }

  attributeChangedCallback(_name: string, oldValue: string | null, newValue: string | null): void {
    if (oldValue !== newValue) this.#schedule();
  }

  #schedule(): void {
    scheduleRender(this.#renderer);
  }

  /** Everything the attributes decide, in one pass. Never throws into the host page. */
  #update(): void {
    try {
      if (!this.isConnected) {
        this.#stop();
        return;
      }
      this.#connect();
      this.#render();
    } catch {
      this.#failed = true;
      this.#showStatus();
    }
  }

  #connect(): void {
    const key = nonEmpty(this.getAttribute('key'));
    const filter = parseFilter(this.getAttribute('topics'), this.getAttribute('symbols'));
    const limit = intIn(this.getAttribute('limit'), 1, MAX_LIMIT, DEFAULT_LIMIT);
    const server = serverOrigin(
      nonEmpty(this.getAttribute('server')) ?? HeadlineTickerElement.defaultServer ?? location.href,
      location.href,
    );
    const attachment = JSON.stringify([server, key, filter, limit]);
    if (attachment === this.#attachment && this.#detach !== null) return;
    this.#stop();
    this.#attachment = attachment;
    this.#filter = filter;
    this.#store.configure(filter, limit);
    if (key === undefined) {
      this.#store.reset([]);
      this.#setStatus('no-key');
      return;
    }
    this.#setStatus('connecting');
    this.#detach = this.#source.attach({ server, key, filter, limit }, this.#sink());
  }

  #stop(): void {
    const detach = this.#detach;
    this.#detach = null;
    this.#attachment = '';
    detach?.();
  }

  /** A sink bound to this attachment: a late call from an old one changes nothing. */
  #sink(): FeedSink {
    const attachment = this.#attachment;
    const current = () => attachment === this.#attachment;
    return {
      reset: (headlines) => {
        if (!current()) return;
        // A snapshot is where the reader starts, not news: it is shown, and nothing is said.
        this.#announcer.discard();
        this.#store.reset(headlines);
        this.#schedule();
      },
      event: (h: Headline) => {
        if (!current()) return;
        const before = this.#store.shown(h.id);
        if (!this.#store.apply(h)) return;
        this.#schedule();
        this.#announce(h, before);
        if (matchesFilter(this.#filter, h)) this.dispatchEvent(new HeadlineTickerHeadlineEvent(h));
      },
      status: (status) => {
        if (!current()) return;
        // A refused licence shows nothing, not what was shown before.
        if (status === 'refused') this.#store.reset([]);
        // Trouble is said once, as it starts; connecting and live are quiet.
        if (
          (status === 'unavailable' || status === 'refused') &&
          status !== this.#status &&
          parseAnnounce(this.getAttribute('announce')) !== 'none'
        ) {
          this.#announcer.queue(STATUS_TEXT[status]);
        }
        this.#setStatus(status);
        this.#schedule();
      },
    };
  }

  /** Queues what to say about an event the store took: only a change to what the widget shows. */
  #announce(h: Headline, before: Headline | undefined): void {
    const setting = parseAnnounce(this.getAttribute('announce'));
    if (setting === 'none') return;
    if (h.status === 'withdrawn') {
      if (before !== undefined) this.#announcer.queue(announcementOf(setting, h, before));
      return;
    }
    // A headline that is not on show (beyond the limit, or moved out of the filter) is not news here.
    const shownNow = this.#store.shown(h.id);
    if (shownNow !== undefined) this.#announcer.queue(announcementOf(setting, shownNow, before));
  }

  #setStatus(status: FeedStatus | 'no-key'): void {
    if (status === this.#status) return;
    const previous = this.#status;
    this.#status = status;
    if (status !== 'no-key') this.dispatchEvent(new HeadlineTickerStatusEvent(status, previous === 'no-key' ? null : previous));
  }

  #render(): void {
    const mode = this.mode;
    if (mode !== this.#mode || this.#view === null) {
      this.#view?.destroy();
      this.#view = mode === 'scroll' ? createTapeView(observeResize) : createListView();
      this.#mode = mode;
      this.#announcer.root.before(this.#view.root);
    }
    this.#view.setSpeed?.(intIn(this.getAttribute('speed'), 5, 2000, DEFAULT_SPEED));
    const stamp = stampFormatter({
      timeZone: nonEmpty(this.getAttribute('timezone')),
      locale: nonEmpty(this.getAttribute('locale')),
    });
    this.#view.render(this.#store.visible(), stamp);
    // Said after the list is drawn, so a reader who goes to the list finds what was announced.
    this.#announcer.flush();
    this.#failed = false;
    this.#showStatus();
  }

  #showStatus(): void {
    const text = this.#failed ? 'Headlines cannot be shown.' : STATUS_TEXT[this.#status];
    if (this.#statusLine.textContent !== text) this.#statusLine.textContent = text;
    this.#statusLine.hidden = text === '';
  }
}
