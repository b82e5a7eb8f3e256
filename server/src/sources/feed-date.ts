// Feed dates, one parser for every form feeds use: RFC 822/1123/2822 (RSS pubDate) with zone
// names, ISO 8601 and its W3C-DTF profile (Atom, dc:date, dcterms:*), and what real feeds bend
// them into: day and month names in the site's language, two-digit years, missing seconds, a
// stray comma, RFC 850 dashes, asctime, JavaScript's Date.prototype.toString(), `GMT+0200`.
// A date with no time is midnight UTC; a time with no zone is UTC.
import { monthOf, WEEKDAYS, ZONES } from './feed-date-names.js';

/** Hours-and-minutes offset, "+0200", "+02:00", "-5", "+05:30"; minutes east of UTC. */
function offsetMinutes(sign: string, hh: string, mm: string | undefined): number | null {
  const h = Number(hh);
  const m = Number(mm ?? 0);
  if (h > 14 || m > 59) return null;
  return (sign === '-' ? -1 : 1) * (h * 60 + m);
}

function twoDigitYear(y: number): number {
  return y < 50 ? 2000 + y : 1900 + y;
}

/** An instant from wall-clock fields and an offset, or null when the fields name no real time. */
function instant(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offset: number): Date | null {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const wall = Date.UTC(y, mo, d, h, mi, Math.min(s, 59), ms);
  // Date.UTC rolls 31 Feb over into March: a day that does not exist is no date.
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCDate() !== d || check.getUTCMonth() !== mo) return null;
  if (y < 100) return null;
  return new Date(wall - offset * 60_000);
}

