import { scheduleTick } from './scheduleTick.js';

/**
 * Timer (`%OVERRIDE_EXPIRY_SCHEDULE%`, every minute by default): sends an `override-expiry` job for every tenant whose earliest risk override has ended, so
 * an override is pushed within minutes of its `expiresAt`.
 */
export const overrideExpiry = scheduleTick('overrideExpiry', ['override-expiry']);
