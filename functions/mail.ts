import type { TimerFunctionHandler } from './catalog.js';
import { graphMembershipCheck } from '../shared/auth/membership.js';
import { runMail } from '../shared/mail/run.js';
import type { Services } from '../shared/services.js';

/** Timer (`%MAIL_SCHEDULE%`): threat alerts to the admins who asked for them, and error reports, per active tenant. */
export const mail =
  (services: Services): TimerFunctionHandler =>
  async (_timer, context) => {
    const result = await runMail({
      tables: services.tables,
      clock: services.clock,
      log: services.log,
      mail: services.mail,
      publicBaseUrl: services.config.PUBLIC_BASE_URL,
      membership: graphMembershipCheck(services.graph),
    });
    context.log(
      `Mail: ${result.tenants} active tenants, ${result.alertMails} alert mails, ${result.summaries} summaries, ` +
        `${result.suppressed} alerts in quiet periods, ${result.errorReports} error reports` +
        `${result.mailUnavailable ? `; SendGrid unavailable, ${result.alertsKept} alerts wait for the next run` : ''}` +
        `${result.failedTenants > 0 ? `; ${result.failedTenants} tenants failed` : ''}.`,
    );
  };
