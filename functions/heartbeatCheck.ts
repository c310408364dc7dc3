import { scheduleTick } from './scheduleTick.js';

/** Timer (`%HEARTBEAT_CHECK_SCHEDULE%`): sends the due disconnect sweeps and connector heartbeats as tenant jobs. */
export const heartbeatCheck = scheduleTick('heartbeatCheck', ['sweep', 'connector-heartbeat']);
