import type { Headline } from '@headline-ticker/sdk/protocol';
import type { LogEvent } from './log-event.js';

/** A log stream entry as Redis returns it. */
export type Entry = [id: string, fields: string[]];

/** The event (and the version it replaced) an entry holds. */
export function logEventOf(entry: Entry): LogEvent {
  const f = entry[1];
  let h: Headline | null = null;
  let prev: Headline | null = null;
  for (let j = 0; j < f.length; j += 2) {
    if (f[j] === 'e') h = JSON.parse(f[j + 1]!) as Headline;
    else if (f[j] === 'p') prev = JSON.parse(f[j + 1]!) as Headline;
  }
  if (h === null) throw new Error(`log entry ${entry[0]} has no event`);
  return { h, prev };
}

/** An entry's seq (its stream id is `seq-0`). */
export const seqOf = (entry: Entry): number => Number.parseInt(entry[0], 10);
