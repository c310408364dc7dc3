/**
 * The web console in Chromium for users without full access: a restricted user sees every page with no enabled
 * write control (their own notification levels excepted, which the API lets every console user change); a user in
 * neither console group gets a clear refusal; a browser that does not trust the sign-in authority's certificate is
 * told so, with the step that fixes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { contoso, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;

beforeAll(async () => {
  stack = await startConsoleStack();
  expect((await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' })).status).toBe(201);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

/** Controls that only read or navigate: allowed for everyone. */
const readOnlyActions = /^(Sign out|Previous page|Next page|Newer|Older|Newer events|Older events|Deliveries|Before and after|Details|JSON|Export CSV)$/;
const readOnlyFields = /^(Search by device or user|Status|Risk level|Platform|Attestation|Event type)$/;

/** Names of the enabled, visible controls in the page's main region that could change something. */
async function enabledWriteControls(page: Page): Promise<string[]> {
  const found: string[] = [];
  const main = page.locator('main');
  for (const [kind, selector, allowed] of [
    ['button', 'button', readOnlyActions],
    ['field', 'input, select, textarea, [role="switch"], [role="checkbox"]', readOnlyFields],
  ] as const) {
    for (const control of await main.locator(selector).all()) {
      if (!(await control.isVisible()) || !(await control.isEnabled())) continue;
      const id = await control.getAttribute('id');
      const label =
        (await control.getAttribute('aria-label')) ??
        (id ? await page.locator(`label[for="${id}"]`).first().textContent({ timeout: 1000 }).catch(() => null) : null) ??
        (await control.textContent()) ??
        '';
      const name = label.trim();
      if (!allowed.test(name)) found.push(`${kind}: ${name}`);
    }
  }
  return found;
}

describe('web console: access', () => {
  it('shows a restricted user every page with no enabled write control', { timeout: 120_000 }, async () => {
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, contoso.reader);
      await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
      expect(await page.getByText('Read-only', { exact: true }).isVisible()).toBe(true);
      const pages: [string, string][] = [
        ['Overview', 'Overview'],
        ['Devices', 'Devices'],
        ['Threat policy', 'Threat policy'],
        ['Enrollment', 'Enrollment'],
        ['Connector settings', 'Connector settings'],
        ['Audit log', 'Audit log'],
        ['Webhooks', 'Webhooks'],
        ['Events', 'Events'],
      ];
      for (const [link, heading] of pages) {
        await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: link, exact: true }).click();
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await page.locator('.fui-Spinner').first().waitFor({ state: 'detached' });
        expect({ page: link, controls: await enabledWriteControls(page) }).toEqual({ page: link, controls: [] });
      }
      // Enrollment groups are listed to read, with the same status a full-access user sees.
      await page.getByRole('link', { name: 'Enrollment', exact: true }).click();
      await page.getByRole('row', { name: /MTD-Pilot/ }).waitFor();
      expect(await page.getByRole('button', { name: 'Remove MTD-Pilot' }).isDisabled()).toBe(true);
      // The audit log is for full access only, and says so.
      await page.getByRole('link', { name: 'Audit log', exact: true }).click();
      await page.getByText('The audit log is shown to full-access users only.').waitFor();
      // Their own notification levels are theirs to change.
      await page.getByRole('link', { name: 'Notifications', exact: true }).click();
      await page.getByLabel('High').check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved.').waitFor();
    } finally {
      await context.close();
    }
  });

  it('says in words when the sign-in authority cannot be reached because its certificate is not trusted, and how to fix it', async () => {
    // A browser as a new user has it: the run's CA (the simulator's certificate) is not trusted.
    const context = await stack.browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(stack.web.url);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'The sign-in service cannot be reached' });
      await alert.waitFor();
      const text = await alert.innerText();
      expect(text).toContain(`could not connect to ${stack.sim.url}`);
      expect(text).toContain('.local/tls/ca.crt');
      expect(text).toContain('Then sign in again.');
      const link = alert.getByRole('link', { name: stack.sim.url });
      expect(await link.getAttribute('href')).toMatch(new RegExp(`^${stack.sim.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`));
      // Still on the console: nothing left the page.
      expect(new URL(page.url()).origin).toBe(stack.web.url);
    } finally {
      await context.close();
    }
  });

  it('refuses a user in neither console group, in words', async () => {
    const { context, page } = await stack.newPage();
    try {
      await signIn(page, stack.web, 'diego.siciliani@contoso.onmicrosoft.com');
      await page.getByRole('heading', { name: 'You do not have access to this console' }).waitFor();
      expect(await page.getByRole('alert').innerText()).toContain("not a member of your organization's full-access or restricted-access group");
      expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Sign out' }).isEnabled()).toBe(true);
    } finally {
      await context.close();
    }
  });
});
