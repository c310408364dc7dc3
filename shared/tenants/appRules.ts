/**
 * A tenant's app rules (`appRules`, PartitionKey tenant id, RowKey `encodeKey(packageName)`): a threat whose
 * `packageName` has a rule is graded at the rule's level instead of its classification's (shared/domain/deviceRisk.ts).
 *
 * The tenant row carries `appRuleCount` and `appRulesVersion` (shared/tenants/tenantConfig.ts), so the device API's
 * cached tenant context reads the rules only for tenants that have some, and again only when they changed. The count
 * is never below the rows: a new rule first takes a slot on the tenant row (an ETag write that refuses the 1,001st,
 * so concurrent creations cannot pass the limit), then creates its row; a deletion removes the row first, then gives
 * the slot back. A process that stops between the two steps leaves the count one high, which costs a read, never a
 * rule left ungraded.
 */
import { z } from 'zod';
import { statusOf } from '../base/errors.js';
import { riskLevelSchema, type AppRuleLevels, type RiskLevel } from '../domain/index.js';
import { NO_CHANGE, encodeKey, odata, readEntity, updateEntity, type TableStore } from '../storage/index.js';
import { TenantNotFound, tenantConfigEntitySchema, tenantRowKey } from './tenantConfig.js';

/** Most app rules one tenant may have. */
export const maxAppRules = 1_000;

/**
 * A package name as Android (application id) and iOS (bundle id) write them: letters, digits, `_`, `-` and `.`,
 * starting with a letter, digit or `_`, at most 255 characters.
 */
export const packageNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a package name has letters, digits, "_", "-" and "." only')
  .describe('The package name (Android application id or iOS bundle id), matched exactly, case included.');

export interface AppRule {
  readonly packageName: string;
  readonly riskLevel: RiskLevel;
  readonly reason: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

const appRuleEntitySchema = z.object({
  packageName: z.string(),
  riskLevel: riskLevelSchema,
  reason: z.string().default(''),
  updatedAt: z.string().default(''),
  updatedBy: z.string().default(''),
});

export class AppRuleLimitReached extends Error {
  readonly code = 'ERR_APP_RULE_LIMIT';
  constructor() {
    super(`A tenant has at most ${maxAppRules} app rules`);
    this.name = 'AppRuleLimitReached';
  }
}

function ruleOf(raw: z.output<typeof appRuleEntitySchema>): AppRule {
  return { packageName: raw.packageName, riskLevel: raw.riskLevel, reason: raw.reason, updatedAt: raw.updatedAt, updatedBy: raw.updatedBy };
}

/** Every rule of the tenant, by package name (one partition query; at most 1,000 rows). */
export async function listAppRules(tables: TableStore, tenantId: string): Promise<AppRule[]> {
  const rules: AppRule[] = [];
  const rows = tables.table('appRules').listEntities({ queryOptions: { filter: odata`PartitionKey eq ${tenantId}` } });
  for await (const raw of rows) {
    const parsed = appRuleEntitySchema.safeParse(raw);
    if (parsed.success) rules.push(ruleOf(parsed.data));
  }
  return rules.sort((a, b) => (a.packageName < b.packageName ? -1 : a.packageName > b.packageName ? 1 : 0));
}

/** The rules as grading takes them. */
export function appRuleLevels(rules: readonly Pick<AppRule, 'packageName' | 'riskLevel'>[]): AppRuleLevels {
  return new Map(rules.map((rule) => [rule.packageName, rule.riskLevel]));
}

/** The rule for a package, or undefined. One point read. */
export async function readAppRule(tables: TableStore, tenantId: string, packageName: string): Promise<AppRule | undefined> {
  const row = await readEntity(tables.table('appRules'), appRuleEntitySchema, tenantId, encodeKey(packageName));
  return row ? ruleOf(row) : undefined;
}

/** Moves the tenant row's count by `delta` (refusing to pass the limit when taking a slot) and bumps the version. */
async function adjustCount(tables: TableStore, tenantId: string, delta: 1 | 0 | -1): Promise<void> {
  const result = await updateEntity(
    tables.table('tenants'),
    tenantId,
    tenantRowKey,
    (current) => {
      if (!current) return NO_CHANGE;
      const count = current.appRuleCount ?? 0;
      if (delta > 0 && count >= maxAppRules) throw new AppRuleLimitReached();
      return { ...current, appRuleCount: Math.max(0, count + delta), appRulesVersion: (current.appRulesVersion ?? 0) + 1 };
    },
    { schema: tenantConfigEntitySchema },
  );
  if (!result.entity) throw new TenantNotFound(tenantId);
}

function ruleEntity(tenantId: string, rule: AppRule): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  return { partitionKey: tenantId, rowKey: encodeKey(rule.packageName), ...rule };
}

function lostRace(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 404 || status === 409;
}

/**
 * Creates or replaces the rule for `rule.packageName`. Throws AppRuleLimitReached when it would be the tenant's
 * 1,001st rule. Returns the rule it replaced, if any.
 */
export async function putAppRule(tables: TableStore, tenantId: string, rule: AppRule): Promise<{ before: AppRule | undefined; after: AppRule }> {
  const table = tables.table('appRules');
  const rowKey = encodeKey(rule.packageName);
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    const existing = await readEntity(table, appRuleEntitySchema, tenantId, rowKey);
    if (existing) {
      try {
        await table.updateEntity(ruleEntity(tenantId, rule), 'Replace', { etag: existing.etag });
      } catch (caught) {
        if (lostRace(caught)) continue;
        throw caught;
      }
      await adjustCount(tables, tenantId, 0);
      return { before: ruleOf(existing), after: rule };
    }
    await adjustCount(tables, tenantId, 1);
    try {
      await table.createEntity(ruleEntity(tenantId, rule));
      return { before: undefined, after: rule };
    } catch (caught) {
      // Created by someone else meanwhile: give the slot back and replace theirs.
      await adjustCount(tables, tenantId, -1);
      if (statusOf(caught) === 409) continue;
      throw caught;
    }
  }
  throw new Error(`App rule ${rule.packageName} of tenant ${tenantId}: too many concurrent changes`);
}

/** Deletes the rule for a package; returns it, or undefined when there was none. */
export async function deleteAppRule(tables: TableStore, tenantId: string, packageName: string): Promise<AppRule | undefined> {
  const table = tables.table('appRules');
  const rowKey = encodeKey(packageName);
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    const existing = await readEntity(table, appRuleEntitySchema, tenantId, rowKey);
    if (!existing) return undefined;
    try {
      await table.deleteEntity(tenantId, rowKey, { etag: existing.etag });
    } catch (caught) {
      if (lostRace(caught)) continue;
      throw caught;
    }
    await adjustCount(tables, tenantId, -1);
    return ruleOf(existing);
  }
  throw new Error(`App rule ${packageName} of tenant ${tenantId}: too many concurrent changes`);
}
