/**
 * NCRONTAB, the 6-field cron format of Azure Functions timer triggers
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`), read with croner and evaluated in UTC here
 * (WEBSITE_TIME_ZONE is not used). As in NCrontab, a day must match both the day field and the day-of-week field;
 * steps may start at a value (`50/5`). A schedule written `%NAME%` is read from the app setting NAME (or that setting's
 * default).
 */
import { Cron } from 'croner';
import { settingDefault } from '../../shared/base/config.js';

export class NcrontabError extends Error {
  readonly code = 'ERR_NCRONTAB';
  constructor(
    readonly expression: string,
    detail: string,
  ) {
    super(`Invalid NCRONTAB expression "${expression}": ${detail}`);
    this.name = 'NcrontabError';
  }
}

export interface NcrontabSchedule {
  readonly expression: string;
  readonly cron: Cron;
}

/** Parses a 6-field expression; throws NcrontabError naming what is wrong. */
export function parseNcrontab(expression: string): NcrontabSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6 || fields.some((field) => field === '')) {
    throw new NcrontabError(expression, `expected 6 fields (second minute hour day month day-of-week), got ${fields.length}`);
  }
  // croner reads `?`, `L`, `#` and `W` too; NCRONTAB does not.
  if (/[?LW#]/i.test(fields.join(' ').replace(/\b(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT)\b/gi, ''))) {
    throw new NcrontabError(expression, 'only *, values, ranges, steps and lists are allowed');
  }
  // croner also reads 7 as Sunday; NCRONTAB's days of the week are 0 (Sunday) to 6.
  const dayOfWeek = fields[5] ?? '';
  if ((dayOfWeek.match(/\d+/g) ?? []).some((value, index, all) => Number(value) > 6 && !(dayOfWeek.includes('/') && index === all.length - 1))) {
    throw new NcrontabError(expression, 'day-of-week must be 0 (Sunday) to 6');
  }
  try {
    const cron = new Cron(fields.join(' '), { paused: true, timezone: 'Etc/UTC', mode: '6-part', domAndDow: true, sloppyRanges: true });
    return { expression, cron };
  } catch (caught) {
    throw new NcrontabError(expression, caught instanceof Error ? caught.message : 'not a valid expression');
  }
}

const settingReference = /^%([A-Za-z_][A-Za-z0-9_.:-]*)%$/;

/** Resolves `%NAME%` against the settings record, falling back to the setting's default; other text is returned as is. */
export function resolveSchedule(schedule: string, settings: Readonly<Record<string, string | undefined>>): string {
  const match = settingReference.exec(schedule.trim());
  if (!match?.[1]) return schedule;
  const name = match[1];
  const value = settings[name];
  const resolved = value !== undefined && value.trim() !== '' ? value : settingDefault(name);
  if (resolved === undefined) throw new NcrontabError(schedule, `setting ${name} is not set and has no default`);
  return resolved;
}

/** Whether the expression (or the `%SETTING%` it names) is a 6-field NCRONTAB with at least one occurrence. */
export function isValidNcrontab(expression: string, settings: Readonly<Record<string, string | undefined>> = {}): boolean {
  try {
    nextOccurrence(resolveSchedule(expression, settings), new Date(Date.UTC(2000, 0, 1)));
    return true;
  } catch {
    return false;
  }
}

/** The first time strictly after `after` (to the second, UTC) that the schedule names. */
export function nextOccurrence(expression: string | NcrontabSchedule, after: Date): Date {
  const schedule = typeof expression === 'string' ? parseNcrontab(expression) : expression;
  // From the start of `after`'s second: croner answers the first run strictly after the time it is given.
  const from = new Date(Math.floor(after.getTime() / 1000) * 1000);
  const next = schedule.cron.nextRun(from);
  if (!next) throw new NcrontabError(schedule.expression, 'it never occurs');
  return next;
}
