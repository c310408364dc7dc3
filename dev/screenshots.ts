/**
 * `npm run screenshots`: PNGs of the web console from the real app, for the README: the overview and a device page
 * (docs/screenshots/overview.png, docs/screenshots/device.png). It runs what the browser tests run (Azurite in
 * memory, the simulated tenant, the local host, the console, Chromium), with a discovery run and a few threat
 * reports so the pages have something to show. CHROMIUM_PATH names Chromium (default /usr/bin/chromium).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLocalCa } from './sim/tls.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'docs', 'screenshots');

async function main(): Promise<void> {
  // Node reads NODE_EXTRA_CA_CERTS at start-up only: run again trusting a CA of our own.
  if (process.env.MTD_SCREENSHOTS_CHILD !== '1') {
    const dir = await mkdtemp(join(tmpdir(), 'mtd-screenshots-tls-'));
    const tls = await ensureLocalCa(dir);
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: {
        ...process.env,
        MTD_SCREENSHOTS_CHILD: '1',
        NODE_EXTRA_CA_CERTS: tls.caCertFile,
        TEST_TLS_CERT_FILE: tls.certFile,
        TEST_TLS_KEY_FILE: tls.keyFile,
      },
    });
    await rm(dir, { recursive: true, force: true });
    process.exit(child.status ?? 1);
  }

  const { contoso, reportThreats, signIn, startConsoleStack } = await import('../test/browser/stack.js');
  const stack = await startConsoleStack({ storage: 'memory' });
  try {
    await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-Pilot' });
    await stack.api('POST', 'v1/console/enrollment-groups', contoso.admin, { displayName: 'MTD-All' });
    await stack.api('POST', 'v1/console/enrollment/sync', contoso.admin);
    const device = await reportThreats(stack, [
      { id: 't-1', classification: 'TROJAN', name: 'Trojan.AndroidOS.FakeBank', packageName: 'com.fake.bank' },
      { id: 't-2', classification: 'ADWARE', name: 'Adware.Popups', packageName: 'com.free.wallpapers' },
      { id: 't-3', classification: 'UNSECURED_WIFI', name: 'Open network "CoffeeShop"' },
    ]);
    await reportThreats(stack, [{ id: 't-4', classification: 'PHISHING', name: 'Credential phishing page' }], 1);
    await reportThreats(stack, [{ id: 't-5', classification: 'OUTDATED_OS', name: 'iOS 15 is out of support' }], 2);
    await reportThreats(stack, [], 3);
    await reportThreats(stack, [{ id: 't-6', classification: 'ROOTED_OR_JAILBROKEN', name: 'Jailbreak detected' }], 4);

    const { context, page } = await stack.newPage(1280);
    await signIn(page, stack.web, contoso.admin);
    await page.getByRole('figure', { name: /Devices by status/ }).waitFor();
    await page.getByRole('figure', { name: 'Open threats by classification' }).getByRole('listitem').first().waitFor();
    await mkdir(out, { recursive: true });
    await page.screenshot({ path: join(out, 'overview.png'), fullPage: true });
    await page.goto(`${stack.web.url}/devices/${encodeURIComponent(device.deviceId)}`);
    await page.getByRole('table', { name: 'Open threats' }).getByRole('row', { name: /TROJAN/ }).waitFor();
    await page.screenshot({ path: join(out, 'device.png'), fullPage: true });
    await context.close();
    console.log(`screenshots: ${join(out, 'overview.png')}, ${join(out, 'device.png')}`);
  } finally {
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
