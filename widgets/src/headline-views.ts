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

/**
 * The headlines as assistive technology meets them: a `role="log"` wrapper (messages in the order
 * they came) around a real `<ol>`. The log is not itself spoken (`aria-live="off"`): what is said
 * is the announcer's job, by the widget's `announce` setting, so a snapshot or a routine line never
 * floods the reader.
 */
function headlineLog(): { log: HTMLDivElement; list: HTMLOListElement } {
  const log = document.createElement('div');
  log.className = 'log';
  log.setAttribute('part', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'off');
  log.setAttribute('aria-label', 'Headlines');
  const list = document.createElement('ol');
  list.className = 'list';
  list.setAttribute('part', 'list');
  log.append(list);
  return { log, list };
}

/** List mode: the agency column, newest on top. */
export function createListView(): HeadlinesView {
  const { log, list } = headlineLog();
  const items = new Map<string, HTMLLIElement>();
  return {
    root: log,
    render: (headlines, stamp) => void reconcile(list, items, headlines, stamp),
    destroy: () => log.remove(),
  };
}

/** The tape's links are for the mouse: keyboard and screen readers use the list beside it. */
function untabbable(copy: HTMLElement): void {
  for (const a of copy.querySelectorAll('a')) setAttr(a, 'tabindex', '-1');
}

/**
 * Scroll mode: a tape that loops seamlessly, and the same headlines as a list. The tape is
 * presentation (`aria-hidden`, its links out of the tab order): the track holds the items twice
 * and a CSS animation moves it by half its width. The list is visually hidden until keyboard
 * focus enters it, when it shows as a still column. Hover, keyboard focus and the pause button
 * stop the tape (WCAG 2.2.2); reduced motion removes the motion (CSS).
 */
export function createTapeView(onResize: (target: Element, retune: () => void) => () => void): HeadlinesView {
  const root = document.createElement('div');
  root.className = 'scroll';
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
  viewport.setAttribute('aria-hidden', 'true');
  const track = document.createElement('div');
  track.className = 'track';
  track.setAttribute('part', 'track');
  const copy = document.createElement('ul');
  copy.className = 'copy';
  copy.setAttribute('part', 'items');
  const loop = document.createElement('ul');
  loop.className = 'copy loop';
  track.append(copy, loop);
  viewport.append(track);
  tape.append(pause, viewport);
  const { log, list } = headlineLog();
  log.classList.add('offscreen');
  root.append(tape, log);

  const showPaused = (paused: boolean) => {
    tape.toggleAttribute('data-paused', paused);
    setAttr(pause, 'aria-pressed', String(paused));
    setAttr(pause, 'title', paused ? 'Play headlines' : 'Pause headlines');
    setText(pause, paused ? '\u25B6' : '\u275A\u275A');
  };
  showPaused(false);
  pause.addEventListener('click', () => showPaused(!tape.hasAttribute('data-paused')));

  const items = new Map<string, HTMLLIElement>();
  const listItems = new Map<string, HTMLLIElement>();
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
    root,
    render(headlines, stamp) {
      reconcile(list, listItems, headlines, stamp);
      if (!reconcile(copy, items, headlines, stamp)) return;
      untabbable(copy);
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
      root.remove();
    },
  };
}
