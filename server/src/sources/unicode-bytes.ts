// The Unicode encodings a feed's bytes can show by themselves: a byte-order mark, UTF-16/32 by
// the pattern of the first `<`, strict UTF-8; and UTF-16/32 decoded strictly. feed-charset.ts
// decides between these and the legacy charsets.
import { FeedError } from './feed-error.js';

type Unicode = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

/** A byte-order mark (UTF-32LE's FF FE 00 00 is checked before UTF-16LE's FF FE). */
export function bomOf(b: Uint8Array): { charset: Unicode; length: number } | undefined {
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
export function wideByPattern(b: Uint8Array): Unicode | undefined {
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
export function asUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

/** UTF-16/32 checked strictly: an odd length, a lone surrogate or a code point past U+10FFFF is refused. */
export function decodeWide(bytes: Uint8Array, charset: Exclude<Unicode, 'utf-8'>): string {
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
export const wideLabel = (name: string) => /^(utf-?16|utf-?32|ucs-?2|ucs-?4|unicode)(le|be)?$/u.test(name.replace(/_/gu, '-'));

/** Where the first byte that is not UTF-8 is, as a character index of the lenient reading. */
export function firstBadUtf8(bytes: Uint8Array): number {
  return new TextDecoder('utf-8').decode(bytes).indexOf('\ufffd');
}
