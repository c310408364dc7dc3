import { describe, expect, it } from 'vitest';
import { isSyncDue } from '../../../shared/enrollment/tenantState.js';

describe('isSyncDue', () => {
  const now = new Date('2026-03-01T10:05:00.000Z');

  it('is due for a tenant that never synced', () => {
    expect(isSyncDue({}, 5, now)).toBe(true);
  });

  it('waits out the poll interval from the last run’s start', () => {
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T10:01:00.000Z' }, 5, now)).toBe(false);
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T10:00:00.000Z' }, 5, now)).toBe(true);
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T09:05:00.000Z' }, 60, now)).toBe(true);
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T09:10:00.000Z' }, 60, now)).toBe(false);
  });

  it('does not miss a tick because the last run started a few seconds after the minute', () => {
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T10:00:04.000Z' }, 5, now)).toBe(true);
    expect(isSyncDue({ lastEnrollmentSyncAt: '2026-03-01T10:04:04.000Z' }, 1, now)).toBe(true);
  });
});
