import { authenticateDeviceUser } from '../shared/auth/console.js';
import { challengeResponseSchema, issueChallenge } from '../shared/devices/challenges.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const deviceChallengeRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/challenge',
  summary: 'Issues a single-use activation challenge for the signed-in user (agent trust: key binding and attestation).',
  description:
    "Takes the user's Entra ID access token, as activation does. The challenge (base64url, 32 random bytes) is valid " +
    '5 minutes, for this user in this tenant only, and is used up by the activation that presents it, whatever its ' +
    'outcome. The agent creates its device key with it as the attestation challenge (Android) or hashes it with the ' +
    "key's thumbprint into the App Attest clientDataHash (iOS). A user holds at most 4 unused challenges; a newer one " +
    'may replace an older.',
  tags: ['device'],
  security: 'userToken',
  responses: {
    200: { description: 'A fresh challenge and when it expires.', schema: challengeResponseSchema },
  },
});

export const deviceChallenge = (services: Services) =>
  endpoint(deviceChallengeRoute, {
    authenticate: authenticateDeviceUser(services),
    handle: async ({ principal }) => json(200, await issueChallenge(services.tables, principal, services.clock.now())),
  });
