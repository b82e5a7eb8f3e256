import { el, stampSeconds } from './dom.js';

export interface ScheduledItem {
  id: string;
  text: string;
  /** ISO time it goes out */
  at: string;
}

const STORAGE_KEY = 'headline-ticker.editor.scheduled';

/**
 * Headlines this console scheduled and that have not gone out yet. The server keeps no list of
 * them for editors, so the console remembers them for the session (sessionStorage, like the token).
 */
export class ScheduledList {
  readonly #ul: HTMLElement;
  readonly #onCancel: (item: ScheduledItem) => void;
  readonly #items = new Map<string, { item: ScheduledItem; li: HTMLLIElement }>();

  constructor(ul: HTMLElement, onCancel: (item: ScheduledItem) => void) {
    this.#ul = ul;
    this.#onCancel = onCancel;
    // One whose time has passed went out (or is going out): only the live list can show it now.
    for (const item of this.#stored()) if (Date.parse(item.at) > Date.now()) this.add(item);
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
    this.#items.set(item.id, { item, li });
    this.#save();
  }

  remove(id: string): void {
    this.#items.get(id)?.li.remove();
    if (this.#items.delete(id)) this.#save();
  }

  clear(): void {
    for (const { li } of this.#items.values()) li.remove();
    this.#items.clear();
    sessionStorage.removeItem(STORAGE_KEY);
  }

  #save(): void {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify([...this.#items.values()].map((x) => x.item)));
  }

  #stored(): ScheduledItem[] {
    try {
      const raw = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
      if (!Array.isArray(raw)) return [];
      return raw.filter(
        (x): x is ScheduledItem =>
          typeof x === 'object' && x !== null && typeof (x as ScheduledItem).id === 'string' &&
          typeof (x as ScheduledItem).text === 'string' && typeof (x as ScheduledItem).at === 'string',
      );
    } catch {
      return [];
    }
  }
}
