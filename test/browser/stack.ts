/**
 * The stack the browser tests drive: what `npm run dev` runs (the simulated tenant with the default scenario, the
 * local function host with the catalog, the web console on its own origin, the API's CORS allowing only that
 * origin), on free ports and fresh tables, with Contoso provisioned and consented; and Chromium through
 * playwright-core (CHROMIUM_PATH or /usr/bin/chromium), a fresh profile per browser.
 *
 * TLS: the simulated Entra ID serves HTTPS with the run's test CA, which Chromium does not know; the browser
 * context ignores certificate errors (tests only). The console itself is plain http://localhost.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { LocalHost } from '../../dev/host/server.js';
import { consoleBuildIsCurrent, consoleSettings, defaultConsoleDist, ensureConsoleBuild, startConsoleServer, type ConsoleServer } from '../../dev/host/console.js';
import { devProviderTenantId } from '../../dev/devSettings.js';
import { devConsoleClientId } from '../../dev/sim/interactive.js';
import { loadDefaultScenario } from '../../dev/sim/scenario.js';
import type { Simulator } from '../../dev/sim/server.js';
import type { TableStore } from '../../shared/storage/index.js';
import { clientId } from '../support/simClient.js';
import { startStack, type StackOptions } from '../support/stack.js';

/** Contoso of the default scenario, and the users the console tests sign in as. */
export const contoso = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  fullAccessGroupId: '5246c2f8-d5f2-45e8-9c62-63dd8231e980',
  restrictedAccessGroupId: 'feda78c3-5e3b-4f78-9232-3d1fa44c5789',
  admin: 'adele.vance@contoso.onmicrosoft.com',
  reader: 'alex.wilber@contoso.onmicrosoft.com',
} as const;

/** The simulated provider's own tenant (Woodgrove) and its users: one holding `Provider.Support`, one not. */
export const provider = {
  tenantId: devProviderTenantId,
  support: 'nestor.wilke@woodgrove.onmicrosoft.com',
  other: 'pradeep.gupta@woodgrove.onmicrosoft.com',
  /** The provider key the service checks itself when provider support may sign in (PROVIDER_FUNCTION_KEY). */
  key: `provider-key-${'p'.repeat(32)}`,
} as const;

