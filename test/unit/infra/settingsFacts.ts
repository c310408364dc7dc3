/**
 * What the app settings schema demands, derived from the schema itself at test time: which settings exist, which a
 * parse cannot do without (alone or as one of a pair), which must be set explicitly in Azure, which hold secrets.
 */
import type { z } from 'zod';

export interface SettingsSchema {
  readonly shape: Readonly<Record<string, z.ZodType>>;
  safeParse(input: unknown): { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

export interface SettingsFacts {
  readonly names: readonly string[];
  /** Parse fails without any one of these. */
  readonly required: readonly string[];
  /** Parse fails when both settings of a pair are missing (each alone may be left out). */
  readonly oneOf: readonly (readonly [string, string])[];
  /** Settings Azure must set even though they have a default: schedules, and defaults that point at this machine. */
  readonly explicit: readonly { readonly name: string; readonly reason: string }[];
  /** Settings that hold secrets: in Azure, set only as Key Vault references (or not at all). */
  readonly secrets: readonly string[];
  /** A value the setting accepts, for settings whose Bicep value is an expression. */
  sampleValue(name: string): string;
  accepts(name: string, value: string): boolean;
  /** Problems of a whole set of settings as the app would parse it. */
  problems(values: Readonly<Record<string, string>>): string[];
}

/** Tried in order; the first one a setting's schema accepts stands in for an expression's value. */
const candidateValues = [
  'https://example.net',
  '8f0d7a58-38e4-4c2e-9a1c-2f4c9f1f5b6e',
  'someone@example.net',
  '0 */5 * * * *',
  'value',
  '30',
  'true',
  // An AES-256 key (base64 of 32 bytes).
  'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
  'production',
  // A SHA-256 digest (hex), e.g. an app signing certificate's.
  'abababababababababababababababababababababababababababababababab',
] as const;

const secretName = /(SECRET|PASSWORD|_KEY)$/;

export function deriveSettingsFacts(schema: SettingsSchema): SettingsFacts {
  const names = Object.keys(schema.shape);
  const field = (name: string): z.ZodType => {
    const found = schema.shape[name];
    if (!found) throw new Error(`${name} is not in the settings schema`);
    return found;
  };
  const accepts = (name: string, value: string): boolean => field(name).safeParse(value).success;
  const sampleValue = (name: string): string => {
    const value = candidateValues.find((candidate) => accepts(name, candidate));
    if (value === undefined) throw new Error(`no sample value fits setting ${name}; add a candidate in settingsFacts.ts`);
    return value;
  };
  const full = Object.fromEntries(names.map((name) => [name, sampleValue(name)]));
  const parses = (omit: readonly string[]): boolean =>
    schema.safeParse(Object.fromEntries(Object.entries(full).filter(([name]) => !omit.includes(name)))).success;
  if (!parses([])) throw new Error('the settings schema rejects a full set of sample values; extend candidateValues');

  const required = names.filter((name) => !parses([name]));
  const optional = names.filter((name) => !required.includes(name));
  const oneOf: [string, string][] = [];
  optional.forEach((first, index) => {
    for (const second of optional.slice(index + 1)) {
      if (!parses([first, second])) oneOf.push([first, second]);
    }
  });

  const explicit: { name: string; reason: string }[] = [];
  for (const name of names) {
    if (required.includes(name)) continue;
    const byDefault = field(name).safeParse(undefined);
    const value = byDefault.success ? byDefault.data : undefined;
    if (name.endsWith('_SCHEDULE')) {
      explicit.push({ name, reason: 'schedules are set explicitly in Azure' });
    } else if (typeof value === 'string' && /\/\/(localhost|127\.0\.0\.1)([:/]|$)/.test(value)) {
      explicit.push({ name, reason: `its default ${value} is this machine, not Azure` });
    }
  }

  return {
    names,
    required,
    oneOf,
    explicit,
    secrets: names.filter((name) => secretName.test(name)),
    sampleValue,
    accepts,
    problems(values) {
      const result = schema.safeParse(values);
      if (result.success) return [];
      return (result.error?.issues ?? []).map((issue) => `${issue.path.map(String).join('.') || '(settings)'}: ${issue.message}`);
    },
  };
}