const ISO =
  /^(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?|-?(\d{3})|-?W(\d{2})(?:-?([1-7]))?)?(?:(?:[Tt]|\s+)(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)?\s*(Z|z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$/u;

function parseIso(s: string): Date | null | undefined {
  const m = ISO.exec(s);
  if (m === null) return undefined; // not ISO: let the RFC 822 reader try
  const [, y, mo, d, ordinal, week, weekday, hh, mi, ss, frac, zone] = m;
  const year = Number(y);
  let month = mo === undefined ? 0 : Number(mo) - 1;
  let day = d === undefined ? 1 : Number(d);
  if (ordinal !== undefined || week !== undefined) {
    // Ordinal (2003-335) or week date (2004-W53-6): day counts from 1 January / ISO week 1's Monday.
    let start = Date.UTC(year, 0, 1);
    let offset = Number(ordinal) - 1;
    if (week !== undefined) {
      const jan4 = new Date(Date.UTC(year, 0, 4));
      start = Date.UTC(year, 0, 4 - ((jan4.getUTCDay() + 6) % 7));
      offset = (Number(week) - 1) * 7 + Number(weekday ?? 1) - 1;
      if (Number(week) < 1 || Number(week) > 53) return null;
    } else if (offset < 0 || offset > 365) return null;
    const t = new Date(start + offset * 86_400_000);
    month = t.getUTCMonth();
    day = t.getUTCDate();
    if (t.getUTCFullYear() !== year && week === undefined) return null;
    return instantOf(t.getUTCFullYear(), month, day);
  }
  if (hh === undefined) return instantOf(year, month, day); // a date alone: midnight UTC
  let offset = 0;
  if (zone !== undefined && !/^(z|utc|gmt)$/iu.test(zone)) {
    const z = /^([+-])(\d{1,2}):?(\d{2})?$/u.exec(zone);
    const o = z ? offsetMinutes(z[1]!, z[2]!, z[3]) : null;
    if (o === null) return null;
    offset = o;
  }
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  return instant(year, month, day, Number(hh), Number(mi ?? 0), Number(ss ?? 0), ms, offset);

  function instantOf(yy: number, mm: number, dd: number): Date | null {
    return instant(yy, mm, dd, 0, 0, 0, 0, 0);
  }
}

/** The textual form with what the tokens below need spelt one way: no comments, commas, glued zones. */
function normaliseTextual(s: string): string {
  return s
    .replace(/\([^)]*\)/gu, ' ') // JavaScript's "(Central European Summer Time)"
    .replace(/,/gu, ' ')
    .replace(/\b(\d{1,2})-([A-Za-zÀ-ÿ]{3,}\.?)-(\d{2,4})\b/gu, '$1 $2 $3') // RFC 850 "10-Jun-03"
    .replace(/(\d)([+-]\d{2}:?\d{2})$/u, '$1 $2') // "04:00:00+0200"
    .replace(/\bEtc\/(GMT|UTC)$/iu, '$1') // "Etc/GMT"
    .replace(/\b(GMT|UTC|UT)\s*([+-])/iu, '$2'); // "GMT+0200", "UTC -5"
}

/** What the tokens of a textual date have said so far. */
interface TextualFields {
  day: number | undefined;
  month: number | undefined;
  year: number | undefined;
  time: [number, number, number] | undefined;
  offset: number | undefined;
  pm: boolean | undefined;
  /** the month came from a word that is also a weekday ("mar"): a later month name wins */
  monthMaybeWeekday: boolean;
}

/**
 * The textual forms: RFC 822 and its relatives. Tokens are classified one by one, so the order
 * of day, month, year and time may vary ("Tue, 10 Jun 2003 04:00:00 GMT", "Tue Jun 10 2003
 * 04:00:00 GMT+0200 (CEST)", "Jun 10, 2003 4:00 PM EDT", "Sunday, 10-Jun-03 04:00:00 GMT").
 */
function parseTextual(s: string): Date | null {
  const f: TextualFields = {
    day: undefined,
    month: undefined,
    year: undefined,
    time: undefined,
    offset: undefined,
    pm: undefined,
    monthMaybeWeekday: false,
  };
  for (const token of normaliseTextual(s).split(/\s+/u).filter(Boolean)) if (!readToken(token, f)) return null;
  const { day, month, year, time, pm } = f;
  if (day === undefined || month === undefined || year === undefined) return null;
  const [hour, mi, sec] = time ?? [0, 0, 0];
  let h = hour;
  if (pm !== undefined) {
    if (h < 1 || h > 12) return null;
    h = (h % 12) + (pm ? 12 : 0);
  }
  // A date alone is midnight UTC whatever zone it names: it names a day, not an instant.
  return instant(year, month, day, h, mi, sec, 0, time === undefined ? 0 : (f.offset ?? 0));
}

/** Takes one token into `f`; false when it cannot be part of a date (or repeats a part). */
function readToken(token: string, f: TextualFields): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/u.exec(token))) {
    if (f.time !== undefined) return false;
    f.time = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  } else if ((m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/u.exec(token))) {
    if (f.year !== undefined) return false;
    [f.year, f.month, f.day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])]; // Perforce "2006/09/15"
  } else if (f.time !== undefined && (m = /^([+-])(\d{1,2}):?(\d{2})?$/u.exec(token))) {
    const o = offsetMinutes(m[1]!, m[2]!, m[3]);
    if (o === null) return false;
    f.offset = o;
  } else if (/^\d+$/u.test(token)) {
    return readNumber(token, f);
  } else if (/^(am|pm|a\.m\.|p\.m\.)$/iu.test(token)) {
    f.pm = token[0]!.toLowerCase() === 'p';
  } else if (/^[A-Za-z]{1,5}$/u.test(token) && ZONES[token.toUpperCase()] !== undefined && f.time !== undefined) {
    f.offset = ZONES[token.toUpperCase()]! * 60;
  } else {
    const mo = monthOf(token);
    // "mar" is March, and Tuesday in Spanish and French: a month name before any number
    // that is also a weekday gives way to a later month name.
    if (mo !== undefined && (f.month === undefined || f.monthMaybeWeekday)) {
      f.monthMaybeWeekday = f.month === undefined && f.day === undefined && f.year === undefined && WEEKDAYS.test(token);
      f.month = mo;
    } else if (!WEEKDAYS.test(token) && !/^[\p{L}.]+$/u.test(token)) {
      // (a weekday, "at", "um", "de": words that carry no part of the instant, pass)
      return false;
    }
  }
  return true;
}

/** A number token: a year, a day, a two-digit year, or "1500" as a time after the year. */
function readNumber(token: string, f: TextualFields): boolean {
  const n = Number(token);
  if (token.length === 4 && f.year !== undefined && f.time === undefined) {
    f.time = [Math.floor(n / 100), n % 100, 0]; // "03 Apr 02 1500 GMT"
  } else if (token.length === 4) {
    if (f.year !== undefined) return false;
    f.year = n;
  } else if (token.length <= 2 && f.day === undefined && !(f.month === undefined && f.year !== undefined)) {
    f.day = n;
  } else if (token.length <= 2 && f.year === undefined) {
    f.year = twoDigitYear(n);
  } else {
    return false;
  }
  return true;
}

/** The instant a feed date names, or null when it names none. */
export function parseFeedDate(raw: string | undefined): Date | null {
  // No date form is longer than this; a longer string is no date (and is not scanned).
  if (raw === undefined || raw.length > 256) return null;
  const s = raw.replace(/\s+/gu, ' ').trim();
  if (!s) return null;
  const iso = parseIso(s);
  if (iso !== undefined) return iso;
  return parseTextual(s);
}
