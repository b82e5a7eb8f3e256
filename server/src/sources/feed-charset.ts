// Bytes → text. A feed names its charset in a byte-order mark, its XML declaration, the HTTP
// Content-Type, or nowhere; servers get it wrong often enough that the bytes have the last word.
//
// Legacy charsets go through iconv-lite, never the runtime's TextDecoder: Node 20.18.3+ decodes
// windows-1252 bytes 0x80–0x9F (€ ’ “ ” – —) as C1 controls, which then vanish as control
// characters. Undeclared documents that are not UTF-8 go to a statistical detector (jschardet)
// for non-Latin scripts, with windows-1252, the browsers' reading of ISO-8859-1, as the last resort.
import iconv from 'iconv-lite';
import jschardet from 'jschardet';
import { FeedError } from './feed-error.js';
import { asUtf8, bomOf, decodeWide, firstBadUtf8, wideByPattern, wideLabel } from './unicode-bytes.js';

export interface DecodedFeed {
  text: string;
  /** the encoding used, lower case, e.g. "utf-8", "windows-1252", "shift_jis" */
  charset: string;
  /** where the charset came from */
  via: 'bom' | 'xml-declaration' | 'content-type' | 'utf-8' | 'detector' | 'fallback' | 'xml-pattern';
}

/** `charset=` of a Content-Type header. */
export function charsetOfContentType(contentType: string | null | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*["']?([^"';\s]+)/iu.exec(contentType ?? '');
  return m?.[1];
}

/** `encoding="…"` of the XML declaration, read from ASCII-compatible bytes. */
export function charsetOfXmlDeclaration(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1');
  return /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/u.exec(head)?.[1];
}

/**
 * Labels read as the WHATWG Encoding Standard reads them (what browsers and feed readers do):
 * ISO-8859-1 and ASCII mean windows-1252, ISO-8859-9 means windows-1254, and so on.
 */
const WHATWG_ALIASES: Record<string, string> = {
  'iso-8859-1': 'windows-1252',
  iso88591: 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  l1: 'windows-1252',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  cp819: 'windows-1252',
  ibm819: 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
  'iso-8859-9': 'windows-1254',
  latin5: 'windows-1254',
  'iso-8859-11': 'windows-874',
  'tis-620': 'windows-874',
  tis620: 'windows-874',
  cp874: 'windows-874',
  gb2312: 'gbk',
  'x-gbk': 'gbk',
  'euc-cn': 'gbk',
  'euc-kr': 'cp949',
  'ks_c_5601-1987': 'cp949',
  'windows-949': 'cp949',
  shift_jis: 'cp932',
  'shift-jis': 'cp932',
  sjis: 'cp932',
  'x-sjis': 'cp932',
  'windows-31j': 'cp932',
  ms_kanji: 'cp932',
  big5: 'big5hkscs',
  'big5-hkscs': 'big5hkscs',
  utf8: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
};

/** The canonical name of a label iconv-lite can decode, or undefined. */
export function normalizeCharset(label: string | undefined): string | undefined {
  if (label === undefined) return undefined;
  const l = label.trim().toLowerCase();
  const name = WHATWG_ALIASES[l] ?? l;
  return iconv.encodingExists(name) ? name : undefined;
}

/**
 * What the detector may decide: scripts that windows-1252 would certainly turn into mojibake.
 * A Latin-script guess (windows-1250, ISO-8859-2, windows-1254…) is not taken: on short texts the
 * detector confuses them with windows-1252 ("España" read as windows-1250 gives "Espańa"), and
 * windows-1252, what browsers assume, is right far more often.
 */
const DETECTABLE = new Set([
  'windows-1251',
  'koi8-r',
  'koi8-u',
  'iso-8859-5',
  'ibm866',
  'cp866',
  'maccyrillic',
  'x-mac-cyrillic',
  'windows-1253',
  'iso-8859-7',
  'windows-1255',
  'iso-8859-8',
  'windows-1256',
  'iso-8859-6',
  'windows-874',
  'tis-620',
  'cp874',
  'cp932',
  'shift_jis',
  'euc-jp',
  'iso-2022-jp',
  'gbk',
  'gb2312',
  'gb18030',
  'big5hkscs',
  'big5',
  'cp949',
  'euc-kr',
  'iso-2022-kr',
]);

function detect(bytes: Uint8Array): string | undefined {
  let top: { encoding: string | null; confidence: number } | undefined;
  try {
    top = jschardet.detectAll(Buffer.from(bytes.subarray(0, 64 * 1024)))[0];
  } catch {
    return undefined;
  }
  if (top?.encoding == null || top.confidence <= 0) return undefined;
  const label = top.encoding.toLowerCase();
  const name = normalizeCharset(label);
  return name !== undefined && (DETECTABLE.has(label) || DETECTABLE.has(name)) ? name : undefined;
}

const legacy = (bytes: Uint8Array, charset: string, via: DecodedFeed['via']): DecodedFeed => ({
  text: iconv.decode(Buffer.from(bytes), charset, { stripBOM: false }),
  charset,
  via,
});

/**
 * Decodes a feed body. Order: a byte-order mark (its bytes must then be valid, or the feed is
 * refused); UTF-16/32 by the XML pattern; the XML declaration; the Content-Type charset; a
 * statistical detector; windows-1252. A declared legacy charset loses to bytes that are valid
 * UTF-8 with multi-byte sequences (servers labelling UTF-8 as ISO-8859-1 are common; legacy text
 * practically never forms valid UTF-8), and a declared UTF-8 that is not UTF-8 falls through.
 * Throws FeedError('invalid_encoding') for bytes no charset can account for.
 */
export function decodeFeed(bytes: Uint8Array, contentType?: string | null): DecodedFeed {
  const bom = bomOf(bytes);
  if (bom !== undefined) {
    const body = bytes.subarray(bom.length);
    if (bom.charset === 'utf-8') {
      const text = asUtf8(body);
      if (text === null)
        throw new FeedError(
          'invalid_encoding',
          `bytes after a UTF-8 byte-order mark are not UTF-8 (first bad sequence at character ${firstBadUtf8(body)})`,
        );
      return { text, charset: 'utf-8', via: 'bom' };
    }
    return { text: decodeWide(body, bom.charset), charset: bom.charset, via: 'bom' };
  }
  const wide = wideByPattern(bytes);
  if (wide !== undefined && wide !== 'utf-8') return { text: decodeWide(bytes, wide), charset: wide, via: 'xml-pattern' };

  const utf8 = asUtf8(bytes);
  const nonAscii = bytes.some((b) => b > 0x7f);
  if (utf8 !== null && nonAscii) return { text: utf8, charset: 'utf-8', via: 'utf-8' };

  const claims: [string | undefined, DecodedFeed['via']][] = [
    [charsetOfXmlDeclaration(bytes), 'xml-declaration'],
    [charsetOfContentType(contentType), 'content-type'],
  ];
  for (const [label, via] of claims) {
    const name = normalizeCharset(label);
    if (name === undefined) continue; // absent, or a label nobody knows
    if (name === 'utf-8') {
      if (utf8 !== null) return { text: utf8, charset: 'utf-8', via };
      continue; // claims UTF-8 but is not: the next claim, or the detector
    }
    if (wideLabel(name)) continue; // UTF-16/32 would have shown in the bytes above
    return legacy(bytes, name, via);
  }
  if (utf8 !== null) return { text: utf8, charset: 'utf-8', via: 'utf-8' }; // pure ASCII
  const detected = detect(bytes);
  if (detected !== undefined) return legacy(bytes, detected, 'detector');
  return legacy(bytes, 'windows-1252', 'fallback');
}
