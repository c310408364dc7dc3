/**
 * The web console under its Content-Security-Policy in Chromium: the policy arrives with every page, and signing in,
 * the overview and the devices work with nothing refused by it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { contoso, signIn, startConsoleStack, type ConsoleStack } from './stack.js';

let stack: ConsoleStack;
let page: Page;
const violations: string[] = [];

beforeAll(async () => {
  stack = await startConsoleStack();
  ({ page } = await stack.newPage());
  // Added by the browser driver, not the page, so the policy does not stop it: it reports what the policy refuses.
  await page.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (event) => console.error('CSP violation: ' + event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber));",
  });
  page.on('console', (message) => {
    if (/CSP violation|Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

describe('web console under its Content-Security-Policy', () => {
  it('serves the policy, and signs in and shows its pages with nothing refused', { timeout: 90_000 }, async () => {
    const response = await page.goto(stack.web.url);
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['content-security-policy']).toContain(`connect-src 'self' ${new URL(stack.host.url).origin} ${new URL(stack.sim.url).origin}`);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');

    await signIn(page, stack.web, contoso.admin);
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.goto(`${stack.web.url}/devices`);
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    expect(violations).toEqual([]);
  });

  it('refuses to be framed by another page', { timeout: 30_000 }, async () => {
    const framing = await stack.newPage();
    try {
      await framing.page.setContent(`<iframe id="console" src="${stack.web.url}"></iframe>`);
      const frame = await (await framing.page.$('#console'))?.contentFrame();
      // The framed document is blocked: no console heading or sign-in button ever renders inside it.
      const rendered = await frame?.evaluate<string>("document.body ? document.body.innerText : ''").catch(() => '');
      expect(rendered ?? '').not.toContain('Sign in');
    } finally {
      await framing.context.close();
    }
  });
});
