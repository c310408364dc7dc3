import { z } from 'zod';
import { defineRoute, type EdgeLogger } from '../shared/http/route.js';
import type { ApiRequest } from '../shared/http/request.js';
import type { HttpResult } from '../shared/http/problem.js';
import { toError } from '../shared/errors.js';
import type { Services } from '../shared/services.js';
import { ConsentStates } from '../shared/tenants/consentState.js';
import { startConsent } from '../shared/tenants/onboarding.js';
import { consentResult, htmlPage } from '../shared/tenants/pages.js';

export const consentStartRoute = defineRoute({
  method: 'GET',
  route: 'consent/start',
  summary: "Starts admin consent: redirects the tenant administrator's browser to Entra ID's adminconsent endpoint.",
  description:
    'The link provider support sends to the customer. Answers 302 to `{ENTRA_AUTHORITY_HOST}/{tenantId}/v2.0/adminconsent` ' +
    'with a signed, single-use `state` valid for 10 minutes; an HTML page (400/404) when the tenant id is invalid or not provisioned.',
  tags: ['onboarding'],
  security: 'anonymous',
  query: z.object({ tenantId: z.string().describe('The tenant id (GUID) provisioned by provider support.') }),
  responses: {
    302: { description: 'Redirect to Entra ID admin consent.', headers: { location: 'The adminconsent URL.' } },
    400: { description: 'An HTML page: the link has no valid tenant id.', contentType: 'text/html' },
    404: { description: 'An HTML page: the tenant is not provisioned.', contentType: 'text/html' },
  },
});

/** First value of each query parameter. */
export function firstQueryValues(request: ApiRequest): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of request.query) if (!(key in values)) values[key] = value;
  return values;
}

export function consentFailurePage(context: EdgeLogger, caught: unknown): HttpResult {
  const error = toError(caught);
  context.error(`Consent step failed: ${error.name}: ${error.message}`);
  return htmlPage(500, 'Something went wrong', 'The service could not complete this step. Nothing was changed; please try again in a few minutes.');
}

export const consentStart = (services: Services) => {
  const states = new ConsentStates(services.tables);
  return async (request: ApiRequest, context: EdgeLogger): Promise<HttpResult> => {
    try {
      return consentResult(await startConsent(services, states, firstQueryValues(request)));
    } catch (caught) {
      return consentFailurePage(context, caught);
    }
  };
};
