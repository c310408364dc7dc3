/**
 * Mail of one tenant (its `mail` job, made due when an alert is queued or an error recorded): its pending threat
 * alerts and its error report. Only mail jobs send mail, so SendGrid's trouble never reaches the threat pipeline. Once
 * SendGrid is found unavailable in a run, the run stops sending (the rows stay) and asks to run again a minute later.
 */
import type { Clock } from '../base/clock.js';
import { toError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { MembershipCheck } from '../auth/membership.js';
import type { TableStore } from '../storage/index.js';
import { listActiveTenants, type Tenant } from '../tenants/tenantRepository.js';
import { sendThreatAlerts, type AlertRunResult } from './alerts.js';
import { sendErrorReport } from './errorReportMail.js';
import { isTemporary, MailSendError, type MailSender } from '../sendgrid/sendgrid.js';

export interface MailRunDeps {
  readonly tables: TableStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly mail: MailSender;
  readonly publicBaseUrl: string;
  /** Who is still a console user (Graph): alerts go only to them. */
  readonly membership?: MembershipCheck;
}

export interface MailRunResult {
  readonly tenants: number;
  readonly alertMails: number;
  readonly summaries: number;
  readonly suppressed: number;
  readonly alertsKept: number;
  readonly errorReports: number;
  /** Tenants whose run failed (storage trouble); they are tried again next run. */
  readonly failedTenants: number;
  /** SendGrid was unavailable: some mail waits for the next run. */
  readonly mailUnavailable: boolean;
}

/** A sender that, after one temporary failure, fails every further send at once. */
function withCircuit(sender: MailSender): { sender: MailSender; tripped: () => boolean } {
  let open = false;
  return {
    tripped: () => open,
    sender: {
      async send(message) {
        if (open) throw new MailSendError('SendGrid was unavailable earlier in this run', true);
        try {
          await sender.send(message);
        } catch (caught) {
          if (isTemporary(caught)) open = true;
          throw caught;
        }
      },
    },
  };
}

export interface TenantMailResult {
  readonly alertMails: number;
  readonly summaries: number;
  readonly suppressed: number;
  readonly alertsKept: number;
  readonly errorReports: number;
  readonly failed: boolean;
  readonly mailUnavailable: boolean;
  /** When the tenant's mail job must run again (mail that waits: SendGrid trouble, an error kind's hourly limit, old rows to delete); undefined: only when made due. */
  readonly nextDueMs?: number;
}

/** The tenant a mail run is for: its name for the mail, its console groups for who may still receive alerts. */
export type MailTenant = Pick<Tenant, 'tenantId' | 'displayName' | 'fullAccessGroupId' | 'restrictedAccessGroupId'>;

/** A retry after SendGrid trouble. */
export const mailRetryMs = 60_000;

/** One tenant's threat alerts and error report (the tenant's mail job). */
export async function runTenantMail(deps: MailRunDeps, tenant: MailTenant): Promise<TenantMailResult> {
  const circuit = withCircuit(deps.mail);
  const tenantDeps = { ...deps, mail: circuit.sender };
  const named = {
    tenantId: tenant.tenantId,
    displayName: tenant.displayName,
    groups: { fullAccessGroupId: tenant.fullAccessGroupId, restrictedAccessGroupId: tenant.restrictedAccessGroupId },
  };
  const totals = { alertMails: 0, summaries: 0, suppressed: 0, alertsKept: 0, errorReports: 0 };
  let failed = false;
  const later: number[] = [];
  let alerts: AlertRunResult | undefined;
  try {
    alerts = await sendThreatAlerts(tenantDeps, named);
    totals.alertMails += alerts.alertMails;
    totals.summaries += alerts.summaries;
    totals.suppressed += alerts.suppressed;
    totals.alertsKept += alerts.kept;
    if (alerts.kept > 0) later.push(deps.clock.now().getTime() + mailRetryMs);
  } catch (caught) {
    failed = true;
    later.push(deps.clock.now().getTime() + mailRetryMs);
    deps.log.error(`Threat alert mail of tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
  }
  if (!circuit.tripped()) {
    try {
      const report = await sendErrorReport(tenantDeps, named);
      if (report.sent) totals.errorReports += 1;
      if (report.nextDueMs !== undefined) later.push(report.nextDueMs);
    } catch (caught) {
      later.push(deps.clock.now().getTime() + mailRetryMs);
      if (caught instanceof MailSendError) {
        deps.log.warn(`Error report of tenant ${tenant.tenantId} not mailed: ${caught.message}; retried next run.`);
      } else {
        failed = true;
        deps.log.error(`Error report of tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
      }
    }
  } else {
    later.push(deps.clock.now().getTime() + mailRetryMs);
  }
  return {
    ...totals,
    failed,
    mailUnavailable: circuit.tripped(),
    ...(later.length > 0 ? { nextDueMs: Math.min(...later) } : {}),
  };
}

/**
 * Every active tenant, one after the other: what the mail timer did before the due-time index (kept for the
 * benchmark's "before" figures and for tests that want one pass over every tenant).
 */
export async function runMail(deps: MailRunDeps): Promise<MailRunResult> {
  const tenants = await listActiveTenants(deps.tables);
  const totals = { alertMails: 0, summaries: 0, suppressed: 0, alertsKept: 0, errorReports: 0, failedTenants: 0 };
  let mailUnavailable = false;
  for (const tenant of tenants) {
    const result = await runTenantMail(mailUnavailable ? { ...deps, mail: unavailable } : deps, tenant);
    totals.alertMails += result.alertMails;
    totals.summaries += result.summaries;
    totals.suppressed += result.suppressed;
    totals.alertsKept += result.alertsKept;
    totals.errorReports += result.errorReports;
    if (result.failed) totals.failedTenants += 1;
    if (result.mailUnavailable) mailUnavailable = true;
  }
  return { tenants: tenants.length, ...totals, mailUnavailable };
}

/** Once SendGrid was found unavailable in a pass, the rest of the pass does not wait out retries. */
const unavailable: MailSender = {
  send: () => Promise.reject(new MailSendError('SendGrid was unavailable earlier in this run', true)),
};
