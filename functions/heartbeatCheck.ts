import type { TimerFunctionHandler } from './catalog.js';
import { runHeartbeatCheck } from '../shared/heartbeat/heartbeatCheck.js';
import type { Services } from '../shared/services.js';

/** Timer (`%HEARTBEAT_CHECK_SCHEDULE%`): disconnect silent devices and send the connector heartbeat to Intune. */
export const heartbeatCheck =
  (services: Services): TimerFunctionHandler =>
  async (_timer, context) => {
    const results = await runHeartbeatCheck(services, { connectorId: services.config.INTUNE_MTD_CONNECTOR_ID });
    const disconnected = results.reduce((sum, result) => sum + result.disconnected, 0);
    const sent = results.filter((result) => result.connectorHeartbeat === 'sent').length;
    const failed = results.filter((result) => result.connectorHeartbeat === 'failed').length;
    context.log(
      `Heartbeat check: ${results.length} active tenants, ${disconnected} devices disconnected, ` +
        `${sent} connector heartbeats sent, ${failed} failed.`,
    );
  };
