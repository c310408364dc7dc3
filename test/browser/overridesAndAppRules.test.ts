/**
 * The web console in Chromium, as a full-access admin: a risk override set on a device page (its level and what
 * Intune is told follow, the banner says who, why and until when) and ended; an app rule that allows a flagged app,
 * added on the policy page after its impact preview, re-grading the device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { contoso, reportThreats, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;
let page: Page;

beforeAll(async () => {
  stack = await startConsoleStack();
  expect((await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' })).status).toBe(201);
  expect((await stack.api('POST', 'v1/console/enrollment/sync', contoso.admin)).status).toBe(202);
  await stack.host.queues.get('tenant-jobs')?.drain({ timeoutMs: 30_000 });
  ({ page } = await stack.newPage());
  await signIn(page, stack.web, contoso.admin);
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

function intuneState(deviceId: string): string {
  return stack.sim.state.intuneDevices(contoso.tenantId).find((managed) => managed.id === deviceId)?.partnerReportedThreatState ?? 'missing';
}

async function riskOnDevicePage(deviceId: string): Promise<string> {
  await page.goto(`${stack.web.url}/devices/${encodeURIComponent(deviceId)}`);
  await page.getByRole('heading', { name: 'Open threats' }).waitFor();
  return (await page.getByLabel(/^risk (none|low|medium|high)$/).first().getAttribute('aria-label')) ?? '';
}

async function pushed(): Promise<void> {
  await stack.host.queues.get('compliance-updates')?.drain({ timeoutMs: 20_000 });
}

describe('web console: risk overrides and app rules', () => {
  it('sets a risk override on a device, the device and Intune follow, and ends it', { timeout: 120_000 }, async () => {
    const device = await reportThreats(stack, [{ id: 'ovr-1', classification: 'TROJAN', name: 'Trojan.AndroidOS.Fake' }], 0);
    expect(await riskOnDevicePage(device.deviceId)).toBe('risk high');
    expect(intuneState(device.deviceId)).toBe('highSeverity');

    await page.getByRole('button', { name: 'Set a risk override…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Risk level').selectOption('none');
    await dialog.getByLabel('Reason').fill('CEO boarding a plane; ticket HD-4711');
    await dialog.getByRole('button', { name: 'Set override' }).click();
    await dialog.getByText('Override set').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const banner = page.getByLabel('Risk override', { exact: true });
    await banner.waitFor();
    expect(await banner.innerText()).toMatch(/Set by .+ on .+, until .+CEO boarding a plane; ticket HD-4711/s);
    await pushed();
    expect(intuneState(device.deviceId)).toBe('secured');
    await expect.poll(() => riskOnDevicePage(device.deviceId), { timeout: 20_000 }).toBe('risk none');
    expect(await page.getByText('secured', { exact: true }).isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Change or end the risk override…' }).click();
    await dialog.getByRole('button', { name: 'End override now' }).click();
    await dialog.getByText('Override ended').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await pushed();
    expect(intuneState(device.deviceId)).toBe('highSeverity');
    await expect.poll(() => riskOnDevicePage(device.deviceId), { timeout: 20_000 }).toBe('risk high');
    expect(await page.getByLabel('Risk override', { exact: true }).count()).toBe(0);
  });

  it('adds an app rule allowing a flagged app after its impact preview, and the device is re-graded', { timeout: 120_000 }, async () => {
    const device = await reportThreats(stack, [{ id: 'app-1', classification: 'TROJAN', packageName: 'com.contoso.fieldservice' }], 1);
    expect(await riskOnDevicePage(device.deviceId)).toBe('risk high');

    await page.getByRole('link', { name: 'Threat policy' }).click();
    await page.getByRole('button', { name: 'Add app rule…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Package name').fill('com.contoso.fieldservice');
    await dialog.getByLabel('Risk level').selectOption('none');
    await dialog.getByLabel('Reason').fill('Our own field-service app');
    await dialog.getByText(/1 device would change risk level: high→none 1/).waitFor();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText('Threats of com.contoso.fieldservice now count as none.').waitFor();
    await dialog.getByText(/Re-grading done: 1 device changed risk level/).waitFor({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('table', { name: 'App rules' }).getByRole('row', { name: /com\.contoso\.fieldservice/ }).waitFor();

    await pushed();
    expect(intuneState(device.deviceId)).toBe('secured');
    await expect.poll(() => riskOnDevicePage(device.deviceId), { timeout: 20_000 }).toBe('risk none');
  });
});
