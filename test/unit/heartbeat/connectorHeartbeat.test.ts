import { describe, expect, it } from 'vitest';
import { heartbeatDue } from '../../../shared/heartbeat/connectorHeartbeat.js';

const now = new Date('2026-03-01T12:00:00.000Z');

describe('connector heartbeat schedule', () => {
  it('is due when never sent, after a failure, or once the frequency has passed', () => {
    expect(heartbeatDue({}, 60, now)).toBe(true);
    expect(heartbeatDue({ at: '2026-03-01T11:59:00.000Z', result: 'failed' }, 60, now)).toBe(true);
    expect(heartbeatDue({ at: '2026-03-01T11:30:00.000Z', result: 'ok' }, 60, now)).toBe(false);
    expect(heartbeatDue({ at: '2026-03-01T11:00:10.000Z', result: 'ok' }, 60, now)).toBe(true);
    expect(heartbeatDue({ at: '2026-03-01T11:55:00.000Z', result: 'ok' }, 5, now)).toBe(true);
    expect(heartbeatDue({ at: '2026-03-01T11:57:00.000Z', result: 'ok' }, 5, now)).toBe(false);
    // A clock that went backwards does not silence the heartbeat.
    expect(heartbeatDue({ at: '2026-03-01T13:00:00.000Z', result: 'ok' }, 60, now)).toBe(true);
  });
});
