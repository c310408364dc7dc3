/**
 * NCRONTAB, the 6-field cron format of Azure Functions timer triggers:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC here (WEBSITE_TIME_ZONE is not used).
 * Each field takes `*`, values, ranges `a-b`, steps `*\/n`, `a-b/n` or `a/n`, and comma lists of those; months
 * take JAN..DEC and days of the week SUN..SAT (0 = Sunday). As in NCrontab, a day must match both the day field
 * and the day-of-week field.
 * A schedule written `%NAME%` is read from the app setting NAME (or that setting's default).
 */
import { settingDefault } from '../../shared/config.js';

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
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const fields: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: monthNames },
  { name: 'day-of-week', min: 0, max: 6, names: dayNames },
];

function parseValue(expression: string, field: FieldSpec, text: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      throw new NcrontabError(expression, `${field.name} ${value} is outside ${field.min}-${field.max}`);
    }
    return value;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) throw new NcrontabError(expression, `"${text}" is not a valid ${field.name}`);
  return field.min + index;
}

function parseField(expression: string, field: FieldSpec, text: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match?.[1]) throw new NcrontabError(expression, `"${item}" is not a valid ${field.name}`);
    const range = match[1];
    const step = match[2] === undefined ? 1 : Number(match[2]);
    if (step < 1) throw new NcrontabError(expression, `step of ${field.name} must be at least 1`);
    let low: number;
    let high: number;
    if (range === '*') {
      low = field.min;
      high = field.max;
    } else if (range.includes('-')) {
      const [from = '', to = '', ...extra] = range.split('-');
      if (extra.length > 0) throw new NcrontabError(expression, `"${range}" is not a valid ${field.name} range`);
      low = parseValue(expression, field, from);
      high = parseValue(expression, field, to);
      if (high < low) throw new NcrontabError(expression, `${field.name} range "${range}" runs backwards`);
    } else {
      low = parseValue(expression, field, range);
      high = match[2] === undefined ? low : field.max;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

/** Parses a 6-field expression; throws NcrontabError naming what is wrong. */
export function parseNcrontab(expression: string): NcrontabSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6 || parts.some((part) => part === '')) {
    throw new NcrontabError(expression, `expected 6 fields (second minute hour day month day-of-week), got ${parts.length}`);
  }
  const [seconds, minutes, hours, days, months, daysOfWeek] = fields.map((field, index) =>
    parseField(expression, field, parts[index] ?? ''),
  ) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return { expression, seconds, minutes, hours, days, months, daysOfWeek };
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

/** How far ahead to look: Feb 29 on a given weekday recurs within 28 years. */
const searchYears = 30;

/** The first time strictly after `after` (to the second, UTC) that the schedule names. */
export function nextOccurrence(expression: string | NcrontabSchedule, after: Date): Date {
  const schedule = typeof expression === 'string' ? parseNcrontab(expression) : expression;
  const start = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  const limit = new Date(start).getUTCFullYear() + searchYears;
  const t = new Date(start);
  while (t.getUTCFullYear() <= limit) {
    if (!schedule.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.days.has(t.getUTCDate()) || !schedule.daysOfWeek.has(t.getUTCDay())) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.seconds.has(t.getUTCSeconds())) {
      t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  throw new NcrontabError(schedule.expression, `no occurrence within ${searchYears} years`);
}
