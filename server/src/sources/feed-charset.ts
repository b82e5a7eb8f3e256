// Bytes → text. A feed names its charset in the HTTP Content-Type, in its XML declaration, or
// nowhere; and servers get it wrong often enough that the bytes have the last word.
import { TextDecoder } from 'node:util';

export interface DecodedFeed {
  text: string;
  /** the WHATWG encoding name used, e.g. "utf-8", "windows-1252" */
  charset: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decoderFor(label: string | undefined): TextDecoder | null {
  if (label === undefined) return null;
  try {
    return new TextDecoder(label.trim().toLowerCase());
  } catch {
    return null; // a label the platform does not know
  }
}

/** `charset=` of a Content-Type header. */
export function charsetOfContentType(contentType: string | null | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/iu.exec(contentType ?? '');
  return m?.[1];
}

/** `encoding="…"` of the XML declaration (ASCII-compatible bytes only, which is all that matter). */
export function charsetOfXmlDeclaration(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 256));
  return /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/u.exec(head)?.[1];
}

/**
 * Decodes a feed body. Order: a byte-order mark; valid UTF-8 containing non-ASCII (legacy
 * encodings practically never form valid multi-byte UTF-8, while servers and feeds that *claim*
 * ISO-8859-1 for UTF-8 content are common); the Content-Type charset (RFC 7303 puts it before the
 * document's own claim); the XML declaration; and finally windows-1252, the superset of
 * ISO-8859-1 that browsers use, for undeclared bytes that are not UTF-8.
 */
export function decodeFeed(bytes: Uint8Array, contentType?: string | null): DecodedFeed {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: utf8.decode(bytes.subarray(3)), charset: 'utf-8' };
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) {
    const d = new TextDecoder(bytes[0] === 0xfe ? 'utf-16be' : 'utf-16le');
    return { text: d.decode(bytes), charset: d.encoding };
  }
  let asUtf8: string | null = null;
  try {
    asUtf8 = utf8.decode(bytes);
  } catch {
    asUtf8 = null;
  }
  const nonAscii = bytes.some((b) => b > 0x7f);
  if (asUtf8 !== null && nonAscii) return { text: asUtf8, charset: 'utf-8' };

  for (const label of [charsetOfContentType(contentType), charsetOfXmlDeclaration(bytes)]) {
    const d = decoderFor(label);
    if (d === null) continue;
    if (d.encoding === 'utf-8') {
      if (asUtf8 !== null) return { text: asUtf8, charset: 'utf-8' };
      continue; // claims UTF-8 but is not: fall through to the next claim or windows-1252
    }
    if (d.encoding.startsWith('utf-16')) continue; // UTF-16 without a BOM is not a feed we can read
    return { text: d.decode(bytes), charset: d.encoding };
  }
  if (asUtf8 !== null) return { text: asUtf8, charset: 'utf-8' };
  return { text: new TextDecoder('windows-1252').decode(bytes), charset: 'windows-1252' };
}
