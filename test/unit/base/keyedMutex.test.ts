import { describe, expect, it } from 'vitest';
import { createKeyedMutex } from '../../../shared/base/keyedMutex.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('keyed mutex', () => {
  it('runs work for one key one at a time, in arrival order, and other keys alongside', async () => {
    const lock = createKeyedMutex();
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const job = (key: string, name: string) =>
      lock(key, async () => {
        running += key === 'a' ? 1 : 0;
        most = Math.max(most, running);
        events.push(`start ${name}`);
        await tick();
        events.push(`end ${name}`);
        running -= key === 'a' ? 1 : 0;
        if (name === 'a2') throw new Error('boom');
        return name;
      });
    const results = await Promise.allSettled([job('a', 'a1'), job('a', 'a2'), job('b', 'b1'), job('a', 'a3')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(most).toBe(1);
    const order = events.filter((e) => e.includes(' a'));
    expect(order).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
    expect(events.indexOf('start b1')).toBeLessThan(events.indexOf('end a1'));
  });
});
