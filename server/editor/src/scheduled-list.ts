import { el, stampSeconds } from './dom.js';

export interface ScheduledItem {
  id: string;
  text: string;
  /** ISO time it goes out */
  at: string;
}

/**
 * Headlines waiting for their embargo, from the server (`GET /api/headlines/scheduled`), so
 * every editor's console sees every scheduled item, whoever scheduled it and in whatever tab.
 */
export class ScheduledList {
  readonly #ul: HTMLElement;
  readonly #onCancel: (item: ScheduledItem) => void;
  readonly #items = new Map<string, { item: ScheduledItem; li: HTMLLIElement; addedAt: number }>();

  readonly #focusWhenEmpty: HTMLElement;

  /** `focusWhenEmpty` takes keyboard focus when the last item with focus goes (the list's heading). */
  constructor(ul: HTMLElement, onCancel: (item: ScheduledItem) => void, focusWhenEmpty: HTMLElement) {
    this.#ul = ul;
    this.#onCancel = onCancel;
    this.#focusWhenEmpty = focusWhenEmpty;
  }

  /** The server's list, as it is now: items gone from it went out or were cancelled. */
  replaceAll(items: readonly ScheduledItem[]): void {
    const keep = new Set(items.map((i) => i.id));
    // A list fetched just before this console scheduled something may not have it yet.
    const fresh = Date.now() - 15_000;
    for (const [id, x] of [...this.#items]) if (!keep.has(id) && x.addedAt < fresh) this.remove(id);
    for (const item of items) this.add(item);
  }

  has(id: string): boolean {
    return this.#items.has(id);
  }

  add(item: ScheduledItem): void {
    if (this.#items.has(item.id)) return;
    const li = el('li');
    li.dataset['id'] = item.id;
    const at = new Date(item.at);
    const time = el('time', { text: stampSeconds(at), attrs: { datetime: item.at } });
    const text = el('span', { className: 'text', text: item.text, attrs: { dir: 'auto' } });
    const cancel = el('button', { text: 'Cancel', attrs: { type: 'button' } });
    cancel.addEventListener('click', () => this.#onCancel(item));
    const buttons = el('div', { className: 'buttons' });
    buttons.append(cancel);
    li.append(time, text, buttons, el('p', { className: 'meta', text: `scheduled for ${at.toLocaleString()}` }));
    const later = [...this.#items.values()].find((x) => x.item.at > item.at);
    if (later === undefined) this.#ul.append(li);
    else later.li.before(li);
    this.#items.set(item.id, { item, li, addedAt: Date.now() });
  }

  remove(id: string): void {
    const li = this.#items.get(id)?.li;
    this.#items.delete(id);
    if (li === undefined) return;
    // Focus on a cancelled item moves to its neighbour's Cancel, not to the page's top.
    const focusNext = li.contains(document.activeElement)
      ? ((li.nextElementSibling ?? li.previousElementSibling)?.querySelector('button') ?? this.#focusWhenEmpty)
      : null;
    li.remove();
    focusNext?.focus();
  }

  clear(): void {
    for (const { li } of this.#items.values()) li.remove();
    this.#items.clear();
  }
}
