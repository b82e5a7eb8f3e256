import type { CorrectionInput, Headline, HeadlineInput, Urgency } from '@headline-ticker/sdk/protocol';
import { TEXT_MAX, charCount, toPlainLine } from '@headline-ticker/sdk/plain-text';
import { stamp } from './dom.js';

/** The form as typed: raw strings, before the server normalises them. */
export interface DraftFields {
  text: string;
  summary: string;
  url: string;
  topics: string;
  symbols: string;
  urgency: Urgency;
  /** `datetime-local` value (the editor's local time), or '' for now */
  embargo: string;
}

const list = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
const filled = (s: string): string | undefined => (s.trim() === '' ? undefined : s);

/** A local `datetime-local` value as an ISO instant; an unreadable one is sent as typed, for the server to refuse. */
export function embargoIso(local: string): string | undefined {
  if (local.trim() === '') return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

export function publishBody(f: DraftFields, idempotencyKey: string): HeadlineInput {
  const body: HeadlineInput = { text: f.text, topics: list(f.topics), symbols: list(f.symbols), urgency: f.urgency, idempotencyKey };
  const summary = filled(f.summary);
  const url = filled(f.url);
  const embargoUntil = embargoIso(f.embargo);
  if (summary !== undefined) body.summary = summary;
  if (url !== undefined) body.url = url.trim();
  if (embargoUntil !== undefined) body.embargoUntil = embargoUntil;
  return body;
}

/** Only what the editor changed, so an untouched field is never re-sent; null when nothing changed. */
export function correctionBody(f: DraftFields, original: Headline, idempotencyKey: string): CorrectionInput | null {
  const body: CorrectionInput = {};
  if (toPlainLine(f.text) !== original.text) body.text = f.text;
  const summary = filled(f.summary);
  if (summary !== undefined && toPlainLine(summary) !== (original.summary ?? '')) body.summary = summary;
  const url = filled(f.url)?.trim();
  if (url !== undefined && url !== (original.url ?? '')) body.url = url;
  const topics = list(f.topics).map((t) => t.toLowerCase());
  if (topics.join(',') !== original.topics.join(',')) body.topics = topics;
  const symbols = list(f.symbols).map((s) => s.toUpperCase());
  if (symbols.join(',') !== original.symbols.join(',')) body.symbols = symbols;
  if (f.urgency !== original.urgency) body.urgency = f.urgency;
  if (Object.keys(body).length === 0) return null;
  return { ...body, idempotencyKey };
}

export function fieldsOf(h: Headline): DraftFields {
  return {
    text: h.text,
    summary: h.summary ?? '',
    url: h.url ?? '',
    topics: h.topics.join(', '),
    symbols: h.symbols.join(', '),
    urgency: h.urgency,
    embargo: '',
  };
}

/** The line as the ticker will show it: `MM/DD HH:mm  text`, whitespace collapsed as the server does. */
export function previewLine(text: string, at: Date): string {
  return `${stamp(at)}  ${toPlainLine(text)}`;
}

export interface Count {
  n: number;
  max: number;
  over: boolean;
  label: string;
}

/** Characters as the server counts them: code points of the collapsed text. */
export function countOf(text: string): Count {
  const n = charCount(toPlainLine(text));
  const over = n > TEXT_MAX;
  return { n, max: TEXT_MAX, over, label: over ? `${n} / ${TEXT_MAX}: ${n - TEXT_MAX} too many` : `${n} / ${TEXT_MAX}` };
}

/** A v4 UUID; `crypto.randomUUID` exists only in secure contexts, so plain-http hosts get the same from random bytes. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * One key per draft: the same until the draft changes or is accepted, so a double click or a
 * retry after a network error sends the same key and the server publishes once.
 */
export class DraftKey {
  #key: string | null = null;

  get current(): string {
    return (this.#key ??= newIdempotencyKey());
  }

  /** The draft changed or went out: the next send is a new headline. */
  reset(): void {
    this.#key = null;
  }
}
