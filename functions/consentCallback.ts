import { z } from 'zod';
import { defineRoute, type EdgeLogger } from '../shared/http/route.js';
import type { ApiRequest } from '../shared/http/request.js';
import type { HttpResult } from '../shared/http/problem.js';
import type { Services } from '../shared/services.js';
import { ConsentStates } from '../shared/tenants/consentState.js';
import { completeConsent } from '../shared/tenants/onboarding.js';
import { consentResult } from '../shared/tenants/pages.js';
import { consentFailurePage, firstQueryValues } from './consentStart.js';

export const consentCallbackRoute = defineRoute({
  method: 'GET',
  route: 'consent/callback',
  summary: 'Where Entra ID returns the administrator after admin consent; marks the tenant active.',
  description:
    'Checks `error` first (Entra ID sends `admin_consent=True` on errors too), then the signed, single-use, expiring ' +
    '`state` and the tenant it is bound to, then `admin_consent=True` and `tenant`. Answers an HTML page either way; ' +
    'on any failure nothing is changed. A tenant already active is never re-associated.',
  tags: ['onboarding'],
  security: 'anonymous',
  query: z.object({
    admin_consent: z.string().optional(),
    tenant: z.string().optional(),
    state: z.string().optional(),
    scope: z.string().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
  }),
  responses: {
    200: { description: 'An HTML page: the tenant is connected.', contentType: 'text/html' },
    400: { description: 'An HTML page naming why consent was not completed; nothing changed.', contentType: 'text/html' },
  },
});

export const consentCallback = (services: Services) => {
  const states = new ConsentStates(services.tables);
  return async (request: ApiRequest, context: EdgeLogger): Promise<HttpResult> => {
    try {
      return consentResult(await completeConsent(services, states, firstQueryValues(request)));
    } catch (caught) {
      return consentFailurePage(context, caught);
    }
  };
};
