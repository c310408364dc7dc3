import { z } from 'zod';
import { defineRoute, type EdgeLogger } from '../shared/http/route.js';
import type { ApiRequest } from '../shared/http/request.js';
import type { HttpResult } from '../shared/http/problem.js';
import { toError } from '../shared/base/errors.js';
import type { Services } from '../shared/app/services.js';
import { consentStatesFor } from '../shared/tenants/consentState.js';
import { startConsent } from '../shared/onboarding/onboarding.js';
import { consentResult, htmlPage } from '../shared/onboarding/pages.js';

export const consentStartRoute = defineRoute({
  method: 'GET',
  route: 'consent/start',
  summary: "Starts admin consent: redirects the tenant administrator's browser to Entra ID's adminconsent endpoint.",
  description:
    'Only through the `consentUrl` that provisioning returned: it carries `sig`, a signature for that tenant, and works ' +
    'until consent completes for the tenant (then it answers a 410 page and starts nothing). Answers 302 to `{ENTRA_AUTHORITY_HOST}/{tenantId}/v2.0/adminconsent` with a signed, single-use `state` valid ' +
    'for 10 minutes. Without a valid signature the answer is the same 404 page for every tenant id, provisioned or not.',
  tags: ['onboarding'],
  security: 'anonymous',
  query: z.object({
    tenantId: z.string().describe('The tenant id (GUID) provisioned by provider support.'),
    sig: z.string().describe('The signature from the consent link provisioning returned.'),
  }),
  responses: {
    302: { description: 'Redirect to Entra ID admin consent.', headers: { location: 'The adminconsent URL.' } },
    404: { description: 'An HTML page: not a consent link this service handed out (the same for every tenant id).', contentType: 'text/html' },
    410: { description: "An HTML page: the link's tenant has completed consent; the link starts nothing more.", contentType: 'text/html' },
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
  const states = consentStatesFor(services.tables, services.secrets);
  return async (request: ApiRequest, context: EdgeLogger): Promise<HttpResult> => {
    try {
      return consentResult(await startConsent(services, states, firstQueryValues(request)));
    } catch (caught) {
      return consentFailurePage(context, caught);
    }
  };
};
