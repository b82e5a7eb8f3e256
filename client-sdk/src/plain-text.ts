// Plain-text rules shared by the schemas and by browser code that must not bundle zod (the
// editor console's preview and counter): the server and the page count the same way.

export const TEXT_MAX = 300;

/** Trim, collapse every run of whitespace to one space, drop control characters. */
export function toPlainLine(raw: string): string {
  return (
    raw
      .replace(/\s+/gu, ' ')
      // C0/C1 controls other than whitespace (already collapsed above) carry no text.
      .replace(/[\u0000-\u001f\u007f-\u009f]/gu, '')
      .trim()
  );
}

/** Length in code points, so an emoji counts as one character, as an editor sees it. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
