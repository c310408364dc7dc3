import { describe, expect, it } from 'vitest';
import { holdRelayNudges } from '../../../shared/devices/afterDeviceWrite.js';

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
});
