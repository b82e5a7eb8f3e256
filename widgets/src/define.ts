import { HeadlineTickerElement } from './headline-ticker-element.js';
import type { HeadlineTickerHeadlineEvent, HeadlineTickerStatusEvent } from './ticker-events.js';

export const DEFAULT_TAG = 'headline-ticker';

/**
 * Registers the element. Harmless to call twice, or after another copy of the script did:
 * the first definition stays. `server` sets where widgets connect without a `server` attribute.
 */
export function define(
  tag: string = DEFAULT_TAG,
  registry: CustomElementRegistry = customElements,
  options: { server?: string } = {},
): typeof HeadlineTickerElement {
  if (options.server !== undefined) HeadlineTickerElement.defaultServer ??= options.server;
  if (registry.get(tag) === undefined) {
    try {
      registry.define(tag, class extends HeadlineTickerElement {});
    } catch {
      // Defined meanwhile, or an invalid tag: the host page goes on either way.
    }
  }
  return HeadlineTickerElement;
}

declare global {
  interface HTMLElementTagNameMap {
    'headline-ticker': HeadlineTickerElement;
  }
  interface HTMLElementEventMap {
    'headline-ticker-status': HeadlineTickerStatusEvent;
    'headline-ticker-headline': HeadlineTickerHeadlineEvent;
  }
}
