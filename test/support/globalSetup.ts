/**
 * Runs once per test run, before any worker is forked:
 * - one in-memory Azurite Table service, shared by every test file (each uses its own tables/tenants);
 * - a local TLS CA with a server certificate for localhost/127.0.0.1;
 * - the simulated phone platform's attestation roots (dev/sim/platform.ts), which the services under test trust.
 * Settings reach the workers through the environment they inherit when forked. NODE_EXTRA_CA_CERTS is read by
 * Node at process start, so setting it here makes every forked worker trust the local CA.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensurePlatformAuthority } from '../../dev/sim/platform.js';
import { ensureLocalCa } from '../../dev/sim/tls.js';
import type { LocalCa } from '../../dev/sim/tls.js';
import { startAzurite } from '../../dev/azurite.js';

/**
 * The test CA lives in one folder per user that outlives the run: the pool may still start a worker while the
 * run is being torn down, and that worker must find the file NODE_EXTRA_CA_CERTS names. The folder is made in
 * a staging folder and renamed into place, so concurrent runs never see a half-written set.
 */
async function testCa(): Promise<LocalCa> {
  const dir = join(tmpdir(), `mtd-connector-test-tls-${process.getuid?.() ?? 'user'}`);
  if (!existsSync(dir)) {
    const staging = await mkdtemp(join(tmpdir(), 'mtd-connector-test-tls-staging-'));
    await ensureLocalCa(staging);
    await rename(staging, dir).catch(async () => {
      // Another run got there first; use its files.
      await rm(staging, { recursive: true, force: true });
    });
  }
  return ensureLocalCa(dir);
}

/** The simulated platform's roots, made once per user like the CA (staged, then renamed into place). */
async function testPlatform(): Promise<string> {
  const dir = join(tmpdir(), `mtd-connector-test-platform-${process.getuid?.() ?? 'user'}`);
  if (!existsSync(dir)) {
    const staging = await mkdtemp(join(tmpdir(), 'mtd-connector-test-platform-staging-'));
    await ensurePlatformAuthority(staging);
    await rename(staging, dir).catch(async () => {
      await rm(staging, { recursive: true, force: true });
    });
  }
  await ensurePlatformAuthority(dir);
  return dir;
}

export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const [azurite, tls, platformDir] = await Promise.all([startAzurite({ inMemory: true }), testCa(), testPlatform()]);

  process.env.AZURITE_CONNECTION_STRING = azurite.connectionString;
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertFile;
  process.env.TEST_TLS_CA_FILE = tls.caCertFile;
  process.env.TEST_TLS_CERT_FILE = tls.certFile;
  process.env.TEST_TLS_KEY_FILE = tls.keyFile;
  process.env.TEST_PLATFORM_DIR = platformDir;

  return async () => {
    await azurite.stop();
  };
}
