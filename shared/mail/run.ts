/**
 * One run of the mail timer: for each active tenant, its pending threat alerts and its error report. Only this timer
 * sends mail, so SendGrid's trouble never reaches the threat pipeline. Once SendGrid is found unavailable in a run,
 * the run stops sending (the rows stay for the next run) instead of waiting out retries tenant after tenant.
 */
import type { Clock } from '../clock.js';
import { toError } from '../errors.js';
import type { Logger } from '../services.js';
import type { MembershipCheck } from '../auth/membership.js';
import type { TableStore } from '../storage/index.js';
import { listActiveTenants } from '../tenants/tenantRepository.js';
import { sendThreatAlerts, type AlertRunResult } from './alerts.js';
import { sendErrorReport } from './errorReportMail.js';
import { isTemporary, MailSendError, type MailSender } from './sendgrid.js';

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

export async function runMail(deps: MailRunDeps): Promise<MailRunResult> {
  const circuit = withCircuit(deps.mail);
  const tenantDeps = { ...deps, mail: circuit.sender };
  const tenants = await listActiveTenants(deps.tables);
  const totals = { alertMails: 0, summaries: 0, suppressed: 0, alertsKept: 0, errorReports: 0, failedTenants: 0 };

  for (const tenant of tenants) {
    const named = {
      tenantId: tenant.tenantId,
      displayName: tenant.displayName,
      groups: { fullAccessGroupId: tenant.fullAccessGroupId, restrictedAccessGroupId: tenant.restrictedAccessGroupId },
    };
    let alerts: AlertRunResult | undefined;
    try {
      alerts = await sendThreatAlerts(tenantDeps, named);
      totals.alertMails += alerts.alertMails;
      totals.summaries += alerts.summaries;
      totals.suppressed += alerts.suppressed;
      totals.alertsKept += alerts.kept;
    } catch (caught) {
      totals.failedTenants += 1;
      deps.log.error(`Threat alert mail of tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
    }
    if (circuit.tripped()) continue;
    try {
      const report = await sendErrorReport(tenantDeps, named);
      if (report.sent) totals.errorReports += 1;
    } catch (caught) {
      if (caught instanceof MailSendError) {
        deps.log.warn(`Error report of tenant ${tenant.tenantId} not mailed: ${caught.message}; retried next run.`);
      } else {
        if (alerts) totals.failedTenants += 1;
        deps.log.error(`Error report of tenant ${tenant.tenantId} failed: ${toError(caught).message}`);
      }
    }
  }
  return { tenants: tenants.length, ...totals, mailUnavailable: circuit.tripped() };
}
