import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff (full jitter between min and a doubling cap)', () => {
  it('stays within [min, min·2^n] capped at max, and reset() starts over', () => {
    const lowest = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0);
    const highest = new Backoff({ minDelayMs: 100, maxDelayMs: 1000 }, () => 0.999999);
    expect([1, 2, 3, 4, 5].map(() => lowest.duration())).toEqual([100, 100, 100, 100, 100]);
    expect([1, 2, 3, 4, 5, 6].map(() => highest.duration())).toEqual([100, 200, 400, 800, 1000, 1000]);
    highest.reset();
    expect(highest.duration()).toBe(100);
  });

  it('survives absurd attempt counts and max < min', () => {
    const b = new Backoff({ minDelayMs: 50, maxDelayMs: 10 }, () => 0.5);
    for (let i = 0; i < 5000; i++) expect(b.duration()).toBe(50);
  });
});
