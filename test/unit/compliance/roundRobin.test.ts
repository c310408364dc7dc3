import { describe, expect, it } from 'vitest';
import { RoundRobinLimiter } from '../../../shared/compliance/roundRobin.js';
import { coalesce } from '../../../shared/compliance/pushWork.js';

describe('tenants take turns', () => {
  it('interleaves a big tenant\'s work with a small one\'s instead of running it first', async () => {
    const limiter = new RoundRobinLimiter(1);
    const order: string[] = [];
    const task = (name: string) => () => {
      order.push(name);
      return Promise.resolve();
    };
    const runs = [
      ...Array.from({ length: 5 }, (_u, i) => limiter.run('big', task(`big${i}`))),
      limiter.run('small', task('small0')),
      limiter.run('small', task('small1')),
    ];
    await Promise.all(runs);
    expect(order.indexOf('small0')).toBeLessThanOrEqual(2);
    expect(order.indexOf('small1')).toBeLessThanOrEqual(4);
    expect(order).toHaveLength(7);
  });
});

describe('coalescing nudges', () => {
  it('keeps one nudge per device: the newest version, the highest attempt and delivery count', () => {
    const byTenant = coalesce([
      { nudge: { tenantId: 'T', deviceId: 'a', version: 3 }, deliveryCount: 1 },
      { nudge: { tenantId: 't', deviceId: 'A', version: 2, attempt: 4 }, deliveryCount: 3 },
      { nudge: { tenantId: 't', deviceId: 'b', version: 1 }, deliveryCount: 1 },
    ]);
    expect([...byTenant.keys()]).toEqual(['t']);
    expect(byTenant.get('t')?.get('a')).toEqual({ nudge: { tenantId: 't', deviceId: 'a', version: 3, attempt: 4 }, deliveryCount: 3 });
    expect(byTenant.get('t')?.size).toBe(2);
  });
});
