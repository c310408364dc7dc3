import { scheduleTick } from './scheduleTick.js';

/**
 * Timer (`%MAIL_SCHEDULE%`): sends a `mail` job for every tenant with alerts or errors to mail, and an
 * `activation-reminders` job for every tenant whose daily reminder run is due.
 */
export const mail = scheduleTick('mail', ['mail', 'activation-reminders']);
