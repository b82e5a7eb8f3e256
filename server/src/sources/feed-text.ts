import { Parser } from 'htmlparser2';
import { TEXT_MAX, charCount, toPlainLine } from '@headline-ticker/sdk/schemas';

/** Characters of title markup read at most. */
const HTML_MAX = 16_384;

/** Elements whose content is never reader-visible text. */
const SILENT = new Set(['script', 'style', 'template', 'noscript', 'head', 'title']);
/** Elements that break a line: their neighbours must not run together ("A</p><p>B" → "A B"). */
const BREAKS = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'hr',
  'section',
  'article',
]);

/**
 * Text content of an HTML fragment: tags dropped, entities decoded once (by htmlparser2, the
 * same rules a browser uses), whitespace collapsed. RSS titles and Atom `type="html"` carry
 * escaped HTML, so this runs on what the XML parser already unescaped, never on raw XML.
 */
export function htmlToText(raw: string): string {
  // A headline keeps 300 characters; markup past this much cannot reach it, and the HTML
  // parser's cost grows with nesting, so a hostile title is not read whole.
  const html = raw.length > HTML_MAX ? raw.slice(0, HTML_MAX).replace(/<[^>]*$|&[#\w]*$/u, '') : raw; // no half tag or reference
  if (!/[<&]/u.test(html)) return toPlainLine(html);
  let out = '';
  let silent = 0;
  const parser = new Parser(
    {
      onopentagname(name) {
        if (SILENT.has(name)) silent++;
        if (BREAKS.has(name)) out += ' ';
      },
      onclosetag(name) {
        if (SILENT.has(name)) silent = Math.max(0, silent - 1);
        if (BREAKS.has(name)) out += ' ';
      },
      ontext(text) {
        if (silent === 0) out += text;
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return toPlainLine(out);
}

/**
 * At most `max` code points; a longer text is cut on a code-point boundary (never inside a
 * surrogate pair), after the last space when one is near, and the cut is marked with "…".
 */
export function cutText(text: string, max: number = TEXT_MAX): string {
  if (charCount(text) <= max) return text;
  const points = Array.from(text).slice(0, max - 1);
  let cut = points.join('');
  const space = cut.lastIndexOf(' ');
  // Prefer a word boundary, unless that throws away more than a fifth of the room.
  if (space > cut.length * 0.8) cut = cut.slice(0, space);
  return `${cut.trimEnd()}…`;
}
