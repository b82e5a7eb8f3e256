import { el, stampSeconds } from './dom.js';

/** A change that never went out, as the audit trail records it (`action: failed`). */
export interface FailedItem {
  /** the audit entry's stream id: stable, so a refresh adds only what is new */
  key: string;
  id: string;
  editor: string;
  at: string;
  reason: string;
}

/**
 * Changes the ingest worker gave up on after its retry horizon (`GET /api/audit?action=failed`):
 * never published late, and shown here with their reason so the desk can act. Hidden while empty.
 */
export class FailedList {
  readonly #section: HTMLElement;
  readonly #ul: HTMLElement;
  readonly #shown = new Set<string>();

  constructor(section: HTMLElement, ul: HTMLElement) {
    this.#section = section;
    this.#ul = ul;
  }

  /** The newest failures, newest first, as the server has them now. */
  replaceAll(items: readonly FailedItem[]): void {
    const keep = new Set(items.map((i) => i.key));
    for (const li of [...this.#ul.children] as HTMLElement[]) {
      if (!keep.has(li.dataset['key'] ?? '')) {
        this.#shown.delete(li.dataset['key'] ?? '');
        li.remove();
      }
    }
    for (const item of [...items].reverse()) {
      if (this.#shown.has(item.key)) continue;
      const li = el('li');
      li.dataset['key'] = item.key;
      li.dataset['id'] = item.id;
      const at = new Date(item.at);
      li.append(
        el('time', { text: stampSeconds(at), attrs: { datetime: item.at } }),
        el('span', { className: 'text', text: item.reason, attrs: { dir: 'auto' } }),
        el('p', { className: 'meta', text: `failed for ${item.editor}: not published (${item.id})` }),
      );
      this.#ul.prepend(li);
      this.#shown.add(item.key);
    }
    this.#section.hidden = this.#shown.size === 0;
  }

  clear(): void {
    this.#shown.clear();
    this.#ul.replaceChildren();
    this.#section.hidden = true;
  }
}
