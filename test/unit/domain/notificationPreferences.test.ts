import { describe, expect, it } from 'vitest';
import {
  defaultNotificationPreferences,
  notificationPreferencesSchema,
  wantsAlert,
} from '../../../shared/domain/notificationPreferences.js';

describe('notification preferences', () => {
  it('default to the user address with every level off', () => {
    const prefs = defaultNotificationPreferences('adele@contoso.com');
    expect(prefs).toEqual({ email: 'adele@contoso.com', levels: { low: false, medium: false, high: false } });
    for (const level of ['none', 'low', 'medium', 'high'] as const) expect(wantsAlert(prefs, level)).toBe(false);
  });

  it('alert only at the chosen levels and never for none', () => {
    const prefs = { email: 'a@contoso.com', levels: { low: false, medium: true, high: true } };
    expect(wantsAlert(prefs, 'none')).toBe(false);
    expect(wantsAlert(prefs, 'low')).toBe(false);
    expect(wantsAlert(prefs, 'medium')).toBe(true);
    expect(wantsAlert(prefs, 'high')).toBe(true);
    const all = { email: 'a@contoso.com', levels: { low: true, medium: true, high: true } };
    expect(wantsAlert(all, 'none')).toBe(false);
    expect(wantsAlert(all, 'low')).toBe(true);
  });

  it('parse a valid document', () => {
    const input = { email: 'a@contoso.com', levels: { low: true, medium: false, high: true } };
    expect(notificationPreferencesSchema.parse(input)).toEqual(input);
  });

  it.each([
    [{ email: 'not-an-email', levels: { low: true, medium: true, high: true } }, 'email'],
    [{ email: 'a@contoso.com', levels: { low: true, medium: true } }, 'levels.high'],
    [{ email: 'a@contoso.com', levels: { low: 'yes', medium: true, high: true } }, 'levels.low'],
    [{ email: 'a@contoso.com', levels: { low: true, medium: true, high: true, none: true } }, 'levels'],
    [{ email: 'a@contoso.com', levels: { low: true, medium: true, high: true }, sms: '+1' }, ''],
    [{ levels: { low: true, medium: true, high: true } }, 'email'],
  ])('reject %j at %s', (input, path) => {
    const result = notificationPreferencesSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });
});
