// The agency column's time stamp: `MM/DD HH:mm`, 24-hour, in a given time zone; or, when a
// locale is asked for, that locale's short date and time. Formatters are costly to build, so
// one per (zone, locale) is kept for the whole page.

export interface StampOptions {
  /** IANA zone; undefined: the reader's */
  timeZone?: string | undefined;
  /** BCP 47 locale; undefined: the agency format */
  locale?: string | undefined;
}

const formatters = new Map<string, (d: Date) => string>();

function build(timeZone: string | undefined, locale: string | undefined): (d: Date) => string {
  if (locale !== undefined) {
    const f = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', timeZone });
    return (d) => f.format(d);
  }
  // en-US parts with h23 give two-digit month, day, hour and minute whatever the reader's locale.
  const f = new Intl.DateTimeFormat('en-US', {
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  });
  return (d) => {
    const p: Record<string, string> = {};
    for (const part of f.formatToParts(d)) p[part.type] = part.value;
    return `${p['month']}/${p['day']} ${p['hour']}:${p['minute']}`;
  };
}

/** The formatter for these options; an unknown zone or locale falls back to the reader's. */
export function stampFormatter({ timeZone, locale }: StampOptions): (iso: string) => string {
  const id = `${timeZone ?? ''}|${locale ?? ''}`;
  let format = formatters.get(id);
  if (format === undefined) {
    try {
      format = build(timeZone, locale);
    } catch {
      // RangeError for an unknown zone or a malformed locale: a typo must not blank the widget.
      format = build(undefined, undefined);
    }
    formatters.set(id, format);
  }
  const f = format;
  return (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : f(d);
  };
}

/** True when the runtime knows this IANA zone. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}
