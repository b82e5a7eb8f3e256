// Text that a reader cannot see, that reorders what others see, or that is not valid UTF-16,
// never enters the feed; `lang` is a real BCP 47 tag of bounded length.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HeadlineInputSchema, LangSchema, TextSchema } from '@headline-ticker/sdk/schemas';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/hostile-text.json', import.meta.url), 'utf8')) as {
  mustRenderAsText: string[];
};

const rejects = (text: string) => expect(TextSchema.safeParse(text).success).toBe(false);

describe('headline text rules', () => {
  it('rejects text with no visible character (zero-width, tag, invisible spaces only)', () => {
    rejects('\u200b\u200c\u200d');
    rejects('\u{E0041}\u{E0042}\u{E007F}');
    rejects('\u2060\ufeff\u00ad');
    rejects('\u3164\u115f');
    rejects(' \u200b \u200b ');
    expect(TextSchema.parse('Zero\u200bwidth')).toBe('Zero\u200bwidth');
  });

  it('strips bidi controls (embeddings, overrides, isolates) and keeps the text', () => {
    const out = TextSchema.parse('Markets slide as \u202e RTL override \u202c appears');
    expect(out).toBe('Markets slide as RTL override appears');
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']) {
      expect(TextSchema.parse(`a${c}b`)).toBe('ab');
    }
    rejects('\u202e\u2066');
  });

  it('strips the bidi marks too (LRM U+200E, RLM U+200F, ALM U+061C): they reorder neutral characters around them', () => {
    for (const c of ['\u200e', '\u200f', '\u061c']) expect(TextSchema.parse(`Brent 90${c}% up`)).toBe('Brent 90% up');
    expect(HeadlineInputSchema.parse({ text: 'ok', summary: 'a\u200fb' }).summary).toBe('ab');
    rejects('\u200e\u200f\u061c');
  });

  it('rejects lone surrogates and keeps paired ones', () => {
    rejects('Broken \ud83d text');
    rejects('Broken \udcc9 text');
    expect(TextSchema.parse('Markets \ud83d\udcc9 slide')).toBe('Markets \ud83d\udcc9 slide');
  });

  it('still accepts every fixture that must render as text (the bidi override stripped)', () => {
    for (const t of fixture.mustRenderAsText) expect(TextSchema.safeParse(t).success, t).toBe(true);
  });

  it('lang is a BCP 47 tag of at most 35 characters', () => {
    expect(LangSchema.parse('pt-BR')).toBe('pt-BR');
    expect(LangSchema.parse('zh-Hant-TW')).toBe('zh-Hant-TW');
    expect(LangSchema.parse('sr-Latn-RS')).toBe('sr-Latn-RS');
    expect(LangSchema.safeParse(`en-${'abcdefgh-'.repeat(6500)}x`).success).toBe(false);
    expect(LangSchema.safeParse('en-abcdefgh-abcdefgh-abcdefgh-abcd12').success).toBe(false); // 36
    expect(LangSchema.safeParse('e').success).toBe(false);
    expect(LangSchema.safeParse('en_US').success).toBe(false);
    expect(LangSchema.safeParse('en--US').success).toBe(false);
    expect(HeadlineInputSchema.safeParse({ text: 'ok', lang: `en-${'a'.repeat(58_000)}` }).success).toBe(false);
  });
});
