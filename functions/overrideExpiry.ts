import { scheduleTick } from './scheduleTick.js';

/**
 * Timer (every minute): sends an `override-expiry` job for every tenant whose earliest risk override has ended, so
 * an override is pushed within minutes of its `expiresAt`.
 */
export const overrideExpiry = scheduleTick('overrideExpiry', ['override-expiry']);
