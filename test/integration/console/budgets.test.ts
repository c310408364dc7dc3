/**
 * Per-tenant budgets for the console's expensive reads: one threat-classification preview at a time per tenant (429
 * with Retry-After beyond), and enrollment-group resolutions reused for a short while instead of Graph calls for
 * every group on every list.
 */
import functions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleClassificationsPreview } from '../../../functions/consoleClassificationsPreview.js';
import { consoleEnrollmentGroupsList } from '../../../functions/consoleEnrollmentGroupsList.js';
import type { Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
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
  const wrapped: TableStore = {
    ...tables,
    table: (name) => {
      const table = tables.table(name);
      if (name !== 'threats') return table;
      return new Proxy(table, {
        get(target, property, receiver) {
          if (property !== 'listEntities') return Reflect.get(target, property, receiver) as unknown;
          return (...args: Parameters<typeof table.listEntities>) => {
            const inner = target.listEntities(...args);
            return {
              async *[Symbol.asyncIterator]() {
                arrived();
                await held;
                yield* inner;
              },
            };
          };
        },
      });
    },
  };
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
});
