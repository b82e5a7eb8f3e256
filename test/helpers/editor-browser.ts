import { existsSync } from 'node:fs';

import { CHROMIUM_PATH as CHROMIUM } from './browser.js';

export { launchChromium } from './browser.js';
export { CHROMIUM };

/** Why browser tests cannot run here, or null when they can. */
export const noChromium: string | null = existsSync(CHROMIUM)
  ? null
  : `skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium)`;

/** The test process's time zone, so a page reads `datetime-local` values the way the test writes them. */
export const LOCAL_TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

const pad = (n: number) => String(n).padStart(2, '0');

/** A `datetime-local` value (local time, to the second) for `d`. */
export function localDateTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