export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`Chromium is not installed at ${path}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return path;
}

export interface ConsoleStack {
  readonly sim: Simulator;
  readonly host: LocalHost;
  readonly web: ConsoleServer;
  readonly tables: TableStore;
  readonly browser: Browser;
  /** A fresh browser context (its own storage: nobody signed in) and page, 1280 px wide unless told. */
  newPage(width?: number): Promise<{ context: BrowserContext; page: Page }>;
  /** A console API call with a token minted for a user (to arrange data as the demo would). */
  api(method: string, path: string, upn: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
}

/** The built console: web/dist when it is current, else a fresh build in a folder of this run. */
async function consoleDist(): Promise<string> {
  if (consoleBuildIsCurrent()) return defaultConsoleDist;
  const dist = await mkdtemp(join(tmpdir(), 'mtd-console-dist-'));
  await ensureConsoleBuild({ dist, force: true });
  return dist;
}

/**
 * `storage`: the test run's Azurite unless given (`memory` for one of the stack's own). `provider`: provider support
 * may sign in from the simulated provider's tenant (PROVIDER_TENANT_ID, PROVIDER_FUNCTION_KEY and the console's
 * `providerTenantId`).
 */
export async function startConsoleStack(options: { storage?: Exclude<StackOptions['storage'], false>; provider?: boolean } = {}): Promise<ConsoleStack> {
  const [dist, scenario] = await Promise.all([consoleDist(), loadDefaultScenario()]);
  // The console is served first, as the host's CORS allows its origin only; its settings name the simulator and the
  // host, read when a browser asks for them.
  const web = await startConsoleServer({
    dist,
    settings: () =>
      consoleSettings({
        authorityHost: stack.sim.url,
        clientId: devConsoleClientId,
        apiClientId: clientId,
        apiBaseUrl: stack.host.url,
        ...(options.provider ? { providerTenantId: provider.tenantId } : {}),
      }),
  });
  const stack = await startStack({
    scenario: { ...scenario, app: { ...scenario.app, clientId } },
    tenants: [{ tenantId: contoso.tenantId, fullAccessGroupId: contoso.fullAccessGroupId, restrictedAccessGroupId: contoso.restrictedAccessGroupId }],
    // Webhooks may point at this machine (the tests' receivers), as WEBHOOK_ALLOWED_PRIVATE_HOSTS allows.
    settings: {
      WEBHOOK_ALLOWED_PRIVATE_HOSTS: 'localhost',
      ...(options.provider ? { PROVIDER_TENANT_ID: provider.tenantId, PROVIDER_FUNCTION_KEY: provider.key } : {}),
    },
    host: { corsOrigins: [web.url] },
    storage: options.storage,
  }).catch(async (error: unknown) => {
    await web.close();
    throw error;
  });
  const { sim, host, tables, stop } = stack;
  sim.state.grantConsent(contoso.tenantId);
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: chromiumFlags });

  return {
    sim,
    host,
    web,
    tables,
    browser,
    newPage: async (width = 1280) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      return { context, page };
    },
    api: async (method, path, upn, body) => {
      const token = await sim.state.mintUserToken({ tenantId: contoso.tenantId, upn, claims: { azp: devConsoleClientId } });
      const response = await fetch(`${host.url}/api/${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let json: unknown = undefined;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      return { status: response.status, json };
    },
    close: async () => {
      await browser.close().catch(() => undefined);
      await host.close();
      await web.close();
      await stop();
    },
  };
}

/** Signs in through the console's button and the simulated Entra ID's account picker; waits for the console. */
export async function signIn(page: Page, web: ConsoleServer, upn: string): Promise<void> {
  await page.goto(web.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Pick an account' }).waitFor();
  await page.getByRole('link', { name: new RegExp(upn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') }).first().click();
  await page.waitForURL((url) => url.origin === web.url);
}

/**
 * The agent on a discovered device (the first, unless `which` says): activates with its user's token, then reports `threats` as the
 * complete set active now. Returns the device.
 */
export async function reportThreats(
  stack: ConsoleStack,
  threats: { id: string; classification: string; name?: string; packageName?: string }[],
  which = 0,
): Promise<{ deviceId: string; deviceName: string }> {
  const list = await stack.api('GET', 'v1/console/devices?limit=200', contoso.admin);
  const items = (list.json as { items?: { deviceId: string; deviceName: string; intuneDeviceId: string; platform: string; userId: string }[] }).items ?? [];
  const device = items[which];
  if (!device) throw new Error(`no discovered device number ${which} to activate`);
  const userToken = await stack.sim.state.mintUserToken({ tenantId: contoso.tenantId, userId: device.userId });
  const activated = await fetch(`${stack.host.url}/api/v1/device/activate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ intuneDeviceId: device.intuneDeviceId, platform: device.platform, osVersion: device.platform === 'android' ? '14' : '17.5', appVersion: '1.0.0' }),
  });
  const { deviceToken } = (await activated.json()) as { deviceToken: string };
  if (activated.status !== 200) throw new Error(`activation answered ${activated.status}`);
  const now = new Date().toISOString();
  const report = await fetch(`${stack.host.url}/api/v1/device/threat-report`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reportId: `r-${Date.now()}`, sequence: 1, observedAt: now, threats: threats.map((t) => ({ ...t, detectedAt: now })) }),
  });
  if (report.status !== 202) throw new Error(`threat report answered ${report.status}: ${await report.text()}`);
  // The push to Intune runs through the host's queue; the console reads what was last told.
  await stack.host.queues.get('compliance-updates')?.drain({ timeoutMs: 20_000 });
  return { deviceId: device.deviceId, deviceName: device.deviceName };
}
