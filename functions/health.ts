import { z } from 'zod';
import { defineRoute, endpoint } from '../shared/http/route.js';
import { json } from '../shared/http/problem.js';
import { serviceVersion } from '../shared/base/version.js';

export const healthRoute = defineRoute({
  method: 'GET',
  route: 'health',
  summary: 'Liveness: the service answers and reports its version.',
  tags: ['operations'],
  security: 'anonymous',
  responses: {
    200: { description: 'The service is up.', schema: z.object({ status: z.literal('ok'), version: z.string() }) },
  },
});

export const health = () =>
  endpoint(healthRoute, {
    handle: () => Promise.resolve(json(200, { status: 'ok', version: serviceVersion })),
  });
