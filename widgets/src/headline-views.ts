import type { Headline } from '@headline-ticker/sdk/protocol';

// The two ways a widget lays out its headlines. Both are keyed by headline id, so a correction
// updates its own line in place, and both write text with textContent, only when it changed.

export type Stamp = (iso: string) => string;

export interface HeadlinesView {
  readonly root: HTMLElement;
  render(headlines: readonly Headline[], stamp: Stamp): void;
  /** after layout changes (tape only) */
  setSpeed?(pxPerSecond: number): void;
  destroy(): void;
}

const BADGES: Partial<Record<Headline['urgency'], string>> = { flash: 'FLASH', bulletin: 'BULLETIN' };

function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function setAttr(el: Element, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Only http(s) becomes a link; the server checks too, but the widget trusts no input. */
function safeUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function createItem(): HTMLLIElement {
  const li = document.createElement('li');
  const time = document.createElement('time');
  time.setAttribute('part', 'time');
  const badge = document.createElement('span');
  badge.className = 'urgency';
  badge.setAttribute('part', 'urgency');
  li.append(time, badge, document.createElement('span'));
  return li;
}

/** Brings one line up to date with a headline: `MM/DD HH:mm`, a badge for flash/bulletin, the text. */
function fillItem(li: HTMLLIElement, h: Headline, stamp: Stamp): void {
  setAttr(li, 'class', h.urgency);
  setAttr(li, 'part', `item ${h.urgency}`);
  const [time, badge, old] = li.children as unknown as [HTMLTimeElement, HTMLSpanElement, HTMLElement];
  setAttr(time, 'datetime', h.publishedAt);
  setText(time, stamp(h.publishedAt));
  const label = BADGES[h.urgency];
  badge.hidden = label === undefined;
  setText(badge, label ?? '');
  const href = safeUrl(h.url);
  let text = old;
  if ((href === null) !== (old.tagName !== 'A')) {
    text = document.createElement(href === null ? 'span' : 'a');
    old.replaceWith(text);
  }
  setAttr(text, 'class', 'text');
  setAttr(text, 'part', 'headline');
  setAttr(text, 'dir', 'auto');
  if (href !== null) {
    setAttr(text, 'href', href);
    setAttr(text, 'target', '_blank');
    setAttr(text, 'rel', 'noopener');
  }
  setText(text, h.text);
}

/** Puts the items for `headlines` into `container` in order, reusing each id's element. */
function reconcile(container: HTMLElement, items: Map<string, HTMLLIElement>, headlines: readonly Headline[], stamp: Stamp): boolean {
  let changed = false;
  const keep = new Set<string>();
  headlines.forEach((h, i) => {
    keep.add(h.id);
    let li = items.get(h.id);
    if (li === undefined) {
      li = createItem();
      items.set(h.id, li);
    }
    const before = li.textContent;
    fillItem(li, h, stamp);
    if (li.textContent !== before) changed = true;
    if (container.children[i] !== li) {
      container.insertBefore(li, container.children[i] ?? null);
      changed = true;
    }
  });
  for (const [id, li] of items) {
    if (keep.has(id)) continue;
    li.remove();
    items.delete(id);
    changed = true;
  }
  return changed;
}

function liveRegion(el: HTMLElement): void {
  el.setAttribute('role', 'log');
  el.setAttribute('aria-live', 'polite');
  el.setAttribute('aria-label', 'Headlines');
}

/** List mode: the agency column, newest on top. */
export function createListView(): HeadlinesView {
  const list = document.createElement('ol');
  list.className = 'list';
  list.setAttribute('part', 'list');
  liveRegion(list);
  const items = new Map<string, HTMLLIElement>();
  return {
    root: list,
    render: (headlines, stamp) => void reconcile(list, items, headlines, stamp),
    destroy: () => list.remove(),
  };
}

/**
 * Scroll mode: a tape that loops seamlessly. The track holds the items twice and a CSS animation
 * moves it by half its width; the second copy is hidden from screen readers and inert. Hover,
 * keyboard focus and the pause button stop it (WCAG 2.2.2); reduced motion removes it (CSS).
 */
export function createTapeView(onResize: (target: Element, retune: () => void) => () => void): HeadlinesView {
  const tape = document.createElement('div');
  tape.className = 'tape';
  tape.setAttribute('part', 'tape');
  const pause = document.createElement('button');
  pause.type = 'button';
  pause.className = 'pause';
  pause.setAttribute('part', 'pause-button');
  pause.setAttribute('aria-label', 'Pause headlines');
  const viewport = document.createElement('div');
  viewport.className = 'viewport';
  liveRegion(viewport);
  const track = document.createElement('div');
  track.className = 'track';
  track.setAttribute('part', 'track');
  const copy = document.createElement('ul');
  copy.className = 'copy';
  copy.setAttribute('part', 'items');
  const loop = document.createElement('ul');
  loop.className = 'copy';
  loop.setAttribute('aria-hidden', 'true');
  loop.inert = true;
  track.append(copy, loop);
  viewport.append(track);
  tape.append(pause, viewport);

  const showPaused = (paused: boolean) => {
    tape.toggleAttribute('data-paused', paused);
    setAttr(pause, 'aria-pressed', String(paused));
    setAttr(pause, 'title', paused ? 'Play headlines' : 'Pause headlines');
    setText(pause, paused ? '\u25B6' : '\u275A\u275A');
  };
  showPaused(false);
  pause.addEventListener('click', () => showPaused(!tape.hasAttribute('data-paused')));

  const items = new Map<string, HTMLLIElement>();
  let speed = 60;
  let duration = '';
  const retune = () => {
    const width = copy.getBoundingClientRect().width;
    if (width <= 0) return;
    const next = `${Math.max(1, width / speed).toFixed(2)}s`;
    if (next !== duration) track.style.setProperty('--_duration', (duration = next));
  };
  const stopObserving = onResize(copy, retune);

  return {
    root: tape,
    render(headlines, stamp) {
      if (!reconcile(copy, items, headlines, stamp)) return;
      const clones = [...copy.children].map((li) => li.cloneNode(true));
      loop.replaceChildren(...clones);
      retune();
    },
    setSpeed(pxPerSecond) {
      speed = pxPerSecond;
      retune();
    },
    destroy() {
      stopObserving();
      tape.remove();
    },
  };
}
