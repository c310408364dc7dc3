/**
 * Random and malformed bodies, headers and parameters thrown at every onboarding and console write route: never a
 * 5xx, every refusal an RFC 9457 problem (an HTML page on the consent callback), and a refused call stores nothing.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorSettingsUpdateSchema, notificationPreferencesSchema } from '../../../shared/domain/index.js';
import { provisionTenantBodySchema } from '../../../shared/onboarding/onboarding.js';
import { contoso, fabrikam, onboardBoth, startOnboarding, type OnboardingHarness } from './harness.js';
import { z } from 'zod';
import { groupDisplayNameSchema } from '../../../shared/console/enrollmentGroups.js';

let h: OnboardingHarness;
let fullToken: string;

const watched = ['tenants', 'connectorSettings', 'enrollmentGroups', 'notificationPreferences', 'auditLog', 'consentStates'] as const;

/** Every row the write routes could touch (all partitions, signing key excluded: it is created on first use). */
async function snapshot(): Promise<string> {
  const rows: unknown[] = [];
  for (const name of watched) {
    for await (const row of h.tables.table(name).listEntities()) {
      if (row.partitionKey === '_signing') continue;
      rows.push({ table: name, ...row });
    }
  }
  return JSON.stringify(rows);
}

beforeAll(async () => {
  h = await startOnboarding();
  await onboardBoth(h);
  fullToken = await h.token({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
});
afterAll(async () => h.close());

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  '',
  'application/jsonx',
);

/** A value near the route's valid shape: valid fields mixed with wrong types, unknown fields and junk. */
function nearBody(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom(...keys, 'extra', '__proto__', 'constructor'), fc.jsonValue(), { maxKeys: 6 }),
    fc.record(Object.fromEntries(keys.map((key) => [key, fc.oneof(fc.constant(valid[key]), fc.jsonValue())]))),
    fc.constant({ ...valid, unknownField: true }),
  );
}

const rawBody = (valid: Record<string, unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    nearBody(valid).map((value) => JSON.stringify(value) ?? 'null'),
    fc.string({ maxLength: 200 }),
    fc.constant('{"unterminated": '),
    fc.constant(''),
    fc.constant('[]'),
    fc.constant(`{"a":"${'x'.repeat(300_000)}"}`),
  );

interface WriteRoute {
  name: string;
  method: string;
  path: fc.Arbitrary<string>;
  schema: z.ZodType;
  valid: Record<string, unknown>;
  token: boolean;
}

const writeRoutes: WriteRoute[] = [
  {
    name: 'POST provider tenants',
    method: 'POST',
    path: fc.constant('/api/v1/provider/tenants'),
    schema: provisionTenantBodySchema,
    valid: {
      tenantId: contoso.tenantId,
      displayName: 'X',
      fullAccessGroupId: contoso.fullGroupId,
      primaryContactEmail: 'a@b.test',
    },
    token: false,
  },
  {
    name: 'PUT console connector',
    method: 'PUT',
    path: fc.constant('/api/v1/console/connector'),
    schema: connectorSettingsUpdateSchema,
    valid: { heartbeatFrequencyMinutes: 60, stateSync: { deviceStatus: true }, errorReportRecipients: [], enforcement: {} },
    token: true,
  },
  {
    name: 'POST console enrollment groups',
    method: 'POST',
    path: fc.constant('/api/v1/console/enrollment-groups'),
    schema: z.strictObject({ displayName: groupDisplayNameSchema }),
    valid: { displayName: 'MTD-Pilot' },
    token: true,
  },
  {
    name: 'PUT console notifications',
    method: 'PUT',
    path: fc.constant('/api/v1/console/me/notifications'),
    schema: notificationPreferencesSchema,
    valid: { email: 'a@contoso.test', levels: { low: true, medium: false, high: true } },
    token: true,
  },
];

describe.each(writeRoutes)('$name', (route) => {
  it('never answers 5xx, refuses with problem+json, and stores nothing when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(
        route.path,
        rawBody(route.valid),
        contentTypes,
        fc.option(fc.constantFrom('Bearer garbage', 'Basic x', '', 'Bearer '), { nil: undefined }),
        async (path, body, contentType, badAuthorization) => {
          const before = await snapshot();
          const headers: Record<string, string> = { 'content-type': contentType };
          if (route.token) headers.authorization = badAuthorization ?? `Bearer ${fullToken}`;
          const reply = await h.call(route.method, path, { raw: body, headers, key: route.token ? false : undefined });
          expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
          if (reply.status >= 400) {
            expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
            expect(reply.json).toMatchObject({ status: reply.status, type: expect.any(String) as unknown, title: expect.any(String) as unknown, detail: expect.any(String) as unknown });
            expect(await snapshot()).toBe(before);
          } else {
            // Accepted only with a well-formed JSON body the route's schema takes.
            expect(contentType).toMatch(/json/);
            expect(route.schema.safeParse(JSON.parse(body)).success).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('DELETE console enrollment group', () => {
  it('never answers 5xx for any display name in the path, and removes nothing that is not configured', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }), async (name) => {
        const reply = await h.call('DELETE', `/api/v1/console/enrollment-groups/${encodeURIComponent(name)}`, { token: fullToken });
        expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(500);
        expect([400, 404, 405]).toContain(reply.status);
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: 60 },
    );
    expect(await snapshot()).toBe(before);
  });
});

describe('GET consent callback', () => {
  it('never answers 5xx for random query parameters and changes nothing', async () => {
    const before = await snapshot();
    const param = fc.oneof(fc.string({ maxLength: 100, unit: 'binary' }), fc.constantFrom('True', 'False', contoso.tenantId, fabrikam.tenantId));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('admin_consent', 'tenant', 'state', 'error', 'error_description', 'scope', 'other'), param, { maxKeys: 6 }),
        async (query) => {
          const reply = await h.call('GET', `/api/consent/callback?${new URLSearchParams(query).toString()}`);
          expect(reply.status).toBeLessThan(500);
          expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
        },
      ),
      { numRuns: 60 },
    );
    expect(await snapshot()).toBe(before);
  });
});
