/**
 * Intune's own view of a device for the device page (`intune` in `GET /api/v1/console/devices/{deviceId}`): read from
 * Graph (`GET /deviceManagement/managedDevices/{id}`, the three properties it needs) when the page asks, reused for
 * up to 5 minutes per instance, and budgeted per tenant across instances, so opening many device pages cannot use up
 * the tenant's Graph allowance. When Graph cannot be asked now (budget, throttling, failure, device gone) the view is
 * null with the reason in words; the rest of the page is unaffected.
 */
import { z } from 'zod';
import { statusOf, toError } from '../base/errors.js';
import type { CorePorts } from '../ports.js';
import { createMemo, createStoredTenantRate, type Memo, type TenantRate } from './budgets.js';

export const intuneViewSchema = z.object({
  complianceState: z.string().nullable().describe("Intune's compliance state of the device (`compliant`, `noncompliant`, `inGracePeriod`, ...)."),
  partnerReportedThreatState: z.string().nullable().describe('The threat state Intune holds from the partner (what it was last told, once it has synced).'),
  lastSyncDateTime: z.string().nullable().describe('When the device last synced with Intune.'),
  readAt: z.string().describe('When this view was read from Graph (reused for at most 5 minutes).'),
});
export type IntuneView = z.infer<typeof intuneViewSchema>;

export const intuneViewResultSchema = z.object({
  intune: intuneViewSchema.nullable().describe("Intune's own view of the device, read from Graph; null when it could not be read now (see `intuneUnavailable`)."),
  intuneUnavailable: z.string().nullable().describe('Why Intune\'s view is missing, in words; null when it is there.'),
});
export type IntuneViewResult = z.infer<typeof intuneViewResultSchema>;

const managedDeviceSchema = z.object({
  complianceState: z.string().nullish(),
  partnerReportedThreatState: z.string().nullish(),
  lastSyncDateTime: z.string().nullish(),
});

/** How long a view is reused. */
export const intuneViewMaxAgeMs = 5 * 60_000;
/** Graph reads of device views per tenant per minute, across instances. */
export const intuneViewRate = { limit: 30, windowMs: 60_000 } as const;

export interface IntuneViews {
  read(tenantId: string, deviceId: string): Promise<IntuneViewResult>;
}

export function createIntuneViews(deps: Pick<CorePorts, 'tables' | 'clock' | 'graph'>): IntuneViews {
  const memo: Memo<IntuneViewResult> = createMemo(deps.clock, intuneViewMaxAgeMs);
  const rate: TenantRate = createStoredTenantRate(deps, { name: 'intune-view', what: 'Intune device read', ...intuneViewRate });
  const load = async (tenantId: string, deviceId: string): Promise<IntuneViewResult> => {
    try {
      await rate.take(tenantId);
    } catch {
      return { intune: null, intuneUnavailable: 'Too many device pages were opened in the last minute; Intune\'s view will be read again shortly.' };
    }
    try {
      const raw: unknown = await deps.graph
        .graph(tenantId)
        .api(`/deviceManagement/managedDevices/${encodeURIComponent(deviceId)}`)
        .select(['complianceState', 'partnerReportedThreatState', 'lastSyncDateTime'])
        .get();
      const parsed = managedDeviceSchema.safeParse(raw);
      if (!parsed.success) return { intune: null, intuneUnavailable: 'Intune answered with an unexpected shape.' };
      return {
        intune: {
          complianceState: parsed.data.complianceState ?? null,
          partnerReportedThreatState: parsed.data.partnerReportedThreatState ?? null,
          lastSyncDateTime: parsed.data.lastSyncDateTime ?? null,
          readAt: deps.clock.now().toISOString(),
        },
        intuneUnavailable: null,
      };
    } catch (caught) {
      const status = statusOf(caught);
      if (status === 404) return { intune: null, intuneUnavailable: 'Intune no longer has this device.' };
      if (status === 429) return { intune: null, intuneUnavailable: 'Microsoft Graph is throttling reads for your organization; try again in a minute.' };
      return { intune: null, intuneUnavailable: `Intune could not be read now (${status !== undefined ? `HTTP ${status}` : toError(caught).name}).` };
    }
  };
  return {
    // Only views actually read are reused; a refusal or failure is asked again on the next page load.
    read: (tenantId, deviceId) => memo.get(`${tenantId}|${deviceId}`, () => load(tenantId, deviceId), (result) => result.intune !== null),
  };
}
