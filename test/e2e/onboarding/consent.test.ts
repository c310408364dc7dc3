import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import { getTenant } from '../../../shared/tenants/tenantRepository.js';
import { contoso, fabrikam, northwind, startOnboarding, type OnboardingHarness } from './harness.js';

let h: OnboardingHarness;
const clock = new ManualClock(new Date());

beforeAll(async () => {
  h = await startOnboarding({ clock, withNorthwind: true });
  expect((await h.provision(contoso)).status).toBe(201);
  expect((await h.provision(fabrikam)).status).toBe(201);
  expect((await h.provision(northwind)).status).toBe(201);
});
afterAll(async () => h.close());

/** start → Entra ID adminconsent: the callback URL Entra sends the browser to. */
async function callbackUrl(tenantId: string): Promise<URL> {
  const start = await h.call('GET', await h.consentPath(tenantId));
  expect(start.status).toBe(302);
  const atEntra = await h.browse(start.headers.get('location') ?? '');
  expect(atEntra.status).toBe(302);
  return new URL(atEntra.headers.get('location') ?? '');
}

async function auditCount(tenantId: string): Promise<number> {
  let count = 0;
  for await (const _ of h.tables.table('auditLog').listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) count += 1;
  return count;
}

async function expectUnchanged(tenantId: string, run: () => Promise<void>): Promise<void> {
  const before = await getTenant(h.tables, tenantId);
  const audits = await auditCount(tenantId);
  await run();
  expect(await getTenant(h.tables, tenantId)).toEqual(before);
  expect(await auditCount(tenantId)).toBe(audits);
}

function expectPage(reply: { status: number; headers: Headers; text: string }, status: number, phrase: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
  expect(reply.text).toMatch(phrase);
}

