// The relay's memory of recent events: point lookups and tails, also across a trim.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../log/log-event.js';
import { RecentEvents } from './recent-events.js';

const ev = (seq: number) => ({ h: { seq, id: `h${seq}` } }) as unknown as LogEvent;

describe('recent events', () => {
  it('finds the event at a seq it holds, and nothing outside what it holds', () => {
    const r = new RecentEvents(4);
    // capacity 4, trimmed to the newest 4 once past 5: after 1..9 it holds 5..9
    for (let seq = 1; seq <= 9; seq++) r.push(ev(seq));
    expect(r.after(0, 9)).toBeNull();
    expect(r.after(4, 9)!.map((e) => e.h.seq)).toEqual([5, 6, 7, 8, 9]);
    expect(r.at(5)?.h.id).toBe('h5');
    expect(r.at(7)?.h.id).toBe('h7');
    expect(r.at(9)?.h.id).toBe('h9');
    expect(r.at(4)).toBeUndefined();
    expect(r.at(10)).toBeUndefined();
    r.clear();
    expect(r.at(9)).toBeUndefined();
  });
});
