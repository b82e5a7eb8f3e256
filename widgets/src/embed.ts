// The `/widget.js` bundle's entry: registers <headline-ticker> and takes the server from the
// script's own URL, so the two-line embed needs no `server` attribute.
import { define } from './define.js';

try {
  const script = document.currentScript;
  const src = script instanceof HTMLScriptElement && script.src !== '' ? script.src : undefined;
  define(undefined, undefined, src === undefined ? {} : { server: new URL(src).origin });
} catch {
  // Never an exception on the host page.
}
