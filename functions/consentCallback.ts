import { z } from 'zod';
import { defineRoute, type EdgeLogger } from '../shared/http/route.js';
import type { ApiRequest } from '../shared/http/request.js';
import type { HttpResult } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';
import { consentStatesFor } from '../shared/tenants/consentState.js';
import { completeConsent } from '../shared/onboarding/onboarding.js';
import { consentResult } from '../shared/onboarding/pages.js';
import { consentFailurePage, firstQueryValues } from './consentStart.js';

export const consentCallbackRoute = defineRoute({
  method: 'GET',
  route: 'consent/callback',
  summary: 'Where Entra ID returns the administrator after admin consent; marks the tenant active.',
  description:
    'Checks `error` first (Entra ID sends `admin_consent=True` on errors too), then the signed, single-use, expiring ' +
    '`state` and the tenant it is bound to, then `admin_consent=True` and `tenant`, then proves the consent by obtaining ' +
    'an app-only token for the tenant from Entra ID and checking that its `roles` hold every Microsoft Graph application ' +
    'permission the connector needs (an app present in the tenant without them gets a token all the same; the page ' +
    'names what is missing). Answers an HTML ' +
    'page either way; on any failure nothing is changed (503 when Entra ID could not be asked: reload to retry). A tenant ' +
    'already active is never re-associated.',
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
    400: { description: 'An HTML page naming why consent was not completed (for missing permissions: which); nothing changed.', contentType: 'text/html' },
    503: { description: 'An HTML page: Entra ID could not be asked to confirm the consent; nothing changed.', contentType: 'text/html' },
  },
});

export const consentCallback = (services: Services) => {
  const states = consentStatesFor(services.tables, services.secrets);
  return async (request: ApiRequest, context: EdgeLogger): Promise<HttpResult> => {
    try {
      return consentResult(await completeConsent(services, states, firstQueryValues(request)));
    } catch (caught) {
      return consentFailurePage(context, caught);
    }
  };
};
