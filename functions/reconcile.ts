import { scheduleTick } from './scheduleTick.js';

/** Timer (`%RECONCILE_SCHEDULE%`): sends a `reconcile` job for every tenant due its safety-net pass. */
export const reconcile = scheduleTick('reconcile', ['reconcile']);
