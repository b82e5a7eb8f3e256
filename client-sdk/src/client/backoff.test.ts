import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff (full jitter between min and a doubling cap)', () => {
  it('stays within [min, min·2^(n+1)] capped at max, and reset() starts over', () => {
    const lowest = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    const highest = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(() => lowest.duration())).toEqual([100, 100, 100, 100, 100]);
    expect([1, 2, 3, 4, 5].map(() => highest.duration())).toEqual([200, 400, 800, 1000, 1000]);
    highest.reset();
    expect(highest.duration()).toBe(200);
  });

  it('the first retry already has a window: it is never the same fixed delay for everyone', () => {
    const draws = new Set(Array.from({ length: 50 }, () => new Backoff({ minDelayMs: 500, maxDelayMs: 20_000 }).duration()));
    expect(draws.size).toBeGreaterThan(10);
    for (const d of draws) expect(d).toBeGreaterThanOrEqual(500);
  });

  it('spread() after a goodbye: uniform in [min, byeSpreadMs], bounded by max, and counts as an attempt', () => {
    expect(new Backoff({ minDelayMs: 100, byeSpreadMs: 3000 }, () => 0).spread()).toBe(100);
    expect(new Backoff({ minDelayMs: 100, byeSpreadMs: 3000 }, () => 0.999999).spread()).toBe(3000);
    expect(new Backoff({ minDelayMs: 100, maxDelayMs: 1000, byeSpreadMs: 3000 }, () => 0.999999).spread()).toBe(1000);
    expect(new Backoff({ minDelayMs: 100, byeSpreadMs: 10 }, () => 0.999999).spread()).toBe(100);
    const b = new Backoff({ minDelayMs: 100 }, () => 0.999999);
    b.spread();
    expect(b.attempts).toBe(1);
    expect(b.duration()).toBe(400);
  });

  it('survives absurd attempt counts and max < min', () => {
    const b = new Backoff({ minDelayMs: 50, maxDelayMs: 10 }, () => 0.5);
    for (let i = 0; i < 5000; i++) expect(b.duration()).toBe(50);
  });
});
