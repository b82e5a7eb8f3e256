import type { AuditEntry, Headline } from '@headline-ticker/sdk/protocol';
import { el, stamp } from './dom.js';

const DONE: Record<AuditEntry['action'], string> = {
  publish: 'published',
  correct: 'corrected',
  withdraw: 'withdrawn',
  cancel: 'cancelled',
  failed: 'failed',
};

/** "published by night-desk 21:55 · corrected by day-desk 22:01", oldest first. */
export function trailOf(entries: readonly AuditEntry[]): string {
  return [...entries]
    .reverse()
    .map((e) => `${DONE[e.action]}${e.reason === undefined ? '' : ` (${e.reason})`} by ${e.editor} ${stamp(new Date(e.at))}`)
    .join(' · ');
}

export interface RecentActions {
  correct(h: Headline): void;
  withdraw(h: Headline): void;
}

interface Row {
  li: HTMLLIElement;
  headline: Headline;
  audit: readonly AuditEntry[];
}

const MAX_ROWS = 200;

/** The live list of recent headlines, newest first, one row per headline in its latest version. */
export class RecentList {
  readonly #ol: HTMLElement;
  readonly #actions: RecentActions;
  readonly #rows = new Map<string, Row>();

  constructor(ol: HTMLElement, actions: RecentActions) {
    this.#ol = ol;
    this.#actions = actions;
  }

  get(id: string): Headline | undefined {
    return this.#rows.get(id)?.headline;
  }

  row(id: string): HTMLLIElement | undefined {
    return this.#rows.get(id)?.li;
  }

  clear(): void {
    this.#rows.clear();
    this.#ol.replaceChildren();
  }

  /** A new headline goes on top; a new version of one already shown replaces its row in place. */
  upsert(h: Headline): void {
    const old = this.#rows.get(h.id);
    if (old !== undefined && old.headline.seq >= h.seq) return;
    const row: Row = { li: el('li'), headline: h, audit: old?.audit ?? [] };
    this.#render(row);
    if (old !== undefined) {
      const hadFocus = old.li.contains(document.activeElement);
      const focusedLabel = hadFocus ? document.activeElement?.textContent : null;
      old.li.replaceWith(row.li);
      // A keyboard user on this row stays on it: on the same button, or (a withdrawn row has
      // none) on the row itself, which then reads as withdrawn.
      if (hadFocus) ([...row.li.querySelectorAll('button')].find((b) => b.textContent === focusedLabel) ?? row.li).focus();
    } else this.#ol.prepend(row.li);
    this.#rows.set(h.id, row);
    while (this.#rows.size > MAX_ROWS) {
      const oldest = this.#ol.lastElementChild as HTMLLIElement | null;
      if (oldest === null) break;
      this.#rows.delete(oldest.dataset['id'] ?? '');
      oldest.remove();
    }
  }

  /** The audit trail of one headline (newest first); a shorter, older answer never replaces a longer one. */
  setAudit(id: string, entries: readonly AuditEntry[]): void {
    const row = this.#rows.get(id);
    if (row === undefined || entries.length < row.audit.length) return;
    row.audit = entries;
    const meta = row.li.querySelector('.meta');
    if (meta !== null) meta.textContent = this.#metaOf(row);
  }

  /** The row's Correct button, where focus returns after correcting it. */
  correctButton(id: string): HTMLButtonElement | undefined {
    return [...(this.row(id)?.querySelectorAll('button') ?? [])].find((b) => b.textContent === 'Correct');
  }

  #metaOf(row: Row): string {
    const h = row.headline;
    const parts = [h.status, `v${h.version}`, h.urgency];
    if (h.topics.length > 0) parts.push(h.topics.join(', '));
    if (h.symbols.length > 0) parts.push(h.symbols.join(', '));
    const trail = trailOf(row.audit);
    if (trail !== '') parts.push(trail);
    return parts.join(' · ');
  }

  #render(row: Row): void {
    const h = row.headline;
    const li = row.li;
    li.className = `${h.urgency} ${h.status}`;
    li.dataset['id'] = h.id;
    li.tabIndex = -1;
    const time = el('time', { text: stamp(new Date(h.publishedAt)), attrs: { datetime: h.publishedAt } });
    const text = el('span', { className: 'text', text: h.text, attrs: { dir: 'auto' } });
    const meta = el('p', { className: 'meta', text: this.#metaOf(row) });
    const buttons = el('div', { className: 'buttons' });
    if (h.status !== 'withdrawn') {
      const correct = el('button', { text: 'Correct', attrs: { type: 'button' } });
      const withdraw = el('button', { text: 'Withdraw', attrs: { type: 'button' } });
      correct.addEventListener('click', () => this.#actions.correct(this.#rows.get(h.id)?.headline ?? h));
      withdraw.addEventListener('click', () => this.#actions.withdraw(this.#rows.get(h.id)?.headline ?? h));
      buttons.append(correct, withdraw);
    }
    li.replaceChildren(time, text, buttons, meta);
  }
}
