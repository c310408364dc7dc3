/**
 * Per-tenant budgets for the console's expensive reads: one threat-classification preview at a time per tenant (429
 * with Retry-After beyond), and enrollment-group resolutions reused for a short while instead of Graph calls for
 * every group on every list.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClassificationsPreview } from '../../../functions/consoleClassificationsPreview.js';
import { consoleEnrollmentGroupsList } from '../../../functions/consoleEnrollmentGroupsList.js';
import { consoleAppRulesPreview } from '../../../functions/consoleAppRulesPreview.js';
import { consoleHealth } from '../../../functions/consoleHealth.js';
import type { Services } from '../../../shared/app/services.js';
import { previewRate } from '../../../shared/console/budgets.js';
import { createHealthRuntime, type ConsentProbe } from '../../../shared/health/runtime.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { withTableMethod } from '../../support/tables.js';
import { addEnrollmentGroupRow } from '../enrollment/harness.js';
import { contoso, fabrikam, provision, startSimHarness, type SimHarness } from '../auth/harness.js';

const { HttpRequest, InvocationContext } = functions;

let h: SimHarness;

beforeAll(async () => {
  h = await startSimHarness();
  await provision(h, contoso, true);
  await provision(h, fabrikam, true);
});
afterAll(async () => h.close());

const context = () => new InvocationContext({ functionName: 'test', invocationId: 'test' });

function request(method: string, path: string, token: string, body?: unknown) {
  return new HttpRequest({
    method,
    url: `http://localhost/api/${path}`,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
  });
}

/**
 * The tables, with the preview's reads of threat index rows held until `release` is called; `reached` settles when the
 * first such read has started, so the test knows the first preview is running without guessing how long that takes.
 */
function heldThreatReads(tables: TableStore): { tables: TableStore; reached: Promise<void>; release: () => void } {
  let release = (): void => undefined;
  let arrived = (): void => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const wrapped = withTableMethod(tables, 'threats', 'listEntities', (real) => (...args) => {
    const inner = real.listEntities(...args);
    return {
      async *[Symbol.asyncIterator]() {
        arrived();
        await held;
        yield* inner;
      },
    };
  });
  return { tables: wrapped, reached, release };
}

describe('console budgets', () => {
  it('runs one threat-classification preview at a time per tenant: 429 with Retry-After beyond', async () => {
    const { tables, reached, release } = heldThreatReads(h.tables);
    const services: Services = { ...h.services, tables };
    const preview = consoleClassificationsPreview(services);
    const body = { changes: { ADWARE: 'high' } };
    const adele = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    const alex = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
    const first = preview(request('POST', 'v1/console/threat-classifications/preview', adele, body), context());
    // The first one is running once it reads the threat index.
    await reached;
    const second = await preview(request('POST', 'v1/console/threat-classifications/preview', alex, body), context());
    expect(second.status).toBe(429);
    expect(second.headers).toMatchObject({ 'retry-after': '5' });
    // Another tenant is not held up by Contoso's preview.
    release();
    const other = await preview(
      request('POST', 'v1/console/threat-classifications/preview', await h.userToken({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin }), body),
      context(),
    );
    expect(other.status).toBe(200);
    expect((await first).status).toBe(200);
    expect((await preview(request('POST', 'v1/console/threat-classifications/preview', alex, body), context())).status).toBe(200);
  });

  it('reuses enrollment-group resolutions for a short while instead of asking Graph for every group on every list', async () => {
    for (const name of ['MTD-Pilot', 'MTD-Empty', 'No such group']) await addEnrollmentGroupRow(h.tables, contoso.tenantId, name);
    const list = consoleEnrollmentGroupsList(h.services);
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
    const before = h.services.graph.stats.requests;
    const first = await list(request('GET', 'v1/console/enrollment-groups', token), context());
    expect(first.status).toBe(200);
    const afterFirst = h.services.graph.stats.requests;
    expect(afterFirst - before).toBeGreaterThanOrEqual(3);
    const again = await list(request('GET', 'v1/console/enrollment-groups', token), context());
    expect(again.jsonBody).toEqual(first.jsonBody);
    expect(h.services.graph.stats.requests - afterFirst).toBe(0);
  });

  it('counts previews per tenant across instances: beyond the rate, 429 with Retry-After on every instance', async () => {
    // Two instances: their own handlers and per-process gates, the same tables.
    const instances = [consoleClassificationsPreview({ ...h.services }), consoleAppRulesPreview({ ...h.services })];
    const classification = { changes: { ADWARE: 'medium' } };
    const appRule = { packageName: 'com.example.rate', riskLevel: 'none' };
    const token = await h.userToken({ tenantId: fabrikam.tenantId, userId: fabrikam.fullAdmin });
    const run = (index: number) =>
      index % 2 === 0
        ? instances[0]!(request('POST', 'v1/console/threat-classifications/preview', token, classification), context())
        : instances[1]!(request('POST', 'v1/console/app-rules/preview', token, appRule), context());
    const statuses: number[] = [];
    // One after another (never two at once, so the per-process gate plays no part): the window fills up.
    for (let index = 0; index <= previewRate.limit && !statuses.includes(429); index += 1) statuses.push((await run(index)).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(previewRate.limit);
    expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true);
    // Both instances refuse now, with the time until the window ends.
    for (const index of [0, 1]) {
      const refused = await run(index);
      expect(refused.status).toBe(429);
      const retryAfter = Number((refused.headers as Record<string, string>)['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(previewRate.windowMs / 1000);
    }
    // Another tenant's previews are counted on their own.
    const adele = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.fullAdmin });
    expect((await instances[1]!(request('POST', 'v1/console/app-rules/preview', adele, appRule), context())).status).toBe(200);
  });

  it('shares one health evaluation (and one token request) among concurrent requests that miss the cache', async () => {
    let probes = 0;
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = (): void => undefined;
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The probe is held until every request is in, so they all miss the cache while the first evaluation runs.
    const probeConsent: ConsentProbe = async () => {
      probes += 1;
      arrived();
      await held;
      return { ok: true, roles: ['DeviceManagementManagedDevices.Read.All', 'GroupMember.Read.All'] };
    };
    const runtime = createHealthRuntime(h.services.config, { probeConsent });
    // Counts cache reads: a request has reached the health read (and missed) once it has read the cache.
    let cacheReads = 0;
    const cache = new Proxy(runtime.cache, {
      get(target, property, receiver) {
        if (property === 'get') cacheReads += 1;
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const services: Services = { ...h.services, health: { ...runtime, cache } };
    const health = consoleHealth(services);
    const token = await h.userToken({ tenantId: contoso.tenantId, userId: contoso.restrictedAdmin });
    const first = health(request('GET', 'v1/console/health', token), context());
    await reached;
    const others = [1, 2, 3, 4].map(() => health(request('GET', 'v1/console/health', token), context()));
    // Every one of the others has missed the cache while the first evaluation is still held.
    while (cacheReads < 5) await new Promise((resolve) => setImmediate(resolve));
    release();
    const answers = await Promise.all([first, ...others]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => JSON.stringify(answer.jsonBody))).size).toBe(1);
    expect(probes).toBe(1);
    // A later miss (the cache dropped) evaluates again.
    services.health.cache.clear();
    expect((await health(request('GET', 'v1/console/health', token), context())).status).toBe(200);
    expect(probes).toBe(2);
  });
});
