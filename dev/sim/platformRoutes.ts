/**
 * The platform's HTTP API under `/_sim/platform/` (plain JSON, no auth), called by the reference agent in place of
 * the phone's Keystore and DCAppAttestService, and Google's status list for the service.
 */
import { z } from 'zod';
import { json, parseJsonBody, route, type Route, type SimRequest, type SimResponse } from './http.js';
import {
  androidAttestationStatus,
  androidFlaws,
  appleFlaws,
  issueAndroidKeyAttestation,
  issueAppleAppAttestation,
  type PlatformAuthority,
} from './platform.js';

const publicKeyJwk = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().min(1), y: z.string().min(1) }).passthrough();

const androidBody = z.strictObject({
  challenge: z.string().min(1).max(1024),
  publicKeyJwk,
  packageName: z.string().min(1).optional(),
  signerSha256: z.string().regex(/^[0-9a-fA-F:]{64,95}$/).optional(),
  flaws: z.array(z.enum(androidFlaws)).optional(),
});

const appleBody = z.strictObject({
  clientDataHash: z.base64().refine((value) => Buffer.from(value, 'base64').length === 32, { message: 'must be base64 of 32 bytes' }),
  appId: z.string().min(3).optional(),
  flaws: z.array(z.enum(appleFlaws)).optional(),
});

function parse<T>(schema: z.ZodType<T>, req: SimRequest): T | SimResponse {
  const parsed = parseJsonBody(req);
  if (!parsed.ok) return json(400, { error: { code: 'InvalidJson', message: 'The body is not valid JSON.' } });
  const result = schema.safeParse(parsed.value ?? {});
  if (!result.success) {
    return json(400, {
      error: { code: 'InvalidBody', message: result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') },
    });
  }
  return result.data;
}

const isResponse = (value: unknown): value is SimResponse => typeof value === 'object' && value !== null && 'status' in value && typeof (value as SimResponse).status === 'number';

/** `authority`: the roots and intermediates the platform signs with (made on first use when a promise of them). */
export function platformRoutes(authority: () => Promise<PlatformAuthority>): Route[] {
  return [
    route('POST', '/_sim/platform/android/key-attestation', async (req) => {
      const body = parse(androidBody, req);
      if (isResponse(body)) return body;
      return json(200, await issueAndroidKeyAttestation(await authority(), { ...body, publicKeyJwk: body.publicKeyJwk }));
    }),
    route('POST', '/_sim/platform/apple/app-attest', async (req) => {
      const body = parse(appleBody, req);
      if (isResponse(body)) return body;
      return json(200, await issueAppleAppAttestation(await authority(), body));
    }),
    route('GET', '/_sim/platform/android/attestation-status', () =>
      // Google serves the list with a cache lifetime; the service keeps it 24 h whatever the header says.
      json(200, androidAttestationStatus(), { 'cache-control': 'public, max-age=86400' }),
    ),
  ];
}
