/**
 * Property-based bad input on the three device routes, through the local host: whatever arrives (malformed
 * JSON, wrong types, unknown fields, out-of-range values, wrong content types, junk credentials), the answer is
 * a 4xx problem+json, never a 5xx, and nothing is stored.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateBodySchema, heartbeatBodySchema, threatReportBodySchema } from '../../../shared/devices/schemas.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { seedDevice } from '../../integration/devices/deviceRows.js';
import { activation, id, post, startDeviceHarness, type DeviceHarness } from './harness.js';

let h: DeviceHarness;
let userToken: string;
let deviceToken: string;
let deviceId: string;

beforeAll(async () => {
  h = await startDeviceHarness();
  userToken = await h.token(h.contoso, 'ann');
  deviceId = randomUUID();
  await seedDevice(h.tables, h.contoso, { deviceId, userId: id('ann') });
  deviceToken = String((await post(h.host, 'v1/device/activate', userToken, activation(deviceId))).body.deviceToken);
  // The activation's device events are relayed in the background: let that finish before the snapshots.
  await h.eventsSettled();
});

afterAll(async () => {
  await h?.close();
});

/** Every row of the tables the device routes write, with ETags: equal snapshots mean nothing was written. */
async function snapshot(tables: TableStore): Promise<string> {
  const rows: string[] = [];
  for (const name of ['devices', 'threats', 'notifications'] as const) {
    for await (const row of tables.table(name).listEntities()) rows.push(`${name}:${String(row.rowKey)}:${String(row.etag)}`);
  }
  return rows.sort().join('\n');
}

const text = fc.oneof(fc.string(), fc.constantFrom('', ' ', 'x'.repeat(300), '\u0000', '😀', 'null'));
const junk = fc.oneof(fc.jsonValue(), text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const isoTime = fc.constantFrom('2026-03-01T09:00:00Z', '2026-03-01T09:00:00.000+02:00');

/** A field of a valid body replaced by junk, removed, or an unknown field added. */
function broken(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.tuple(valid, junk, fc.nat()).map(([body, value, index]) => {
      const keys = Object.keys(body);
      const key = keys[index % Math.max(1, keys.length)] ?? 'x';
      return { ...body, [key]: value };
    }),
    fc.tuple(valid, fc.nat()).map(([body, index]) => {
      const keys = Object.keys(body);
      const copy = { ...body };
      delete copy[keys[index % Math.max(1, keys.length)] ?? 'x'];
      return copy;
    }),
    fc.tuple(valid, fc.string({ minLength: 1, maxLength: 12 }), junk).map(([body, key, value]) => ({ ...body, [`${key}_extra`]: value })),
    junk,
  );
}

const validReport = fc.record({
  reportId: fc.string({ minLength: 1, maxLength: 20 }),
  sequence: fc.nat(),
  observedAt: isoTime,
  threats: fc.array(
    fc.record({ id: fc.string({ minLength: 1, maxLength: 10 }), classification: fc.constantFrom('SPY', 'ADWARE'), detectedAt: isoTime }),
    { maxLength: 3 },
  ),
});
const validActivation = fc.record({
  intuneDeviceId: fc.constant(deviceIdPlaceholder()),
  platform: fc.constantFrom('ios', 'android'),
  osVersion: fc.constant('17.5'),
  appVersion: fc.constant('1.0.0'),
});
const validHeartbeat = fc.record({ osVersion: fc.constant('17.5'), appVersion: fc.constant('1.0.0') });

function deviceIdPlaceholder(): string {
  return '00000000-0000-4000-8000-000000000000';
}

interface RouteCase {
  path: string;
  token: () => string;
  body: fc.Arbitrary<unknown>;
  accepts: (body: unknown) => boolean;
}

const routes: RouteCase[] = [
  { path: 'v1/device/activate', token: () => userToken, body: broken(validActivation), accepts: (b) => activateBodySchema.safeParse(b).success },
  { path: 'v1/device/heartbeat', token: () => deviceToken, body: broken(validHeartbeat), accepts: (b) => heartbeatBodySchema.safeParse(b).success },
  { path: 'v1/device/threat-report', token: () => deviceToken, body: broken(validReport), accepts: (b) => threatReportBodySchema.safeParse(b).success },
];

async function expectProblem(response: Awaited<ReturnType<typeof post>>): Promise<void> {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(response.contentType).toContain('application/problem+json');
  expect(response.body.status).toBe(response.status);
  for (const field of ['type', 'title', 'detail']) expect(typeof response.body[field]).toBe('string');
  await Promise.resolve();
}

describe.each(routes)('bad input on $path', (route) => {
  it('never answers 5xx, always problem+json, and stores nothing', async () => {
    const before = await snapshot(h.tables);
    await fc.assert(
      fc.asyncProperty(route.body, async (body) => {
        fc.pre(!route.accepts(body));
        await expectProblem(await post(h.host, route.path, route.token(), body));
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (raw, contentType) => {
        fc.pre(contentType !== 'application/json' || !isJson(raw));
        await expectProblem(await post(h.host, route.path, route.token(), undefined, { raw, contentType }));
      }),
      { numRuns: 30 },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 120 }), fc.base64String({ maxLength: 120 }).map((s) => `mtd1.${s}`)), async (credential) => {
        fc.pre(!/[\s,]/.test(credential));
        const response = await post(h.host, route.path, credential, route.path.endsWith('activate') ? activation(deviceId) : {});
        await expectProblem(response);
        expect(response.status).toBe(401);
      }),
      { numRuns: 30 },
    );
    const oversized = await post(h.host, route.path, route.token(), { pad: 'x'.repeat(70 * 1024) });
    expect(oversized.status).toBe(413);
    await expectProblem(oversized);
    expect(await snapshot(h.tables)).toBe(before);
  });
});

function isJson(raw: string): boolean {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}
