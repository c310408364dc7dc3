import { describe, expect, it } from 'vitest';
import { holdRelayNudges } from '../../../shared/devices/afterDeviceWrite.js';
import type { WrittenOutbox } from '../../../shared/events/relay.js';
import type { ServiceEvent } from '../../../shared/events/event.js';

describe('relay nudges held for one run', () => {
  it('passes nothing on before the flush, then every partition once, in one synchronous pass', () => {
    const seen: string[] = [];
    const relay = holdRelayNudges({ nudge: (tenantId: string, table: string, partitionKey: string) => void seen.push(`${tenantId}/${table}/${partitionKey}`) });
    relay.events.nudge('t1', 'threats', 't1|0a');
    relay.events.nudge('t1', 'devices', 't1|0a');
    relay.events.nudge('t1', 'threats', 't1|0a');
    expect(seen).toEqual([]);
    relay.flush();
    expect(seen).toEqual(['t1/threats/t1|0a', 't1/devices/t1|0a']);
    relay.flush();
    expect(seen).toHaveLength(2);
  });

  it('passes on the rows two writes of a partition carried, exclusive only if both writes were', () => {
    const seen: (WrittenOutbox | undefined)[] = [];
    const relay = holdRelayNudges({ nudge: (_t: string, _table: string, _p: string, written?: WrittenOutbox) => void seen.push(written) });
    const row = (id: string) => ({ rowKey: `e|${id}`, event: { id } as ServiceEvent });
    relay.events.nudge('t1', 'threats', 't1|0a', { rows: [row('a')], exclusive: true });
    relay.events.nudge('t1', 'threats', 't1|0a', { rows: [row('b')], exclusive: true });
    relay.events.nudge('t1', 'threats', 't1|0b', { rows: [row('c')], exclusive: true });
    relay.events.nudge('t1', 'threats', 't1|0b', { rows: [row('d')], exclusive: false });
    relay.events.nudge('t1', 'threats', 't1|0c', { rows: [row('e')], exclusive: true });
    relay.events.nudge('t1', 'threats', 't1|0c');
    relay.flush();
    expect(seen.map((written) => written && { keys: written.rows.map((r) => r.rowKey), exclusive: written.exclusive })).toEqual([
      { keys: ['e|a', 'e|b'], exclusive: true },
      { keys: ['e|c', 'e|d'], exclusive: false },
      undefined,
    ]);
  });
});
