/** Looks up an element the page must have, typed; a missing one is a bug in editor.html. */
// The caller names the element type it knows editor.html has (`byId<HTMLInputElement>('text')`):
// a return-only type parameter on purpose, as getElementById's callers would cast anyway.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`editor.html has no #${id}`);
  return found as T;
}

/** A new element whose text is set as text (never parsed as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string; attrs?: Record<string, string> } = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className !== undefined) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  return node;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `MM/DD HH:mm` in the reader's time zone: the ticker's own time format. */
export function stamp(d: Date): string {
  return `${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `MM/DD HH:mm:ss`, for scheduled times, where the second matters to the editor. */
export function stampSeconds(d: Date): string {
  return `${stamp(d)}:${pad(d.getSeconds())}`;
}
