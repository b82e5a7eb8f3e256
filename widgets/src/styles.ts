// The shadow root's only stylesheet. Everything a host page may restyle is a custom property
// (--headline-ticker-*) or a part; nothing here reaches outside the element.
export const STYLES = `
:host {
  --_bg: var(--headline-ticker-background, #ffffff);
  --_fg: var(--headline-ticker-color, #1b1f24);
  --_muted: var(--headline-ticker-muted-color, #57606a);
  --_accent: var(--headline-ticker-accent-color, #b3261e);
  --_border: var(--headline-ticker-border-color, #d8dee4);
  display: block;
  contain: content;
  color: var(--_fg);
  background: var(--_bg);
  font: var(--headline-ticker-font, 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif);
}
:host([hidden]) { display: none; }
:host([theme="dark"]) {
  --_bg: var(--headline-ticker-background, #0d1117);
  --_fg: var(--headline-ticker-color, #e6edf3);
  --_muted: var(--headline-ticker-muted-color, #8d96a0);
  --_accent: var(--headline-ticker-accent-color, #ff7b72);
  --_border: var(--headline-ticker-border-color, #30363d);
}
@media (prefers-color-scheme: dark) {
  :host([theme="auto"]) {
    --_bg: var(--headline-ticker-background, #0d1117);
    --_fg: var(--headline-ticker-color, #e6edf3);
    --_muted: var(--headline-ticker-muted-color, #8d96a0);
    --_accent: var(--headline-ticker-accent-color, #ff7b72);
    --_border: var(--headline-ticker-border-color, #30363d);
  }
}
.status { margin: 0; padding: .25em .5em; font-size: .8em; color: var(--_muted); }
.status[hidden] { display: none; }
a { color: inherit; text-decoration: none; }
a:hover, a:focus-visible { text-decoration: underline; }
a:focus-visible, button:focus-visible { outline: 2px solid var(--_accent); outline-offset: 1px; }
time { color: var(--_muted); font-variant-numeric: tabular-nums; white-space: nowrap; flex: none; }
.urgency { font-size: .75em; font-weight: 700; letter-spacing: .04em; color: var(--_accent); flex: none; }
.flash .text, .bulletin .text { font-weight: 700; color: var(--_accent); }
.urgent .text { font-weight: 600; }

/* Visually hidden, still read: the announcer always, the scroll mode's list until focus enters it. */
.announcer, .offscreen:not(:focus-within) {
  position: absolute; inline-size: 1px; block-size: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
.announcer > p { margin: 0; }

.list { list-style: none; margin: 0; padding: 0; }
.list > li { display: flex; gap: .75em; align-items: baseline; padding: .35em .5em; border-bottom: 1px solid var(--_border); }
.list > li:last-child { border-bottom: 0; }
.list .urgency { order: 1; }
.list .text { order: 2; min-width: 0; overflow-wrap: anywhere; }

.tape { display: flex; align-items: center; gap: .25em; border-block: 1px solid var(--_border); }
.pause {
  flex: none; margin: 0 .25em; padding: 0; inline-size: 1.9em; block-size: 1.9em; border-radius: 50%;
  border: 1px solid var(--_muted); background: var(--_bg); color: var(--_fg); font: inherit; line-height: 1; cursor: pointer;
}
.viewport { flex: 1; min-width: 0; overflow: hidden; container-type: inline-size; }
.track { display: flex; width: max-content; animation: headline-ticker-scroll var(--_duration, 60s) linear infinite; }
.tape:hover .track, .scroll:focus-within .track, .tape[data-paused] .track { animation-play-state: paused; }
.copy { display: flex; flex: none; min-width: 100cqw; list-style: none; margin: 0; padding: 0; }
.copy > li { display: flex; gap: .5em; align-items: baseline; white-space: nowrap; padding: .4em 0; }
.copy > li::after { content: "\\2022"; color: var(--_muted); margin-inline: 1em; }
@keyframes headline-ticker-scroll { to { transform: translateX(-50%); } }
@media (prefers-reduced-motion: reduce) {
  .track { animation: none; width: auto; }
  .copy { flex-wrap: wrap; min-width: 0; }
  .loop, .pause { display: none; }
  .copy > li { white-space: normal; }
}
`;
