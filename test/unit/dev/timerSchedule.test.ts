import { describe, expect, it } from 'vitest';
import { isValidNcrontab, nextOccurrence, resolveSchedule } from '../../../dev/host/timerSchedule.js';

const next = (expression: string, after: string): string => nextOccurrence(expression, new Date(after)).toISOString();

describe('nextOccurrence', () => {
  it.each([
    ['0 */5 * * * *', '2026-01-01T00:00:00.000Z', '2026-01-01T00:05:00.000Z'],
    ['0 */5 * * * *', '2026-01-01T00:03:17.500Z', '2026-01-01T00:05:00.000Z'],
    ['30 */5 * * * *', '2026-01-01T00:00:29.999Z', '2026-01-01T00:00:30.000Z'],
    ['30 */5 * * * *', '2026-01-01T00:00:30.000Z', '2026-01-01T00:05:30.000Z'],
    ['15 * * * * *', '2026-03-04T10:20:15.000Z', '2026-03-04T10:21:15.000Z'],
    ['0 * * * * *', '2026-03-04T10:59:59.000Z', '2026-03-04T11:00:00.000Z'],
    ['0 0 0 * * *', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z'],
    ['5,10-12,50/5 * * * * *', '2026-01-01T00:00:12.000Z', '2026-01-01T00:00:50.000Z'],
    ['5,10-12,50/5 * * * * *', '2026-01-01T00:00:55.000Z', '2026-01-01T00:01:05.000Z'],
    ['0 0 9 * * MON-FRI', '2026-01-02T10:00:00.000Z', '2026-01-05T09:00:00.000Z'],
    ['0 0 */6 * * sun', '2026-01-01T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
    ['0 0 0 1 JAN *', '2026-06-15T08:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 12 29 FEB *', '2026-03-01T00:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['0 30 23 31 * *', '2026-04-01T00:00:00.000Z', '2026-05-31T23:30:00.000Z'],
    ['0 0 0 13 * FRI', '2026-01-01T00:00:00.000Z', '2026-02-13T00:00:00.000Z'],
    ['0 15 10 * 6-8/2 *', '2026-01-01T00:00:00.000Z', '2026-06-01T10:15:00.000Z'],
    ['0 0 0 * * 0', '2026-01-03T12:00:00.000Z', '2026-01-04T00:00:00.000Z'],
  ])('%s after %s is %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it('steps through consecutive occurrences', () => {
    const times: string[] = [];
    let at = new Date('2026-01-01T00:00:00.000Z');
    for (let i = 0; i < 4; i += 1) {
      at = nextOccurrence('30 */5 * * * *', at);
      times.push(at.toISOString());
    }
    expect(times).toEqual([
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:05:30.000Z',
      '2026-01-01T00:10:30.000Z',
      '2026-01-01T00:15:30.000Z',
    ]);
  });
});

describe('isValidNcrontab', () => {
  it.each([
    ['0 */5 * * * *', true],
    ['0 0 9 * * MON-FRI', true],
    ['*/5 * * * *', false],
    ['0 0 0 * * * *', false],
    ['60 * * * * *', false],
    ['0 60 * * * *', false],
    ['0 0 24 * * *', false],
    ['0 0 0 0 * *', false],
    ['0 0 0 * 13 *', false],
    ['0 0 0 * * 7', false],
    ['0 0 0 * * FUN', false],
    ['*/0 * * * * *', false],
    ['5-1 * * * * *', false],
    ['0 0 0 30 FEB *', false],
    ['', false],
  ])('%j is valid: %s', (expression, valid) => {
    expect(isValidNcrontab(expression)).toBe(valid);
  });

  it('validates %SETTING% references through the setting or its default', () => {
    expect(isValidNcrontab('%ENROLLMENT_SYNC_SCHEDULE%')).toBe(true);
    expect(isValidNcrontab('%ENROLLMENT_SYNC_SCHEDULE%', { ENROLLMENT_SYNC_SCHEDULE: '* * *' })).toBe(false);
    expect(isValidNcrontab('%NO_SUCH_SETTING%')).toBe(false);
  });
});

describe('resolveSchedule', () => {
  it('reads %NAME% from the settings, falling back to the default', () => {
    expect(resolveSchedule('%HEARTBEAT_CHECK_SCHEDULE%', { HEARTBEAT_CHECK_SCHEDULE: '0 0 * * * *' })).toBe('0 0 * * * *');
    expect(resolveSchedule('%HEARTBEAT_CHECK_SCHEDULE%', {})).toBe('0 */5 * * * *');
    expect(resolveSchedule('%HEARTBEAT_CHECK_SCHEDULE%', { HEARTBEAT_CHECK_SCHEDULE: '' })).toBe('0 */5 * * * *');
    expect(resolveSchedule('0 1 2 * * *', {})).toBe('0 1 2 * * *');
    expect(() => resolveSchedule('%NO_SUCH_SETTING%', {})).toThrow(/NO_SUCH_SETTING/);
  });
});

/**
 * The NCRONTAB examples of Microsoft's "Timer trigger for Azure Functions" documentation, each with what the
 * documentation says it means, checked on a few consecutive occurrences.
 */
describe("the examples in Microsoft's timer trigger documentation", () => {
  const occurrences = (expression: string, after: string, count: number): string[] => {
    const times: string[] = [];
    let at = new Date(after);
    for (let i = 0; i < count; i += 1) {
      at = nextOccurrence(expression, at);
      times.push(at.toISOString());
    }
    return times;
  };

  it('"0 */5 * * * *": once every five minutes', () => {
    expect(occurrences('0 */5 * * * *', '2026-01-01T10:02:00.000Z', 3)).toEqual(['2026-01-01T10:05:00.000Z', '2026-01-01T10:10:00.000Z', '2026-01-01T10:15:00.000Z']);
  });
  it('"0 0 * * * *": once at the top of every hour', () => {
    expect(occurrences('0 0 * * * *', '2026-01-01T10:02:00.000Z', 2)).toEqual(['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
  });
  it('"0 0 */2 * * *": once every two hours', () => {
    expect(occurrences('0 0 */2 * * *', '2026-01-01T09:30:00.000Z', 3)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T12:00:00.000Z', '2026-01-01T14:00:00.000Z']);
  });
  it('"0 0 9-17 * * *": once every hour from 9 AM to 5 PM', () => {
    const times = occurrences('0 0 9-17 * * *', '2026-01-01T16:30:00.000Z', 3);
    expect(times).toEqual(['2026-01-01T17:00:00.000Z', '2026-01-02T09:00:00.000Z', '2026-01-02T10:00:00.000Z']);
  });
  it('"0 30 9 * * *": at 9:30 AM every day', () => {
    expect(occurrences('0 30 9 * * *', '2026-01-01T09:30:00.000Z', 2)).toEqual(['2026-01-02T09:30:00.000Z', '2026-01-03T09:30:00.000Z']);
  });
  it('"0 30 9 * * 1-5": at 9:30 AM every weekday', () => {
    // Friday 2 January 2026, then Monday 5 January.
    expect(occurrences('0 30 9 * * 1-5', '2026-01-02T08:00:00.000Z', 2)).toEqual(['2026-01-02T09:30:00.000Z', '2026-01-05T09:30:00.000Z']);
  });
  it('"0 30 9 * Jan Mon": at 9:30 AM every Monday in January', () => {
    expect(occurrences('0 30 9 * Jan Mon', '2026-01-20T00:00:00.000Z', 3)).toEqual(['2026-01-26T09:30:00.000Z', '2027-01-04T09:30:00.000Z', '2027-01-11T09:30:00.000Z']);
  });
});
