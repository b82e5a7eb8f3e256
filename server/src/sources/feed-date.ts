// Feed dates: RFC 822 (RSS pubDate) and ISO 8601 (Atom, dc:date). Real feeds bend both: two-digit
// years, missing seconds, zone names, and day and month names in the site's language
// ("Seg, 24 Set 2018 19:42:40 -0300"), which Date.parse does not read. So RFC 822 is read here.

const MONTHS: Record<string, number> = {};
// First three letters (accents dropped) of month names in the languages feeds are written in.
const NAMES: string[][] = [
  ['jan', 'ene', 'gen', 'janv'],
  ['feb', 'fev', 'fevr', 'febr'],
  ['mar', 'maer', 'mrz', 'marz'],
  ['apr', 'abr', 'avr'],
  ['may', 'mai', 'mei', 'mag'],
  ['jun', 'juin', 'giu'],
  ['jul', 'juil', 'lug'],
  ['aug', 'ago', 'aou', 'aout'],
  ['sep', 'set', 'sept'],
  ['oct', 'out', 'okt', 'ott'],
  ['nov'],
  ['dec', 'dez', 'dic'],
];
NAMES.forEach((names, month) => names.forEach((n) => (MONTHS[n] = month)));

/** North American zone names RFC 822 allows; anything else unnamed counts as UTC. */
const ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0, EST: -5, EDT: -4, CST: -6, CDT: -5, MST: -7, MDT: -6, PST: -8, PDT: -7,
};

const RFC822 =
  /(\d{1,2})[\s-]+([^\s\d,.-]+)\.?[\s-]+(\d{2,4})\s+(\d{1,2}):?(\d{2})(?::?(\d{2}))?\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?/u;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/iu;

const monthOf = (name: string): number | undefined => {
  const key = name.normalize('NFD').replace(/[\u0300-\u036f]/gu, '').toLowerCase();
  return MONTHS[key] ?? MONTHS[key.slice(0, 4)] ?? MONTHS[key.slice(0, 3)];
};

/** The instant a feed date names, or null when it names none. */
export function parseFeedDate(raw: string | undefined): Date | null {
  const s = raw?.trim();
  if (!s) return null;
  if (ISO.test(s)) {
    // A time without a zone is read as UTC (ECMAScript would read it as local time).
    let iso = s.replace(' ', 'T').replace(',', '.');
    if (/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/u.test(iso)) iso += 'Z';
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : new Date(t);
  }
  const m = RFC822.exec(s);
  if (m === null) return null;
  const [, day, monthName, yearText, hh, mm, ss, zone] = m;
  const month = monthOf(monthName!);
  if (month === undefined) return null;
  let year = Number(yearText);
  if (yearText!.length === 2) year += year < 50 ? 2000 : 1900;
  const wall = Date.UTC(year, month, Number(day), Number(hh), Number(mm), Number(ss ?? 0));
  // Date.UTC rolls 31 Feb over into March and 25:00 into the next day: a time that does not
  // exist is no time.
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCDate() !== Number(day) || check.getUTCHours() !== Number(hh) || check.getUTCMinutes() !== Number(mm)) {
    return null;
  }
  return new Date(wall - zoneMinutes(zone) * 60_000);
}

function zoneMinutes(zone: string | undefined): number {
  if (zone === undefined) return 0;
  const offset = /^([+-])(\d{2}):?(\d{2})$/u.exec(zone);
  if (offset) return (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3]));
  return (ZONES[zone.toUpperCase()] ?? 0) * 60;
}
