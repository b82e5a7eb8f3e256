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

type Unicode = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

/** A byte-order mark (UTF-32LE's FF FE 00 00 is checked before UTF-16LE's FF FE). */
function bomOf(b: Uint8Array): { charset: Unicode; length: number } | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { charset: 'utf-8', length: 3 };
  if (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0xfe && b[3] === 0xff) return { charset: 'utf-32be', length: 4 };
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0x00 && b[3] === 0x00) return { charset: 'utf-32le', length: 4 };
  if (b[0] === 0xfe && b[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  if (b[0] === 0xff && b[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  return undefined;
}

/**
 * UTF-16/32 without a BOM, from the pattern of the first `<` (XML 1.0 Appendix F): "<?" or
 * whitespace then "<" spelled with zero bytes around it.
 */
function wideByPattern(b: Uint8Array): Unicode | undefined {
  const at = (i: number) => b[i] ?? -1;
  const isLt = (x: number) => x === 0x3c || x === 0x20 || x === 0x0a || x === 0x0d || x === 0x09;
  if (at(0) === 0 && at(1) === 0 && at(2) === 0 && isLt(at(3))) return 'utf-32be';
  if (isLt(at(0)) && at(1) === 0 && at(2) === 0 && at(3) === 0) return 'utf-32le';
  if (at(0) === 0 && isLt(at(1)) && at(2) === 0 && at(3) !== 0) return 'utf-16be';
  if (isLt(at(0)) && at(1) === 0 && at(2) !== 0 && at(3) === 0) return 'utf-16le';
  return undefined;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 (the runtime's decoder is right for UTF-8); null when the bytes are not UTF-8. */
function asUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

/** UTF-16/32 checked strictly: an odd length, a lone surrogate or a code point past U+10FFFF is refused. */
function decodeWide(bytes: Uint8Array, charset: Exclude<Unicode, 'utf-8'>): string {
  const unit = charset.startsWith('utf-32') ? 4 : 2;
  if (bytes.length % unit !== 0) {
    throw new FeedError('invalid_encoding', `${bytes.length} bytes is not a whole number of ${charset.toUpperCase()} code units`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = charset.endsWith('le');
  if (unit === 4) {
    const points: number[] = [];
    for (let i = 0; i < bytes.length; i += 4) {
      const cp = view.getUint32(i, little);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        throw new FeedError('invalid_encoding', `not ${charset.toUpperCase()}: code point 0x${cp.toString(16)} at byte ${i}`);
      }
      points.push(cp);
    }
    const parts: string[] = [];
    // fromCodePoint takes arguments: in slices, so a large document cannot overflow the stack.
    for (let i = 0; i < points.length; i += 8192) parts.push(String.fromCodePoint(...points.slice(i, i + 8192)));
    return parts.join('');
  }
  const text = wide16(bytes, little);
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u.exec(text);
  if (lone) throw new FeedError('invalid_encoding', `not ${charset.toUpperCase()}: a lone surrogate at character ${lone.index}`);
  return text;
}

function wide16(bytes: Uint8Array, little: boolean): string {
  const copy = Buffer.from(bytes); // a copy: swap16 works in place
  if (!little) copy.swap16();
  return copy.toString('utf16le');
}

/** Whether a label names UTF-16 or UTF-32 of unknown byte order. */
const wideLabel = (name: string) => /^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)(le|be)?$/u.test(name.replace(/_/gu, '-'));

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

/** Where the first byte that is not UTF-8 is, as a character index of the lenient reading. */
function firstBadUtf8(bytes: Uint8Array): number {
  return new TextDecoder('utf-8').decode(bytes).indexOf('\ufffd');
}
