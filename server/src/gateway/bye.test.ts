import { describe, expect, it } from 'vitest';
import type { ByeInfo } from '@headline-ticker/sdk/protocol';
import { spreadByes, type Leaving } from './bye.js';

/** A socket that records when it was told goodbye. */
function leaving(at: number[], start: number): Leaving {
  return {
    emit: (_ev: 'bye', info: ByeInfo) => expect(info.reason).toBe('shutdown'),
    disconnect: () => at.push(Date.now() - start),
  };
}

describe('a shutdown spreads its goodbyes over a window', () => {
  it('200 sockets over 500 ms: told in batches across the window, not all at once, and all told', async () => {
    const at: number[] = [];
    const start = Date.now();
    await spreadByes(
      Array.from({ length: 200 }, () => leaving(at, start)),
      'shutdown',
      500,
    );
    expect(at).toHaveLength(200);
    // the first batch at once, the last near the end of the window
    expect(at.filter((t) => t < 40).length).toBeLessThanOrEqual(20);
    expect(Math.max(...at)).toBeGreaterThanOrEqual(400);
  });

  it('a window of 0 tells everyone at once', async () => {
    const at: number[] = [];
    await spreadByes(
      Array.from({ length: 10 }, () => leaving(at, Date.now())),
      'shutdown',
      0,
    );
    expect(at).toHaveLength(10);
  });
});
