import { byId } from './dom.js';

/**
 * The in-page "Withdraw this headline?" dialog: modal, opens on "No, keep it", Escape keeps.
 * Resolves true only for "Yes, withdraw".
 */
export class ConfirmDialog {
  readonly #dialog = byId<HTMLDialogElement>('confirm-withdraw');
  readonly #text = byId('confirm-text');
  #answer: ((yes: boolean) => void) | null = null;

  constructor() {
    byId('confirm-keep').addEventListener('click', () => this.#dialog.close('keep'));
    byId('confirm-yes').addEventListener('click', () => this.#dialog.close('yes'));
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
