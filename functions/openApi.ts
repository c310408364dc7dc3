import { defineRoute, endpoint, type RouteSpec } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import { buildOpenApiDocument, type OpenApiInfo } from '../shared/http/openapi.js';
import { serviceVersion } from '../shared/base/version.js';

export const openApiRoute = defineRoute({
  method: 'GET',
  route: 'openapi.json',
  summary: 'The OpenAPI 3.1 document of every route, generated from the schemas that validate requests.',
  tags: ['operations'],
  security: 'anonymous',
  responses: { 200: { description: 'The OpenAPI document.', contentType: 'application/json' } },
});

/** The document's info and server, for this deployment's PUBLIC_BASE_URL. */
export function openApiInfo(serverUrl: string): OpenApiInfo {
  return {
    title: 'MTD Connector',
    version: serviceVersion,
    description:
      'Connects mobile threat defense to Microsoft Intune and Entra ID: provider onboarding, admin consent, the admin ' +
      'console, and the mobile agent API. Every error body is RFC 9457 application/problem+json.',
    serverUrl,
  };
}

/** `routes` is read on first request, so the document lists the whole catalog. */
export const openApi = (routes: () => readonly RouteSpec[], serverUrl: string) => {
  let document: unknown;
  return endpoint(openApiRoute, {
    handle: () => {
      document ??= buildOpenApiDocument(routes(), openApiInfo(serverUrl));
      return Promise.resolve(json(200, document, { 'cache-control': 'public, max-age=300' }));
    },
  });
};
