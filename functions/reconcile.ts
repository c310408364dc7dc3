import type { TimerFunctionHandler } from './catalog.js';
import { reconcile as reconcileTenants } from '../shared/compliance/reconcile.js';
import type { Services } from '../shared/services.js';

/** Timer (`%RECONCILE_SCHEDULE%`): re-nudges every device whose last version is not yet pushed everywhere. */
export const reconcile =
  (services: Services): TimerFunctionHandler =>
  async (_timer, context) => {
    const summary = await reconcileTenants(services);
    context.log(
      `Reconcile: ${summary.tenants} active tenants, ${summary.nudged} devices re-nudged, ${summary.failedTenants} tenants failed.`,
    );
  };
