/**
 * App rules as the console reads and changes them: `{ packageName, riskLevel, reason }`, at most 1,000 per tenant
 * (shared/tenants/appRules.ts keeps the rows and the limit). A change answers like a classification change: the rule
 * saved, and the re-grade job of the devices with an open threat of that package (found through the threat rows'
 * package index, `p|{packageName}|`), run through the `device-slices` queue (shared/compliance/regrade.ts).
 */
import { z } from 'zod';
import { audited } from '../audit/auditLog.js';
import type { ConsolePrincipal } from '../auth/console.js';
import { previewAppRule, type RegradePreview } from '../compliance/regrade.js';
import { riskLevelSchema } from '../domain/index.js';
import { HttpError } from '../http/problem.js';
import { AppRuleLimitReached, deleteAppRule, readAppRule, listAppRules, maxAppRules, packageNameSchema, putAppRule, type AppRule } from '../tenants/appRules.js';
import type { TableStore } from '../storage/index.js';
import { regradeSchema, runningRegrade, sendRegradeSlices, startRegrade, type ClassificationChangeDeps, type Regrade } from './classifications.js';

export const appRuleSchema = z
  .object({
    packageName: z.string().describe('The package name (Android application id or iOS bundle id), matched exactly.'),
    riskLevel: riskLevelSchema.describe("The level a threat of this package counts as, instead of its classification's."),
    reason: z.string().describe('Why the rule exists.'),
    updatedAt: z.string(),
    updatedBy: z.string().describe('The console user who last set it.'),
  })
  .describe('An app rule.');

export const appRuleListSchema = z.object({
  items: z.array(appRuleSchema).describe('Every rule of the tenant, by package name.'),
  limit: z.int().describe(`The most rules a tenant may have (${maxAppRules}).`),
});

export const appRuleParamsSchema = z.object({ packageName: packageNameSchema });

export const appRuleBodySchema = z.strictObject({
  riskLevel: riskLevelSchema.describe('`none` allows an app the policy would flag; `high` denies one it would not.'),
  reason: z.string().trim().min(1).max(500).describe('Why (1 to 500 characters): shown on the policy page and audited.'),
});

export const appRuleChangeResponseSchema = z.object({
  item: appRuleSchema.optional().describe('The rule as saved (absent after a deletion).'),
  regrade: regradeSchema,
});

export const appRulePreviewBodySchema = z.strictObject({
  packageName: packageNameSchema,
  riskLevel: riskLevelSchema
    .nullable()
    .describe('The level to try for the package, or `null` to try without a rule for it.'),
});

export async function listConsoleAppRules(tables: TableStore, tenantId: string): Promise<{ items: AppRule[]; limit: number }> {
  return { items: await listAppRules(tables, tenantId), limit: maxAppRules };
}

/** Creates or replaces a rule (audited) and answers with the re-grade job of the devices with an open threat of it. */
export async function setAppRule(
  services: ClassificationChangeDeps,
  principal: ConsolePrincipal,
  packageName: string,
  body: z.output<typeof appRuleBodySchema>,
): Promise<{ item: AppRule; regrade: Regrade }> {
  const tenantId = principal.tenantId;
  return audited(services, principal, { action: 'appRule.put', target: packageName, request: body }, async () => {
    const job = await startRegrade(services, principal, [], [packageName]);
    const rule: AppRule = {
      packageName,
      riskLevel: body.riskLevel,
      reason: body.reason,
      updatedAt: job.createdAt,
      updatedBy: principal.name || principal.upn || principal.userId,
    };
    let saved: Awaited<ReturnType<typeof putAppRule>>;
    try {
      saved = await putAppRule(services.tables, tenantId, rule);
    } catch (caught) {
      if (caught instanceof AppRuleLimitReached) {
        throw new HttpError(409, `A tenant has at most ${maxAppRules} app rules: delete one before adding another.`, { title: 'Too many app rules' });
      }
      throw caught;
    }
    services.devices.tenants.invalidate(tenantId);
    await sendRegradeSlices(services, job);
    return {
      before: saved.before ? { riskLevel: saved.before.riskLevel, reason: saved.before.reason } : null,
      after: { riskLevel: rule.riskLevel, reason: rule.reason, regradeId: job.id },
      item: saved.after,
      regrade: runningRegrade(job),
    };
  }).then(({ item, regrade }) => ({ item, regrade }));
}

/** Deletes a rule (audited; 404 when there is none) and answers with the re-grade job of the devices it graded. */
export async function removeAppRule(services: ClassificationChangeDeps, principal: ConsolePrincipal, packageName: string): Promise<{ regrade: Regrade }> {
  const tenantId = principal.tenantId;
  if (!(await readAppRule(services.tables, tenantId, packageName))) throw new HttpError(404, `There is no app rule for ${packageName}.`);
  return audited(services, principal, { action: 'appRule.delete', target: packageName }, async () => {
    const job = await startRegrade(services, principal, [], [packageName]);
    const removed = await deleteAppRule(services.tables, tenantId, packageName);
    if (!removed) throw new HttpError(404, `There is no app rule for ${packageName}.`);
    services.devices.tenants.invalidate(tenantId);
    await sendRegradeSlices(services, job);
    return { before: { riskLevel: removed.riskLevel, reason: removed.reason }, after: { regradeId: job.id }, regrade: runningRegrade(job) };
  }).then(({ regrade }) => ({ regrade }));
}

/** What setting or removing a package's rule would do: devices that would change level, by old→new. Writes nothing. */
export function previewConsoleAppRule(tables: TableStore, tenantId: string, body: z.output<typeof appRulePreviewBodySchema>, now: Date): Promise<RegradePreview> {
  return previewAppRule(tables, tenantId, body.packageName, body.riskLevel, now);
}
