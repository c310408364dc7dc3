/** What the console's webhook routes share: their OpenAPI tags, the `{id}` path parameter and the answers several give. */
import { z } from 'zod';
import { webhookIdSchema } from '../shared/webhooks/endpoints.js';

export const webhookTags = ['console', 'webhooks'];
export const webhookIdParams = z.object({ id: webhookIdSchema });
export const webhookNotFound = { description: 'No such endpoint in your organization.' };
export const restrictedAccess = { description: 'Restricted (read-only) access.' };
