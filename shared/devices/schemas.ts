/** The device API's request and response bodies: one schema each validates requests and describes them in OpenAPI. */
import { z } from 'zod';
import { agentClassificationSchema, riskLevelSchema } from '../domain/index.js';
import { attestationInputSchema } from '../attestation/index.js';
import { isPublicP256Jwk } from '../tokens/dpop.js';
import { challengeText } from './challenges.js';
import { encodeKey } from '../storage/keys.js';
import { platformSchema } from './device.js';

/** Largest accepted body on device routes. */
export const deviceMaxBodyBytes = 64 * 1024;
/** Most threats one report may carry. */
export const maxThreatsPerReport = 500;
/** Reports ids remembered per device for replay detection. */
export const recentReportIdsKept = 32;

const versionText = z.string().trim().min(1).max(64);
const isoDateTime = z.iso.datetime({ offset: true });

/** Encoded threat ids must leave room in `c|{classification}|{deviceId}|{threatId}` (a key is at most 512 characters). */
function fitsInKey(value: string): boolean {
  try {
    return encodeKey(value).length <= 400;
  } catch {
    return false;
  }
}

/** The id prefix of the service's own threats (attestation verdicts): no agent threat may use it. */
export const serviceThreatIdPrefix = 'service:';

const base64urlCoordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { message: 'must be a base64url P-256 coordinate' });

export const deviceKeySchema = z
  .strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: base64urlCoordinate,
    y: base64urlCoordinate,
  })
  .refine(isPublicP256Jwk, { message: 'must be a public P-256 JWK' })
  .describe(
    'The device key\'s public JWK (EC P-256, `x` and `y` only; a private member such as `d` is refused). The credential ' +
      'is bound to its RFC 7638 thumbprint: every later device request carries a DPoP proof signed with this key.',
  );

export const activateBodySchema = z
  .strictObject({
    intuneDeviceId: z.guid().describe('The Intune managed device id the agent runs on.'),
    platform: platformSchema,
    osVersion: versionText.describe('Operating system version.'),
    appVersion: versionText.describe('Agent app version.'),
    deviceKey: deviceKeySchema.optional(),
    challenge: challengeText
      .optional()
      .describe('A challenge from `POST /api/v1/device/challenge` (required with `deviceKey`); used up by this activation whatever its outcome.'),
    attestation: attestationInputSchema.optional(),
  })
  .describe('Activates the agent on a device discovered for the signed-in user.');

export const attestationStatusSchema = z.enum(['verified', 'failed', 'absent', 'not-checked']);

export const activateResponseSchema = z.object({
  deviceId: z.string(),
  deviceToken: z
    .string()
    .describe(
      'The device credential. Returned once. With `tokenType: "DPoP"`, send it as `Authorization: DPoP <token>` with a ' +
        '`DPoP` proof header of the device key on every other device route; with `"Bearer"`, as `Authorization: Bearer`.',
    ),
  tokenType: z.enum(['DPoP', 'Bearer']).describe('`DPoP` when the credential is bound to `deviceKey`, else `Bearer`.'),
  attestation: z
    .object({
      status: attestationStatusSchema.describe(
        '`verified`, `failed` (see `reason`), `absent` (no attestation sent) or `not-checked` (the tenant\'s `agentTrust.attestation` is `off`).',
      ),
      reason: z.string().optional(),
    })
    .describe('The platform attestation verdict of this activation.'),
  deviceTokenExpiresAt: z.iso
    .datetime()
    .describe('When the credential stops working (`DEVICE_CREDENTIAL_DAYS` after activation); heartbeats hand out its successor before then.'),
  heartbeatIntervalMinutes: z.int(),
});

export const heartbeatBodySchema = z.strictObject({
  osVersion: versionText.optional(),
  appVersion: versionText.optional(),
});

export const heartbeatResponseSchema = z.object({
  heartbeatIntervalMinutes: z.int(),
  deviceToken: z
    .string()
    .optional()
    .describe(
      'Present when the presented credential is within 7 days of its expiry: the new device credential (silent rotation). ' +
        'Use it from now on; the presented one keeps working for 24 hours. A heartbeat with that previous credential within ' +
        'the 24 hours (a retry after a lost answer) receives the same new credential again.',
    ),
  deviceTokenExpiresAt: z.iso.datetime().optional().describe('When `deviceToken` expires (`DEVICE_CREDENTIAL_DAYS` after the rotation).'),
});

export const reportedThreatSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .refine(fitsInKey, { message: 'is too long once encoded, or not well-formed Unicode' })
    .refine((value) => !value.startsWith(serviceThreatIdPrefix), { message: `must not start with "${serviceThreatIdPrefix}" (reserved for the service's own threats)` })
    .describe('The agent\'s stable id of this threat on this device.'),
  classification: agentClassificationSchema.describe(
    'Any classification but `DEVICE_INTEGRITY_FAILED` and `DEVICE_INTEGRITY_UNVERIFIED`, which the service raises itself from the attestation (400).',
  ),
  name: z.string().max(256).optional(),
  packageName: z.string().max(256).optional(),
  detectedAt: isoDateTime,
});

export const threatReportBodySchema = z
  .strictObject({
    reportId: z.string().min(1).max(128).describe('Unique per report; a repeated id changes nothing.'),
    sequence: z.int().min(0).max(2_147_483_647).describe('Increases with every report of this device.'),
    observedAt: isoDateTime,
    threats: z
      .array(reportedThreatSchema)
      .max(maxThreatsPerReport)
      .describe('The complete set of threats active on the device now; empty when all clear.'),
  })
  .describe('A complete snapshot of the threats active on the device.');
export type ThreatReportBody = z.output<typeof threatReportBodySchema>;

export const threatReportResponseSchema = z.object({
  deviceId: z.string(),
  riskLevel: riskLevelSchema,
  applied: z.boolean().describe('False when the report was stale (sequence not above the last applied) or a replay.'),
});
