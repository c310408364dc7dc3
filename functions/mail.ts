import { scheduleTick } from './scheduleTick.js';

/** Timer (`%MAIL_SCHEDULE%`): sends a `mail` job for every tenant with alerts or errors to mail. */
export const mail = scheduleTick('mail', ['mail']);
