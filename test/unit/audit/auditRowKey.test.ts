import { describe, expect, it } from 'vitest';
import { auditRowKey } from '../../../shared/audit/auditLog.js';

describe('audit row keys', () => {
  it('sort newest first as strings, with a random suffix', () => {
    const older = auditRowKey(new Date('2026-01-01T00:00:00.000Z'));
    const newer = auditRowKey(new Date('2026-01-01T00:00:00.001Z'));
    expect(newer < older).toBe(true);
    expect(older).toMatch(/^\d{13}-[0-9a-f]{12}$/);
    expect(auditRowKey(new Date(0))).not.toBe(auditRowKey(new Date(0)));
  });
});
