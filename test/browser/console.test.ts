/**
 * The web console in Chromium against the local stack: a full-access admin signs in through the simulated
 * Entra ID, sees the devices discovery found, and opens a device after the agent reported a threat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contoso, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
  // As the demo does: an enrollment group and a discovery run.
  expect((await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' })).status).toBe(201);
  expect((await stack.api('POST', 'v1/console/enrollment/sync', contoso.admin)).status).toBe(202);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

describe('web console: full-access admin', () => {
  it('signs in, sees the discovered devices, and opens one', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, contoso.admin);
      await expect.poll(() => page.getByRole('heading', { name: 'Overview', level: 1 }).isVisible()).toBe(true);
      await expect.poll(() => page.getByText('Full access').isVisible()).toBe(true);

      await page.getByRole('link', { name: 'Devices', exact: true }).click();
      await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
      const table = page.getByRole('table', { name: 'Devices' });
      await table.getByRole('row').nth(1).waitFor();
      const names = await table.getByRole('row').allInnerTexts();
      expect(names.length).toBeGreaterThan(5);

      await table.getByRole('link').first().click();
      await page.getByRole('heading', { name: 'Open threats' }).waitFor();
      expect(await page.getByText('Why this risk level').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