describe('admin consent', () => {
  it('starts only through the signed link, with the same 404 page for every tenant id without one', async () => {
    const contosoLink = new URL(await h.consentPath(contoso.tenantId), 'http://x');
    const contosoSig = contosoLink.searchParams.get('sig') ?? '';
    const unprovisioned = '44444444-4444-4444-8444-444444444444';
    const attempts = [
      '/api/consent/start',
      '/api/consent/start?tenantId=not-a-guid',
      `/api/consent/start?tenantId=${contoso.tenantId}`,
      `/api/consent/start?tenantId=${unprovisioned}`,
      `/api/consent/start?tenantId=${contoso.tenantId}&sig=${'A'.repeat(43)}`,
      `/api/consent/start?tenantId=${fabrikam.tenantId}&sig=${contosoSig}`,
      `/api/consent/start?tenantId=${unprovisioned}&sig=${contosoSig}`,
      `/api/consent/start?tenantId=${contoso.tenantId}&sig=${contosoSig.slice(0, -1)}`,
    ];
    const pages = new Set<string>();
    let rows = 0;
    for (const path of attempts) {
      const reply = await h.call('GET', path);
      expectPage(reply, 404, /not valid/);
      pages.add(reply.text);
    }
    expect(pages.size).toBe(1);
    for await (const _ of h.tables.table('consentStates').listEntities({ queryOptions: { filter: "PartitionKey ne '_signing'" } })) rows += 1;
    expect(rows).toBe(0);
    expect((await h.call('GET', `${contosoLink.pathname}${contosoLink.search}`)).status).toBe(302);
  });

  it('hands out the signed link from provisioning and the provider record', async () => {
    const record = await h.call('GET', `/api/v1/provider/tenants/${contoso.tenantId}`);
    const link = new URL(String((record.json as { consentUrl?: unknown }).consentUrl));
    expect(link.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(`${link.pathname}${link.search}`).toBe(await h.consentPath(contoso.tenantId));
  });

  it('refuses a crafted callback whose consent Entra ID does not confirm, and writes no audit entry', async () => {
    // The real administrator declines; a stranger rewrites the callback to claim consent with the same state.
    h.sim.state.failNextConsent(contoso.tenantId, 'access_denied', 'AADSTS65004: User declined to consent to access the app.');
    const declined = await callbackUrl(contoso.tenantId);
    const crafted = new URL(declined.toString());
    crafted.searchParams.delete('error');
    crafted.searchParams.delete('error_description');
    crafted.searchParams.set('admin_consent', 'True');
    crafted.searchParams.set('tenant', contoso.tenantId);
    await expectUnchanged(contoso.tenantId, async () => {
      expectPage(await h.browse(crafted.toString()), 400, /does not confirm/);
    });
    expect(h.sim.state.isConsented(contoso.tenantId)).toBe(false);
  });

  it('refuses a callback while the app is in the tenant without every permission, naming what is missing', async () => {
    const url = await callbackUrl(contoso.tenantId);
    // The app is in the tenant (Entra ID issues it tokens) but holds only some of the permissions.
    h.sim.state.grantConsent(contoso.tenantId, ['User.ReadBasic.All', 'Device.ReadWrite.All']);
    await expectUnchanged(contoso.tenantId, async () => {
      const reply = await h.browse(url.toString());
      expectPage(reply, 400, /not granted/);
      for (const missing of ['GroupMember.Read.All', 'DeviceManagementManagedDevices.Read.All', 'DeviceManagementManagedDevices.ReadWrite.All', 'DeviceManagementServiceConfig.ReadWrite.All']) {
        expect(reply.text).toContain(missing);
      }
      expect(reply.text).not.toContain('User.ReadBasic.All');
    });
    // None at all (no `roles` in the token): the same.
    h.sim.state.grantConsent(contoso.tenantId, []);
    await expectUnchanged(contoso.tenantId, async () => {
      expectPage(await h.browse(url.toString()), 400, /User\.ReadBasic\.All/);
    });
    h.sim.state.revokeConsent(contoso.tenantId);
  });

  it('answers 503 and changes nothing when Entra ID cannot be asked, then completes on reload', async () => {
    const url = await callbackUrl(northwind.tenantId);
    h.sim.state.revokeConsent(northwind.tenantId);
    h.sim.state.addFault({ path: `/${northwind.tenantId}/oauth2/v2.0/token`, status: 503, count: 20 });
    try {
      await expectUnchanged(northwind.tenantId, async () => {
        expectPage(await h.browse(url.toString()), 503, /could not be checked/);
      });
    } finally {
      h.sim.state.clearFaults();
    }
    await expectUnchanged(northwind.tenantId, async () => {
      expectPage(await h.browse(url.toString()), 400, /does not confirm/);
    });
    h.sim.state.grantConsent(northwind.tenantId);
    expectPage(await h.browse(url.toString()), 200, /Northwind is now connected/);
    expect(await getTenant(h.tables, northwind.tenantId)).toMatchObject({ status: 'active' });
  });

  it('deletes expired consent states on the way through', async () => {
    const count = async (): Promise<number> => {
      let rows = 0;
      for await (const _ of h.tables.table('consentStates').listEntities({ queryOptions: { filter: `PartitionKey eq '${fabrikam.tenantId}'` } })) rows += 1;
      return rows;
    };
    await callbackUrl(fabrikam.tenantId);
    await callbackUrl(fabrikam.tenantId);
    expect(await count()).toBeGreaterThanOrEqual(2);
    clock.advance(10 * 60 * 1000 + 1000);
    try {
      await callbackUrl(fabrikam.tenantId);
      expect(await count()).toBe(1);
    } finally {
      clock.set(new Date());
    }
  });

  it('reports an error from Entra ID first, even with admin_consent=True, and changes nothing', async () => {
    h.sim.state.failNextConsent(contoso.tenantId, 'access_denied', 'AADSTS65004: User declined to consent to access the app.');
    const url = await callbackUrl(contoso.tenantId);
    expect(url.searchParams.get('admin_consent')).toBe('True');
    await expectUnchanged(contoso.tenantId, async () => {
      expectPage(await h.browse(url.toString()), 400, /access_denied/);
    });
  });

  it('escapes what Entra ID sends back', async () => {
    const url = new URL(`${h.services.config.PUBLIC_BASE_URL}/api/consent/callback`);
    url.searchParams.set('error', '<script>alert(1)</script>');
    url.searchParams.set('error_description', '"><img src=x onerror=alert(1)>');
    const page = await h.browse(url.toString());
    expectPage(page, 400, /&#60;script&#62;/);
    expect(page.text).not.toContain('<script>');
    expect(page.text).not.toContain('<img');
  });

  it('refuses a forged state and changes nothing', async () => {
    const url = await callbackUrl(contoso.tenantId);
    const state = url.searchParams.get('state') ?? '';
    const [payload, signature] = state.split('.');
    const flipped = `${payload}.${(signature ?? '').startsWith('A') ? 'B' : 'A'}${(signature ?? '').slice(1)}`;
    const madeUp = `${Buffer.from(JSON.stringify({ v: 1, t: contoso.tenantId, n: 'x'.repeat(32), e: Date.now() + 60_000 })).toString('base64url')}.${'A'.repeat(43)}`;
    await expectUnchanged(contoso.tenantId, async () => {
      for (const forged of [flipped, madeUp, 'garbage', '']) {
        url.searchParams.set('state', forged);
        expectPage(await h.browse(url.toString()), 400, /not one this service started/);
      }
      url.searchParams.delete('state');
      expectPage(await h.browse(url.toString()), 400, /not one this service started/);
    });
  });

  it('refuses an expired state and changes nothing', async () => {
    const url = await callbackUrl(contoso.tenantId);
    clock.advance(10 * 60 * 1000 + 1000);
    try {
      await expectUnchanged(contoso.tenantId, async () => {
        expectPage(await h.browse(url.toString()), 400, /expired/);
      });
    } finally {
      clock.set(new Date());
    }
  });

  it('refuses a state issued for another tenant and changes neither', async () => {
    const url = await callbackUrl(contoso.tenantId);
    url.searchParams.set('tenant', fabrikam.tenantId);
    await expectUnchanged(contoso.tenantId, async () => {
      await expectUnchanged(fabrikam.tenantId, async () => {
        expectPage(await h.browse(url.toString()), 400, /different tenant/);
      });
    });
  });

  it('refuses a callback without admin_consent=True', async () => {
    const url = await callbackUrl(contoso.tenantId);
    url.searchParams.set('admin_consent', 'False');
    await expectUnchanged(contoso.tenantId, async () => {
      expectPage(await h.browse(url.toString()), 400, /did not grant consent/);
    });
  });

  /** A callback of Fabrikam's whose state was issued before its consent completed. */
  let issuedBefore: URL | undefined;

  it('activates on a valid callback, then refuses its replay', async () => {
    issuedBefore = await callbackUrl(fabrikam.tenantId);
    const url = await callbackUrl(fabrikam.tenantId);
    expectPage(await h.browse(url.toString()), 200, /Fabrikam is now connected/);
    const active = await getTenant(h.tables, fabrikam.tenantId);
    expect(active).toMatchObject({ status: 'active' });
    expect(active?.consentedAt).toBeTruthy();
    await expectUnchanged(fabrikam.tenantId, async () => {
      expectPage(await h.browse(url.toString()), 400, /already used/);
    });
  });

  it('never re-associates a tenant that is already active', async () => {
    const before = await getTenant(h.tables, fabrikam.tenantId);
    clock.advance(60_000);
    expectPage(await h.browse(String(issuedBefore)), 200, /already connected/);
    expect(await getTenant(h.tables, fabrikam.tenantId)).toEqual(before);
  });

  it('keeps the link working until consent completes, and starts nothing with it after that', async () => {
    const states = async (tenantId: string): Promise<number> => {
      let rows = 0;
      for await (const _ of h.tables.table('consentStates').listEntities({ queryOptions: { filter: `PartitionKey eq '${tenantId}'` } })) rows += 1;
      return rows;
    };
    // Contoso has not completed consent: its link still starts it, as often as asked.
    expect((await h.call('GET', await h.consentPath(contoso.tenantId))).status).toBe(302);
    // Fabrikam has: the same kind of link answers a page and issues no state.
    const issued = await states(fabrikam.tenantId);
    await expectUnchanged(fabrikam.tenantId, async () => {
      const reply = await h.call('GET', await h.consentPath(fabrikam.tenantId));
      expectPage(reply, 410, /already connected/);
      expect(reply.headers.get('location')).toBeNull();
    });
    expect(await states(fabrikam.tenantId)).toBe(issued);
  });

  it('accepts one of two racing callbacks with the same state', async () => {
    const url = await callbackUrl(contoso.tenantId);
    const replies = await Promise.all([h.browse(url.toString()), h.browse(url.toString()), h.browse(url.toString())]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    expect(await getTenant(h.tables, contoso.tenantId)).toMatchObject({ status: 'active' });
  });
});
