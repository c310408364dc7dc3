/**
 * The web console in Chromium against the local stack, as a full-access admin: sign in through the simulated
 * Entra ID, see the devices discovery found, open a device after its agent reported a threat, read its timeline and
 * Intune's own view, download the device list as CSV, change that threat's classification after previewing the impact
 * and watch the device's risk follow, and add an enrollment group that does not resolve.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deviceCsvColumns } from '../../shared/console/exports.js';
import type { Page } from 'playwright-core';
import { contoso, reportThreats, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;
let page: Page;
let threatened: { deviceId: string; deviceName: string };

beforeAll(async () => {
  stack = await startConsoleStack();
  // As the demo does: an enrollment group and a discovery run.
  expect((await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' })).status).toBe(201);
  expect((await stack.api('POST', 'v1/console/enrollment/sync', contoso.admin)).status).toBe(202);
  ({ page } = await stack.newPage());
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

async function riskOnDevicePage(): Promise<string> {
  await page.goto(`${stack.web.url}/devices/${encodeURIComponent(threatened.deviceId)}`);
  await page.getByRole('heading', { name: 'Open threats' }).waitFor();
  return (await page.getByLabel(/^risk (none|low|medium|high)$/).first().getAttribute('aria-label')) ?? '';
}

describe('web console: full-access admin', () => {
  it('signs in and sees the overview and the discovered devices', { timeout: 60_000 }, async () => {
    await signIn(page, stack.web, contoso.admin);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    expect(await page.getByText('Full access').isVisible()).toBe(true);
    await page.getByRole('figure', { name: /Devices by status/ }).waitFor();
    // Every discovered device is pending until its agent activates.
    const discovered = ((await stack.api('GET', 'v1/console/devices?limit=200', contoso.admin)).json as { items: unknown[] }).items.length;
    expect(discovered).toBeGreaterThan(5);
    expect(await page.getByLabel(`pending: ${discovered}`).isVisible()).toBe(true);

    await page.getByRole('link', { name: 'Devices', exact: true }).click();
    const table = page.getByRole('table', { name: 'Devices' });
    await table.getByRole('row').nth(1).waitFor();
    expect(await table.getByRole('row').count()).toBe(discovered + 1);

    // Search by user narrows the list to that user's devices.
    await page.getByLabel('Search by device or user').fill('adele');
    await expect
      .poll(async () => {
        const rows = (await table.getByRole('row').allInnerTexts()).slice(1);
        return rows.length > 0 && rows.length < discovered && rows.every((row) => /adele/i.test(row));
      })
      .toBe(true);
  });

  it('opens a device after its agent reported a threat, and says why it has its risk level', async () => {
    threatened = await reportThreats(stack, [{ id: 'threat-1', classification: 'TROJAN', name: 'Trojan.AndroidOS.Fake' }]);
    await page.goto(`${stack.web.url}/devices`);
    await page.getByRole('link', { name: threatened.deviceName }).click();
    await page.getByRole('heading', { name: threatened.deviceName, level: 1 }).waitFor();
    const threats = page.getByRole('table', { name: 'Open threats' });
    await threats.getByRole('row', { name: /TROJAN/ }).waitFor();
    expect(await riskOnDevicePage()).toBe('risk high');
    expect(await page.getByText(/Risk high because of TROJAN/).isVisible()).toBe(true);
    expect(await page.getByLabel('What Intune and Entra were told').getByText('highSeverity', { exact: true }).isVisible()).toBe(true);
  });

  it("shows the device's timeline after the threat report, and Intune's own view beside ours", async () => {
    const timeline = page.getByRole('table', { name: 'Timeline entries' });
    await timeline.getByRole('row', { name: /Threat detected: Trojan\.AndroidOS\.Fake \(TROJAN\)/ }).waitFor();
    await timeline.getByRole('row', { name: /Risk level changed from none to high/ }).waitFor();
    await page.getByLabel("Intune's own view").getByText(/Intune holds|Intune disagrees|told Intune nothing/).first().waitFor();
  });

  it('downloads the device list as CSV', async () => {
    await page.goto(`${stack.web.url}/devices`);
    await page.getByRole('table', { name: 'Devices' }).getByRole('row').nth(1).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const rows = z.array(z.array(z.string())).parse(parse(await readFile(await download.path(), 'utf8'), { relax_column_count: false, relax_quotes: false }));
    expect(rows[0]).toEqual([...deviceCsvColumns]);
    const listed = ((await stack.api('GET', 'v1/console/devices?limit=200', contoso.admin)).json as { items: unknown[] }).items.length;
    expect(rows).toHaveLength(listed + 1);
    expect(rows.some((row) => row[0] === threatened.deviceId && row[7] === 'high')).toBe(true);
  });

  it('changes a classification after previewing its impact, and the device follows', async () => {
    await page.getByRole('link', { name: 'Threat policy' }).click();
    await page.getByRole('button', { name: 'Change the risk level of TROJAN' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New risk level').selectOption('low');
    await dialog.getByText(/1 device would change risk level: high→low 1/).waitFor();
    expect(await dialog.getByRole('listitem').filter({ hasText: threatened.deviceName }).isVisible()).toBe(true);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('TROJAN now counts as low.').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    // Closing the dialog gives the page back to assistive technology.
    await page.getByRole('heading', { name: 'Threat policy', level: 1 }).waitFor();

    await expect.poll(riskOnDevicePage, { timeout: 20_000 }).toBe('risk low');
    expect(await page.getByText(/Risk low because of TROJAN/).isVisible()).toBe(true);
  });

  it('adds an enrollment group that does not resolve and shows its status', async () => {
    await page.getByRole('link', { name: 'Enrollment' }).click();
    await page.getByLabel('Group display name').fill('MTD-Nobody-Has-This');
    await page.getByRole('button', { name: 'Add group' }).click();
    const row = page.getByRole('table', { name: 'Enrollment groups' }).getByRole('row', { name: /MTD-Nobody-Has-This/ });
    await row.waitFor();
    expect(await row.getByText('not-found').isVisible()).toBe(true);
    // The resolved one keeps its member count.
    expect(await page.getByRole('row', { name: /MTD-Pilot/ }).getByText('resolved', { exact: true }).isVisible()).toBe(true);
  });

  it('shows an API refusal in words', async () => {
    await page.getByRole('link', { name: 'Connector settings' }).click();
    const interval = page.getByLabel('Check-in interval (minutes)');
    await interval.fill('2');
    // The form checks the range with the API's own schema before sending.
    expect(await page.getByText(/Too small|>=5/).first().isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await interval.fill('30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. The change is in the audit log.').waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('row', { name: /connector.update/ }).first().waitFor();
  });

  it('creates a webhook, shows its secret once, and sends a test event', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'New webhook' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('URL').fill('https://localhost:9/mtd-events');
    await dialog.getByLabel('Description').fill('SIEM');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('Webhook created: copy it now').waitFor();
    expect(await dialog.getByLabel('Signing secret').innerText()).toMatch(/^whsec_/);
    await dialog.getByRole('button', { name: 'Close' }).click();

    // Closing the dialog gives the page back to assistive technology (found by role again).
    const row = page.getByRole('table', { name: 'Webhooks' }).getByRole('row').filter({ hasText: 'https://localhost:9/mtd-events' });
    await row.waitFor();
    // The secret is not shown again.
    expect(await page.getByText(/whsec_/).count()).toBe(0);
    await row.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test event sent: see the deliveries.').waitFor();
    await row.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByRole('table', { name: 'Deliveries' }).getByRole('row').nth(1).waitFor();
  });

  it('fits 1280 px and a smaller laptop window without horizontal scrolling', async () => {
    for (const width of [1280, 1024]) {
      await page.setViewportSize({ width, height: 800 });
      for (const path of ['/', '/devices', `/devices/${encodeURIComponent(threatened.deviceId)}`, '/policy', '/enrollment', '/settings', '/audit']) {
        await page.goto(`${stack.web.url}${path}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.locator('.fui-Spinner').first().waitFor({ state: 'detached' });
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
        expect({ width, path, overflow }).toEqual({ width, path, overflow: 0 });
      }
    }
  });
});
