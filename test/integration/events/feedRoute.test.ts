/**
 * `GET /api/v1/events` through its handler, with real tokens from the simulated Entra ID: who may read the feed
 * (console users of both access levels, app-only tokens with `Events.Read`), what is refused, and bad input as
 * problem+json 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { authenticateConsole } from '../../../shared/auth/console.js';
import { HttpError, type HttpResult } from '../../../shared/http/problem.js';
import type { ApiRequest } from '../../../shared/http/request.js';
import { events as eventsHandler } from '../../../functions/events.js';
import { encodeFeedCursor } from '../../../shared/events/feed.js';
import { contoso, fabrikam, provision, startSimHarness, type SimHarness } from '../auth/harness.js';

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
  await provision(h, contoso, true);
  await provision(h, { ...fabrikam }, true);
  await h.services.events.record(contoso.tenantId, [
    { type: 'audit.recorded', occurredAt: new Date().toISOString(), data: { actor: { id: 'a', name: 'Adele' }, action: 'connector.update', target: 'connector', before: {}, after: {} } },
  ]);
  await h.services.events.record(fabrikam.tenantId, [
    { type: 'audit.recorded', occurredAt: new Date().toISOString(), data: { actor: { id: 'b', name: 'Bob' }, action: 'connector.update', target: 'fabrikam-only', before: {}, after: {} } },
  ]);
  await h.services.events.idle();
});
afterAll(async () => h.close());

const silent = { error: () => undefined };

function request(token: string | undefined, query: Record<string, string> = {}): ApiRequest {
  const headers = new Headers(token ? { authorization: `Bearer ${token}` } : {});
  return { method: 'GET', url: 'http://localhost/api/v1/events', headers, query: new URLSearchParams(query), params: {}, text: () => Promise.resolve('') };
}

async function get(token: string | undefined, query: Record<string, string> = {}): Promise<HttpResult> {
  return eventsHandler(h.services)(request(token, query), silent);
}

const pageSchema = z.object({ items: z.array(z.object({ id: z.string(), type: z.string(), tenantId: z.string(), data: z.unknown() })), nextCursor: z.string().nullable() });
const appToken = (tenantId: string, roles: string[]) => h.sim.state.mintApiAppToken({ tenantId, roles });

describe('GET /api/v1/events', () => {
  it("serves the tenant's events to its full and restricted console users", async () => {
    await h.services.events.record(contoso.tenantId, [
      { type: 'connector.health_changed', occurredAt: new Date().toISOString(), data: { status: 'degraded', previous: 'healthy', checks: [] } },
    ]);
    await h.services.events.idle();
    const full = await get(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin }));
    expect(full.status).toBe(200);
    const fullPage = pageSchema.parse(full.jsonBody);
    expect(fullPage.items.map((e) => e.type)).toEqual(['audit.recorded', 'connector.health_changed']);
    expect(fullPage.items.every((e) => e.tenantId === contoso.tenantId)).toBe(true);
    // The audit trail is for full access: a restricted user's feed leaves it out.
    const restricted = await get(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin }));
    expect(restricted.status).toBe(200);
    expect(pageSchema.parse(restricted.jsonBody).items.map((e) => e.type)).toEqual(['connector.health_changed']);
  });

  it('answers 403 to a restricted user whose types filter names audit.recorded, and serves it to Events.Read', async () => {
    const restricted = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
    for (const types of ['audit.recorded', 'threat.detected,audit.recorded']) {
      const result = await get(restricted, { types });
      expect(result.status, types).toBe(403);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      expect(JSON.stringify(result.jsonBody)).not.toContain('Adele');
    }
    const app = pageSchema.parse((await get(await appToken(contoso.tenantId, ['Events.Read']), { types: 'audit.recorded' })).jsonBody);
    expect(app.items.map((e) => e.type)).toEqual(['audit.recorded']);
    const full = await get(await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin }), { types: 'audit.recorded' });
    expect(pageSchema.parse(full.jsonBody).items.map((e) => e.type)).toEqual(['audit.recorded']);
  });

  it('serves an app-only token of the tenant with Events.Read, and only that tenant’s events', async () => {
    const result = await get(await appToken(contoso.tenantId, ['Events.Read']));
    expect(result.status).toBe(200);
    const page = pageSchema.parse(result.jsonBody);
    expect(new Set(page.items.map((e) => e.tenantId))).toEqual(new Set([contoso.tenantId]));
    // Fabrikam's SIEM sees Fabrikam's events; Contoso's cursor means nothing to it.
    const theirs = await get(await appToken(fabrikam.tenantId, ['Events.Read']));
    expect(pageSchema.parse(theirs.jsonBody).items.map((e) => e.tenantId)).toEqual([fabrikam.tenantId]);
    const crossed = await get(await appToken(fabrikam.tenantId, ['Events.Read']), { after: page.nextCursor ?? '' });
    expect(crossed.status).toBe(400);
  });

  it('refuses app-only tokens without Events.Read, and the Events.Read token on console routes', async () => {
    for (const roles of [[], ['Events.Write'], ['Device.Read.All']]) {
      const result = await get(await appToken(contoso.tenantId, roles));
      expect(result.status).toBe(403);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
    }
    const token = await appToken(contoso.tenantId, ['Events.Read']);
    const refused = await authenticateConsole(h.services)(request(token)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(HttpError);
    expect([401, 403]).toContain((refused as HttpError).status);
  });

  it('answers 401 without a token', async () => {
    expect((await get(undefined)).status).toBe(401);
  });

  it('answers problem+json 400 for a bad cursor, type, limit or wait, naming the field', async () => {
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const cases: [Record<string, string>, string][] = [
      [{ after: 'garbage!' }, 'after'],
      [{ after: encodeFeedCursor(fabrikam.tenantId, '0000000000001000000') }, 'after'],
      [{ after: Buffer.from('{"v":1,"t":"x","p":"1"}').toString('base64url') }, 'after'],
      [{ types: 'threat.detected,threat.exploded' }, 'types'],
      [{ types: ',' }, 'types'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ wait: '31' }, 'wait'],
      [{ wait: '-1' }, 'wait'],
      [{ since: 'yesterday' }, ''],
    ];
    for (const [query, field] of cases) {
      const result = await get(token, query);
      expect(result.status, JSON.stringify(query)).toBe(400);
      expect(result.headers?.['content-type']).toBe('application/problem+json');
      const body = z.object({ status: z.number(), errors: z.array(z.object({ path: z.string() })).optional() }).parse(result.jsonBody);
      if (field) expect(body.errors?.map((e) => e.path).join(' '), JSON.stringify(query)).toContain(field);
    }
  });

  it('serves newest first with order=newest, paging back with before, and keeps the two cursors apart', async () => {
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const oldestFirst = pageSchema.parse((await get(token, { limit: '1000' })).jsonBody).items.map((e) => e.id);
    expect(oldestFirst.length).toBeGreaterThanOrEqual(2);
    const first = pageSchema.parse((await get(token, { order: 'newest', limit: '1' })).jsonBody);
    expect(first.items.map((e) => e.id)).toEqual([oldestFirst.at(-1)]);
    const older = pageSchema.parse((await get(token, { order: 'newest', limit: '1000', before: first.nextCursor ?? '' })).jsonBody);
    expect(older.items.map((e) => e.id)).toEqual(oldestFirst.slice(0, -1).reverse());
    expect(older.nextCursor).toBeNull();
    const cases: [Record<string, string>, string][] = [
      [{ order: 'newest', after: first.nextCursor ?? '' }, 'after'],
      [{ order: 'newest', wait: '5' }, 'wait'],
      [{ before: first.nextCursor ?? '' }, 'before'],
      [{ order: 'newest', before: 'garbage!' }, 'before'],
      [{ order: 'newest', before: encodeFeedCursor(fabrikam.tenantId, '0000000000001000000') }, 'before'],
      [{ order: 'latest' }, 'order'],
    ];
    for (const [query, field] of cases) {
      const result = await get(token, query);
      expect(result.status, JSON.stringify(query)).toBe(400);
      const body = z.object({ errors: z.array(z.object({ path: z.string() })).optional() }).parse(result.jsonBody);
      expect(body.errors?.map((e) => e.path).join(' '), JSON.stringify(query)).toContain(field);
    }
  });

  it('filters by type and pages with the cursor', async () => {
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const none = pageSchema.parse((await get(token, { types: 'threat.detected' })).jsonBody);
    expect(none.items).toEqual([]);
    // The filter's cursor moved past the audit event it left out: continuing with no filter finds nothing older.
    const after = pageSchema.parse((await get(token, { after: none.nextCursor ?? '' })).jsonBody);
    expect(after.items).toEqual([]);
  });
});
