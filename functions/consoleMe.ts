import { z } from 'zod';
import { authenticateConsole } from '../shared/auth/console.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import type { Services } from '../shared/app/services.js';

export const consoleMeResponseSchema = z.object({
  tenantId: z.string(),
  userId: z.string(),
  access: z.enum(['full', 'restricted']).describe('`full` may change settings; `restricted` reads only.'),
  name: z.string(),
  upn: z.string(),
});

export const consoleMeRoute = defineRoute({
  method: 'GET',
  route: 'v1/console/me',
  summary: 'The signed-in console user: tenant, user id and access level.',
  tags: ['console'],
  security: 'consoleToken',
  responses: { 200: { description: 'The caller.', schema: consoleMeResponseSchema } },
});

export const consoleMe = (services: Services) =>
  endpoint(consoleMeRoute, {
    authenticate: authenticateConsole(services),
    handle: ({ principal }) =>
      Promise.resolve(
        json(200, {
          tenantId: principal.tenantId,
          userId: principal.userId,
          access: principal.access,
          name: principal.name,
          upn: principal.upn,
        }),
      ),
  });
