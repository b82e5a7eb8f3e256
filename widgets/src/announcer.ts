import type { Headline } from '@headline-ticker/sdk/protocol';

/**
 * What a widget says to a screen reader. The widget is a guest on someone else's page: its reader
 * is reading that page, so by default only flashes (and what becomes of them) interrupt.
 * `flash`: flashes, and corrections or withdrawals of a flash; `all`: every change the widget
 * shows; `none`: nothing.
 */
export type AnnounceSetting = 'flash' | 'all' | 'none';

export const DEFAULT_ANNOUNCE: AnnounceSetting = 'flash';

export function parseAnnounce(raw: string | null): AnnounceSetting {
  const v = raw?.trim().toLowerCase();
  return v === 'all' || v === 'none' ? v : DEFAULT_ANNOUNCE;
}

/** More changes than this in one update are said as one summary, never one by one. */
export const MAX_ANNOUNCED_AT_ONCE = 3;

/** How many spoken lines stay in the region (for a reader who missed one and browses to it). */
const KEPT = 3;

const LABEL: Partial<Record<Headline['urgency'], string>> = { flash: 'Flash: ', bulletin: 'Bulletin: ' };

/**
 * The line to say for one live event the widget shows, or null when `setting` keeps quiet about
 * it. `shown` is the version the widget showed before (undefined: the headline is new to it).
 */
export function announcementOf(setting: AnnounceSetting, h: Headline, shown: Headline | undefined): string | null {
  if (setting === 'none') return null;
  const flash = h.urgency === 'flash' || shown?.urgency === 'flash';
  if (setting === 'flash' && !flash) return null;
  if (h.status === 'withdrawn') return `Withdrawn: ${shown?.text ?? h.text}`;
  if (shown !== undefined || h.status === 'corrected') return `Corrected: ${h.text}`;
  return `${LABEL[h.urgency] ?? ''}${h.text}`;
}

/**
 * The widget's one live region: visually hidden, polite (it never cuts into what the reader is
 * hearing of the host page). Lines are queued during an update and said when it is drawn; a
 * burst (a replay after a reconnect) becomes one summary line.
 */
export class Announcer {
  readonly root: HTMLDivElement;
  #pending: string[] = [];

  constructor() {
    this.root = document.createElement('div');
    this.root.className = 'announcer';
    this.root.setAttribute('part', 'announcer');
    this.root.setAttribute('aria-live', 'polite');
    // Each line is a new addition; old ones are removed, which is not announced.
    this.root.setAttribute('aria-relevant', 'additions');
  }

  queue(line: string | null): void {
    if (line !== null) this.#pending.push(line);
  }

  /** Drops what was queued (a snapshot replaced everything: nothing of it is news). */
  discard(): void {
    this.#pending = [];
  }

  /** Says what was queued since the last flush. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const lines = this.#pending.length > MAX_ANNOUNCED_AT_ONCE ? [`${this.#pending.length} headline updates`] : this.#pending;
    this.#pending = [];
    for (const line of lines) {
      const p = document.createElement('p');
      p.textContent = line;
      this.root.append(p);
    }
    while (this.root.childElementCount > KEPT) this.root.firstElementChild?.remove();
  }
}
