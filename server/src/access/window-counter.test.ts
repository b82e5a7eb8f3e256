import { describe, expect, it } from 'vitest';
import { WindowCounter } from './window-counter.js';

describe('WindowCounter', () => {
  it('allows `points` per window from the first hit, says when to retry, and starts afresh after', () => {
    let now = 1_000;
    const c = new WindowCounter(3, 10_000, () => now);
    expect([c.take('a'), c.take('a'), c.take('a')]).toEqual([null, null, null]);
    now += 2_500;
    expect(c.take('a')).toBe(8); // 7.5 s left in a's window, rounded up
    expect(c.take('b')).toBeNull(); // keys are apart
    now += 7_499;
    expect(c.take('a')).toBe(1);
    now += 1;
    expect(c.take('a')).toBeNull();
  });

  it('counts hits over the limit: a client that keeps hammering stays refused to the window end', () => {
    let now = 0;
    const c = new WindowCounter(1, 1_000, () => now);
    expect(c.take('x')).toBeNull();
    for (let i = 0; i < 100; i++) expect(c.take('x')).toBe(1);
    now = 1_000;
    expect(c.take('x')).toBeNull();
  });

  it('forgets keys whose window has passed: 100,000 invented keys do not stay in memory', () => {
    let now = 0;
    const c = new WindowCounter(5, 1_000, () => now);
    for (let i = 0; i < 100_000; i++) c.take(`k${i}`);
    expect(c.size).toBe(100_000);
    now = 2_000;
    c.take('fresh');
    expect(c.size).toBe(1);
  });
});
