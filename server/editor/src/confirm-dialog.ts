import { byId } from './dom.js';

/**
 * The in-page "Withdraw this headline?" dialog: modal, opens on "No, keep it", Escape keeps,
 * Tab stays inside; on closing, focus returns to what opened it. Resolves true only for "Yes, withdraw".
 */
export class ConfirmDialog {
  readonly #dialog = byId<HTMLDialogElement>('confirm-withdraw');
  readonly #text = byId('confirm-text');
  #answer: ((yes: boolean) => void) | null = null;

  constructor() {
    byId('confirm-keep').addEventListener('click', () => this.#dialog.close('keep'));
    byId('confirm-yes').addEventListener('click', () => this.#dialog.close('yes'));
    // Tab and Shift+Tab go round the dialog's buttons: focus never leaves a modal dialog.
    this.#dialog.addEventListener('keydown', (e) => {
      if (e.key !== 'Tab') return;
      const buttons = [...this.#dialog.querySelectorAll('button')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const next = buttons[(at + (e.shiftKey ? -1 : 1) + buttons.length) % buttons.length];
      if (next === undefined) return;
      e.preventDefault();
      next.focus();
    });
    this.#dialog.addEventListener('close', () => {
      this.#answer?.(this.#dialog.returnValue === 'yes');
      this.#answer = null;
      this.#dialog.returnValue = '';
    });
  }

  ask(text: string): Promise<boolean> {
    this.#answer?.(false);
    const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.#text.textContent = text;
    this.#dialog.showModal();
    return new Promise((resolve) => {
      this.#answer = (yes) => {
        if (returnFocus?.isConnected === true) returnFocus.focus();
        resolve(yes);
      };
    });
  }
}
