/**
 * The web console in Chromium for the provider's support staff, signed in from the provider's own tenant (the
 * simulated Woodgrove) with the app role `Provider.Support`: the tenant list with its filters, a provisioning that
 * shows the consent link, an offboarding confirmed by typing the tenant's name and followed until the tenant is gone,
 * and usage with its CSV. A customer admin never sees those pages nor calls a provider route, and a user of the
 * provider's tenant without the role gets no provider page. Also, for a tenant's admin: the Events page, newest first
 * across the whole feed, and a device's agent trust with the list's attestation filter.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { updateTenantIndex } from '../../shared/tenants/providerIndex.js';
import { recordActiveDevices } from '../../shared/tenants/usageCounters.js';
import { contoso, provider, reportThreats, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;
const fabrikam = { tenantId: '22222222-2222-4222-8222-222222222222', displayName: 'Fabrikam' };

/** A provider route called with the provider key, as provider support's scripts do. */
async function providerCall(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${stack.host.url}/api/v1/provider/${path}`, {
    method,
    headers: { 'x-functions-key': provider.key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

beforeAll(async () => {
  stack = await startConsoleStack({ provider: true });
  // Contoso (seeded, consented) enters the provider's index and today's usage as its hourly job would put them.
  const now = new Date();
  await updateTenantIndex(
    stack.tables,
    contoso.tenantId,
    { displayName: 'Contoso', status: 'active', health: 'healthy', devicesTotal: 12, devicesActive: 9, devicesPending: 3 },
    now,
  );
  await recordActiveDevices(stack.tables, contoso.tenantId, 'Contoso', 9, now);
  const created = await providerCall('POST', 'tenants', { ...fabrikam, fullAccessGroupId: randomUUID(), primaryContactEmail: 'it@fabrikam.test' });
  expect(created.status).toBe(201);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

/** The tenant names the list shows, in order. */
async function listedTenants(page: Page): Promise<string[]> {
  const table = page.getByRole('table', { name: 'Tenants' });
  await page.getByText('Loading tenants…').waitFor({ state: 'detached' });
  return (await table.locator('tbody tr td:first-child a').allTextContents()).map((name) => name.trim());
}

async function signInAsSupport(): Promise<Page> {
  const { page } = await stack.newPage();
  await signIn(page, stack.web, provider.support);
  await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor();
  return page;
}

describe('web console: provider support', () => {
  it('lists every tenant with its status and health, and filters by status and health', { timeout: 120_000 }, async () => {
    const page = await signInAsSupport();
    try {
      const nav = page.getByRole('navigation', { name: 'Console' });
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Tenants', 'Usage']);
      expect(await page.getByText('Provider support', { exact: true }).isVisible()).toBe(true);
      await page.getByRole('table', { name: 'Tenants' }).getByRole('link', { name: 'Fabrikam' }).waitFor();
      expect((await listedTenants(page)).sort()).toEqual(['Contoso', 'Fabrikam']);

      await page.getByLabel('Health').selectOption('healthy');
      await expect.poll(() => listedTenants(page)).toEqual(['Contoso']);
      await page.getByLabel('Health').selectOption('');
      await page.getByLabel('Status').selectOption('provisioned');
      await expect.poll(() => listedTenants(page)).toEqual(['Fabrikam']);
      await page.getByLabel('Status').selectOption('offboarding');
      await page.getByText('No tenants match.').waitFor();
    } finally {
      await page.context().close();
    }
  });

  it('provisions a tenant and shows the consent link to hand to the customer', { timeout: 120_000 }, async () => {
    const page = await signInAsSupport();
    try {
      const tenantId = randomUUID();
      await page.getByRole('button', { name: 'Provision a tenant…' }).click();
      const form = page.getByRole('form', { name: 'Provision a tenant' });
      await form.getByLabel('Tenant id').fill(tenantId);
      await form.getByLabel('Display name').fill('Litware');
      await form.getByLabel('Full-access group id').fill(randomUUID());
      await form.getByLabel('Primary contact email').fill('it@litware.test');
      await form.getByRole('button', { name: 'Provision' }).click();
      const link = page.getByRole('link', { name: 'Consent link' });
      await link.waitFor();
      expect(await link.getAttribute('href')).toContain(`/api/consent/start?tenantId=${tenantId}`);
      await page.getByRole('table', { name: 'Tenants' }).getByRole('link', { name: 'Litware' }).waitFor();
      const stored = await providerCall('GET', `tenants/${tenantId}`);
      expect(stored.status).toBe(200);
      expect(stored.json).toMatchObject({ tenantId, displayName: 'Litware', status: 'provisioned', primaryContactEmail: 'it@litware.test' });
    } finally {
      await page.context().close();
    }
  });

  it('offboards a tenant only after its name is typed, then follows it until it is gone', { timeout: 180_000 }, async () => {
    const tenantId = randomUUID();
    expect((await providerCall('POST', 'tenants', { tenantId, displayName: 'Northwind', fullAccessGroupId: randomUUID(), primaryContactEmail: 'it@northwind.test' })).status).toBe(201);
    const page = await signInAsSupport();
    try {
      await page.getByRole('table', { name: 'Tenants' }).getByRole('link', { name: 'Northwind' }).click();
      await page.getByRole('heading', { name: 'Northwind', level: 1 }).waitFor();
      await page.getByRole('heading', { name: 'Health checks' }).waitFor();
      await page.getByRole('button', { name: 'Offboard…' }).click();
      const dialog = page.getByRole('alertdialog');
      const confirm = dialog.getByRole('button', { name: 'Offboard', exact: true });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel('Confirm the tenant').fill('Northwin');
      expect(await confirm.isDisabled()).toBe(true);
      // Nothing has started while the name is not typed.
      expect(await providerCall('GET', `tenants/${tenantId}`)).toMatchObject({ status: 200, json: { status: 'provisioned' } });
      await dialog.getByLabel('Confirm the tenant').fill('Northwind');
      await confirm.click();
      await dialog.waitFor({ state: 'detached' });
      // The offboarding job runs through the tenant-jobs queue; the page follows it until the service answers 404.
      await stack.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 60_000 });
      await page.getByText('The tenant and every row it owned are gone.').waitFor({ timeout: 60_000 });
      expect((await providerCall('GET', `tenants/${tenantId}`)).status).toBe(404);
      await page.getByRole('link', { name: '← Tenants' }).click();
      await page.getByRole('table', { name: 'Tenants' }).getByRole('link', { name: 'Fabrikam' }).waitFor();
      expect(await listedTenants(page)).not.toContain('Northwind');
    } finally {
      await page.context().close();
    }
  });

  it('shows usage for a month and downloads it as CSV', { timeout: 120_000 }, async () => {
    const page = await signInAsSupport();
    try {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Usage' }).click();
      await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
      const month = new Date().toISOString().slice(0, 7);
      expect(await page.getByLabel('Month').inputValue()).toBe(month);
      await page.getByRole('table', { name: 'Usage' }).getByText('Contoso').waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
      const path = await download.path();
      const csv = await readFile(path, 'utf8');
      expect(csv.split(/\r?\n/)[0]).toMatch(/tenantId/);
      expect(csv).toContain(contoso.tenantId);
    } finally {
      await page.context().close();
    }
  });

  it('never shows a customer admin the provider pages, nor calls a provider route for them', { timeout: 120_000 }, async () => {
    const { context, page } = await stack.newPage();
    const providerCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/provider/')) providerCalls.push(request.url());
    });
    try {
      await signIn(page, stack.web, contoso.admin);
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      const links = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
      expect(links).toContain('Devices');
      expect(links).not.toContain('Tenants');
      expect(links).not.toContain('Usage');
      await page.goto(`${stack.web.url}/tenants`);
      await page.getByText("This page is for the service provider's support staff.").waitFor();
      expect(await page.getByRole('table', { name: 'Tenants' }).count()).toBe(0);
      await page.goto(`${stack.web.url}/usage`);
      await page.getByText("This page is for the service provider's support staff.").waitFor();
      expect(providerCalls).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("gives a user of the provider's tenant without the role no provider page", { timeout: 120_000 }, async () => {
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, provider.other);
      await page.getByRole('heading', { name: /You do not have access to this console|The console could not start/, level: 1 }).waitFor();
      expect(await page.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('web console: events newest first', () => {
  it('opens on the most recent events and pages back to older ones', { timeout: 180_000 }, async () => {
    // 55 changes, each an audit event: more than one page of 50.
    for (let minutes = 100; minutes < 155; minutes += 1) {
      expect((await stack.api('PUT', 'v1/console/connector', contoso.admin, { heartbeatFrequencyMinutes: minutes })).status).toBe(200);
    }
    const feed = async (): Promise<string[]> => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const query: string = `v1/events?types=audit.recorded&limit=1000${after ? `&after=${after}` : ''}`;
        const answer = await stack.api('GET', query, contoso.admin);
        const page = answer.json as { items: { id: string }[]; nextCursor: string | null };
        ids.push(...page.items.map((item) => item.id));
        if (page.items.length === 0) return ids;
        after = page.nextCursor;
      }
    };
    await expect.poll(async () => (await feed()).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(55);
    const oldestFirst = await feed();

    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, contoso.admin);
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Events' }).click();
      await page.getByLabel('Event type').selectOption('audit.recorded');
      const rows = page.getByRole('table', { name: 'Events' }).locator('tbody tr');
      const idOf = async (index: number): Promise<string> => /"id": "([^"]+)"/.exec((await rows.nth(index).locator('pre').textContent()) ?? '')?.[1] ?? '';
      await expect.poll(() => idOf(0)).toBe(oldestFirst.at(-1));
      expect(await rows.count()).toBe(50);
      expect(await idOf(49)).toBe(oldestFirst.at(-50));
      await page.getByRole('button', { name: 'Older events' }).click();
      await expect.poll(() => idOf(0)).toBe(oldestFirst.at(-51));
      expect(await idOf((await rows.count()) - 1)).toBe(oldestFirst[0]);
      expect(await page.getByRole('button', { name: 'Older events' }).isDisabled()).toBe(true);
      await page.getByRole('button', { name: 'Newer events' }).click();
      await expect.poll(() => idOf(0)).toBe(oldestFirst.at(-1));
    } finally {
      await context.close();
    }
  });
});

describe('web console: agent trust', () => {
  it("shows a device's key binding and attestation verdict, and filters the list by attestation", { timeout: 180_000 }, async () => {
    expect((await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' })).status).toBe(201);
    expect((await stack.api('POST', 'v1/console/enrollment/sync', contoso.admin)).status).toBe(202);
    await stack.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 30_000 });
    // Activated without a device key or attestation under attestation "report": a bearer credential, verdict absent.
    expect((await stack.api('PUT', 'v1/console/connector', contoso.admin, { agentTrust: { keyBinding: 'optional', attestation: 'report' } })).status).toBe(200);
    const { deviceId, deviceName } = await reportThreats(stack, []);
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, contoso.admin);
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page.getByLabel('Agent trust').getByText(/1 device is not key-bound yet/).waitFor();
      await page.goto(`${stack.web.url}/devices/${encodeURIComponent(deviceId)}`);
      const trust = page.getByLabel('Agent trust');
      await trust.getByText('Bearer: not bound to a device key').waitFor();
      expect(await trust.textContent()).toContain('Absent');

      await page.goto(`${stack.web.url}/devices`);
      const devices = page.getByRole('table', { name: 'Devices' });
      await devices.getByRole('link').first().waitFor();
      await page.getByLabel('Attestation').selectOption('absent');
      await expect.poll(async () => devices.getByRole('link').allTextContents()).toEqual([deviceName]);
      await page.getByLabel('Attestation').selectOption('verified');
      await page.getByText('No devices match.').waitFor();
    } finally {
      await context.close();
    }
  });

  it('saves agent trust and activation reminders on the settings page, warning before key binding becomes required', { timeout: 120_000 }, async () => {
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, contoso.admin);
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Connector settings' }).click();
      await page.getByRole('heading', { name: 'Connector settings', level: 1 }).waitFor();
      await page.getByLabel('Device key binding').selectOption('required');
      await page.getByText('Keyless devices will activate again').waitFor();
      await page.getByLabel('Platform attestation').selectOption('required');
      await page.getByText(/Activation is refused unless the platform verifies the device/).waitFor();
      await page.getByLabel('Remind after (days)').fill('31');
      await page.getByLabel('Agent install link').fill('http://apps.contoso.test/agent');
      expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
      await page.getByLabel('Remind after (days)').fill('3');
      await page.getByLabel('Agent install link').fill('https://apps.contoso.test/agent');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved. The change is in the audit log.').waitFor();
      const saved = await stack.api('GET', 'v1/console/connector', contoso.admin);
      expect(saved.json).toMatchObject({
        agentTrust: { keyBinding: 'required', attestation: 'required' },
        activationReminderDays: 3,
        agentInstallUrl: 'https://apps.contoso.test/agent',
      });
      // An emptied link is saved as none.
      await page.getByLabel('Agent install link').fill('');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(async () => ((await stack.api('GET', 'v1/console/connector', contoso.admin)).json as { agentInstallUrl: unknown }).agentInstallUrl).toBeNull();
    } finally {
      await context.close();
    }
  });
});
