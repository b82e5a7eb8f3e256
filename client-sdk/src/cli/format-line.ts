// One headline as a desk reads the tape: `12/14 21:55  FLASH  text  [GAZP]`, in local time.
import type { Headline } from '../protocol.js';

const two = (n: number) => String(n).padStart(2, '0');

/** `MM/DD HH:mm`, 24-hour, in the process's time zone (set TZ to choose another). */
export function tapeTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '--/-- --:--';
  return `${two(d.getMonth() + 1)}/${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * Routine headlines carry no urgency label; corrections say CORRECTED (with the version),
 * withdrawals WITHDRAWN, so a watcher can tell them from new stories.
 */
export function formatLine(h: Headline): string {
  const parts = [tapeTime(h.publishedAt)];
  if (h.urgency !== 'routine') parts.push(h.urgency.toUpperCase());
  if (h.status === 'corrected') parts.push(`CORRECTED v${h.version}`);
  if (h.status === 'withdrawn') parts.push('WITHDRAWN');
  parts.push(h.text);
  if (h.symbols.length > 0) parts.push(`[${h.symbols.join(' ')}]`);
  return parts.join('  ');
}
