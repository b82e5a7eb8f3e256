import type { ErrorBody, Headline, Urgency } from '@headline-ticker/sdk/protocol';
import { byId } from './dom.js';
import { countOf, embargoIso, fieldsOf, previewLine, type DraftFields } from './draft.js';

type FieldName = keyof DraftFields;

/** Server field paths (the first segment of a zod issue path) → the input they concern. */
const FIELD_OF_PATH: Record<string, FieldName> = {
  text: 'text',
  summary: 'summary',
  url: 'url',
  topics: 'topics',
  symbols: 'symbols',
  urgency: 'urgency',
  embargoUntil: 'embargo',
};

/**
 * The draft form as a view: reads and fills the fields, keeps the preview and the counter
 * current, shows errors next to their fields, and switches between publishing and correcting.
 */
export class DraftForm {
  readonly form = byId<HTMLFormElement>('draft');
  readonly #title = byId('draft-title');
  readonly #inputs = {
    text: byId<HTMLTextAreaElement>('text'),
    summary: byId<HTMLTextAreaElement>('summary'),
    url: byId<HTMLInputElement>('url'),
    topics: byId<HTMLInputElement>('topics'),
    symbols: byId<HTMLInputElement>('symbols'),
    urgency: byId<HTMLSelectElement>('urgency'),
    embargo: byId<HTMLInputElement>('embargo'),
  };
  readonly #count = byId('text-count');
  readonly #preview = byId<HTMLOutputElement>('preview');
  readonly #publish = byId<HTMLButtonElement>('publish');
  readonly #save = byId<HTMLButtonElement>('save-correction');
  readonly #stop = byId<HTMLButtonElement>('stop-correcting');
  readonly #status = byId('form-status');
  readonly #error = byId('form-error');
  /** the headline being corrected: its publication time is what the preview shows */
  #correcting: Headline | null = null;

  fields(): DraftFields {
    const i = this.#inputs;
    return {
      text: i.text.value,
      summary: i.summary.value,
      url: i.url.value,
      topics: i.topics.value,
      symbols: i.symbols.value,
      urgency: i.urgency.value as Urgency,
      embargo: i.embargo.value,
    };
  }

  focusText(): void {
    this.#inputs.text.focus();
  }

  set status(text: string) {
    this.#status.textContent = text;
  }

  set error(text: string) {
    this.#error.textContent = text;
  }

  /** Correcting `h` (its fields loaded, the embargo locked), or back to a new headline (null). */
  setCorrecting(h: Headline | null): void {
    this.#correcting = h;
    this.form.reset();
    if (h !== null) {
      const f = fieldsOf(h);
      for (const name of Object.keys(this.#inputs) as FieldName[]) this.#inputs[name].value = f[name];
    }
    this.#inputs.embargo.disabled = h !== null;
    this.#title.textContent = h === null ? 'New headline' : `Correcting: ${h.text}`;
    this.#publish.hidden = h !== null;
    this.#save.hidden = h === null;
    this.#stop.hidden = h === null;
    this.clearErrors();
    this.update();
  }

  /** Empties the fields, in whichever mode. */
  reset(): void {
    this.form.reset();
    this.update();
  }

  setBusy(busy: boolean): void {
    this.#publish.disabled = busy;
    this.#save.disabled = busy;
    this.form.setAttribute('aria-busy', String(busy));
  }

  /** The counter and the preview line, from the fields as they are now. */
  update(): void {
    const f = this.fields();
    const c = countOf(f.text);
    this.#count.textContent = c.label;
    this.#count.classList.toggle('over', c.over);
    const embargo = embargoIso(f.embargo);
    const at =
      this.#correcting !== null
        ? new Date(this.#correcting.publishedAt)
        : embargo !== undefined && !Number.isNaN(Date.parse(embargo))
          ? new Date(embargo)
          : new Date();
    this.#preview.textContent = f.text.trim() === '' ? '' : previewLine(f.text, at);
    this.#preview.className = f.urgency;
  }

  clearErrors(): void {
    for (const [name, input] of Object.entries(this.#inputs)) {
      input.removeAttribute('aria-invalid');
      byId(`${name}-error`).textContent = '';
    }
    this.#error.textContent = '';
  }

  /** A 400's zod issues next to the fields they concern (focus on the first); anything else under the form. */
  showErrors(error: ErrorBody): void {
    const details = Array.isArray(error.details) ? (error.details as { path?: unknown; message?: unknown }[]) : [];
    const byField = new Map<FieldName, string[]>();
    const general: string[] = [];
    for (const d of details) {
      const top = typeof d.path === 'string' ? (d.path.split('.')[0] ?? '') : '';
      const message = typeof d.message === 'string' ? d.message : 'invalid';
      const field = FIELD_OF_PATH[top];
      if (field === undefined) general.push(message);
      else byField.set(field, [...(byField.get(field) ?? []), message]);
    }
    for (const [field, messages] of byField) {
      this.#inputs[field].setAttribute('aria-invalid', 'true');
      byId(`${field}-error`).textContent = messages.join('; ');
    }
    if (details.length === 0) this.#error.textContent = error.message;
    else if (general.length > 0) this.#error.textContent = general.join('; ');
    const first = [...byField.keys()][0];
    if (first !== undefined) this.#inputs[first].focus();
  }
}
