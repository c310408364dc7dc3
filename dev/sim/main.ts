/**
 * Runs the simulated tenant alone: `tsx dev/sim/main.ts [scenario.json]`.
 * PORT_SIM (default 7443); the local CA and server certificate live under .local/tls.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCENARIO_FILE, loadScenario } from './scenario.js';
import { startSimulator } from './server.js';
import { ensurePlatformAuthority } from './platform.js';
import { ensureLocalCa } from './tls.js';

async function main(): Promise<void> {
  const file = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(DEFAULT_SCENARIO_FILE);
  const port = Number(process.env.PORT_SIM ?? 7443);
  const tls = await ensureLocalCa(resolve('.local/tls'));
  const platform = await ensurePlatformAuthority(resolve('.local/platform'));
  const scenario = await loadScenario(file);
  const sim = await startSimulator({
    port,
    cert: await readFile(tls.certFile),
    key: await readFile(tls.keyFile),
    scenario,
    log: process.env.SIM_QUIET ? undefined : (line) => console.log(line),
    platform,
  });
  console.log(`Simulated tenant listening on ${sim.url}`);
  console.log(`  scenario: ${file}`);
  console.log(`  trust the CA with NODE_EXTRA_CA_CERTS=${tls.caCertFile}`);
  console.log(`  attestation roots: ATTESTATION_ANDROID_ROOTS=${platform.androidRootsFile} ATTESTATION_APPLE_ROOTS=${platform.appleRootsFile}`);
  console.log(`  app client id ${sim.state.clientId}`);
  for (const t of sim.state.tenantSummaries()) {
    console.log(`  tenant ${t.id} ${t.displayName}: ${t.users} users, ${t.groups} groups, ${t.managedDevices} managed devices${t.consented ? ', consented' : ''}`);
  }
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
