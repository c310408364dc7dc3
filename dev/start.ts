/**
 * `npm run dev`: the whole service on one machine.
 * 1. `.local/` (or DEV_DATA_DIR) with the local CA under `tls/`;
 * 2. Azurite with its data under `azurite/` (unless AzureWebJobsStorage is set);
 * 3. the simulated tenant on SIM_PORT (unless the four upstream base URLs are all set);
 * 4. the function host (dev/host/main.ts) in a child process, trusting the CA through NODE_EXTRA_CA_CERTS, which
 *    Node reads only at process start;
 * 5. the web console (web/, built with Vite when its build is missing or stale) on CONSOLE_PORT (default 7072, or a
 *    free port when that one is taken), its origin the only one the host's CORS allows. DEV_CONSOLE=off skips it.
 * Ctrl-C (SIGINT) or SIGTERM stops the host, then the simulator, then Azurite, and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { azuriteConnectionString, freePort, startAzurite, type AzuriteHandle } from './azurite.js';
import { toError } from '../shared/base/errors.js';
import { devSettings, hostPort, simPort, usesExternalUpstreams } from './devSettings.js';
import { loadDefaultScenario, loadScenario } from './sim/scenario.js';
import { startSimulator, type Simulator } from './sim/server.js';
import { ensureLocalCa } from './sim/tls.js';
import { ensurePlatformAuthority } from './sim/platform.js';
import { devConsoleClientId } from './sim/interactive.js';
import { consoleSettings, ensureConsoleBuild, startConsoleServer, type ConsoleServer } from './host/console.js';
import { consolePort } from './devSettings.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

function say(line: string): void {
  console.log(`dev: ${line}`);
}

function waitForExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(1);
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code ?? 1)));
}

/** The CA file the host trusts: ours, plus one the environment already names (a corporate proxy's, say). */
async function trustFile(dataDir: string, caCertFile: string): Promise<string> {
  const existing = env.NODE_EXTRA_CA_CERTS;
  if (!existing || resolve(existing) === resolve(caCertFile) || !existsSync(existing)) return caCertFile;
  const bundle = join(dataDir, 'tls', 'trust-bundle.pem');
  await writeFile(bundle, `${readFileSync(existing, 'utf8').trim()}\n${(await readFile(caCertFile, 'utf8')).trim()}\n`);
  return bundle;
}

/**
 * The local key that encrypts the secrets kept in tables (webhook secrets, the consent-link key): made once under the
 * data folder, so the rows Azurite keeps there still open after a restart. SECRETS_KEY in the environment wins.
 */
async function localSecretsKey(dataDir: string): Promise<string> {
  const file = join(dataDir, 'secrets-key');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = randomBytes(32).toString('base64');
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
  return (await readFile(file, 'utf8')).trim();
}

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = resolve(env.DEV_DATA_DIR ?? join(root, '.local'));
  await mkdir(dataDir, { recursive: true });
  const tls = await ensureLocalCa(join(dataDir, 'tls'));
  // The simulated phone platform's attestation roots, kept like the CA so a restart keeps trusting them.
  const platform = await ensurePlatformAuthority(join(dataDir, 'platform'));
  const port = hostPort(env);

  let azurite: AzuriteHandle | undefined;
  let simulator: Simulator | undefined;
  let host: ChildProcess | undefined;
  let webConsole: ConsoleServer | undefined;
  let stopping = false;

  const stopAll = async (exitCode: number): Promise<never> => {
    if (host && host.exitCode === null && host.signalCode === null) {
      host.kill('SIGTERM');
      const killer = setTimeout(() => host?.kill('SIGKILL'), 10_000);
      await waitForExit(host);
      clearTimeout(killer);
    }
    if (webConsole) await webConsole.close();
    if (simulator) {
      await simulator.close().catch((error: unknown) => say(`simulator stop failed: ${toError(error).message}`));
    }
    if (azurite) await azurite.stop().catch((error: unknown) => say(`Azurite stop failed: ${toError(error).message}`));
    say('stopped');
    process.exit(exitCode);
  };
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the host, the simulator and Azurite`);
    void stopAll(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    // Ports and URLs are fixed up front, so the host process (whose start-up is mostly loading code) starts at the
    // same time as Azurite and the simulator; it waits for storage before it listens.
    const envStorage = env.AzureWebJobsStorage?.trim() || undefined;
    const azuritePort = envStorage ? undefined : env.AZURITE_PORT ? Number(env.AZURITE_PORT) : await freePort();
    const storage = envStorage ?? azuriteConnectionString(azuritePort ?? 0);
    const external = usesExternalUpstreams(env);
    const tenantPort = external ? undefined : simPort(env) || (await freePort());
    const simUrl = tenantPort === undefined ? undefined : `https://localhost:${tenantPort}`;
    const settings = devSettings({ env, storage, port, secretsKey: await localSecretsKey(dataDir), platform, ...(simUrl ? { simUrl } : {}) });
    const withConsole = env.DEV_CONSOLE !== 'off';
    const webPort = withConsole ? await consolePort(env) : undefined;
    const consoleOrigin = webPort === undefined ? undefined : `http://localhost:${webPort}`;

    // A request that throws inside the console or the simulator (both in this process) answers an error; nothing a
    // client sends may stop Azurite and the rest with it.
    process.on('uncaughtException', (error) => say(`unexpected error (still running): ${toError(error).name}: ${toError(error).message}`));
    host = spawn(process.execPath, ['--import', 'tsx', join(root, 'dev', 'host', 'main.ts')], {
      cwd: root,
      env: {
        ...env,
        ...settings,
        DEV_DATA_DIR: dataDir,
        NODE_EXTRA_CA_CERTS: await trustFile(dataDir, tls.caCertFile),
        ...(consoleOrigin ? { DEV_CONSOLE_ORIGIN: consoleOrigin } : {}),
      },
      stdio: 'inherit',
    });
    const hostExit = waitForExit(host);

    const startStorage = async (): Promise<void> => {
      if (azuritePort === undefined) {
        say('using AzureWebJobsStorage from the environment');
        return;
      }
      azurite = await startAzurite({ location: join(dataDir, 'azurite'), port: azuritePort });
      say(`Azurite (tables) on 127.0.0.1:${azurite.port}, data in ${join(dataDir, 'azurite')}`);
    };
    const startTenant = async (): Promise<void> => {
      if (tenantPort === undefined) {
        say('upstream URLs set in the environment: no simulator');
        return;
      }
      const scenarioFile = env.SIM_SCENARIO?.trim() || undefined;
      const scenario = scenarioFile ? await loadScenario(resolve(scenarioFile)) : await loadDefaultScenario();
      simulator = await startSimulator({
        port: tenantPort,
        cert: await readFile(tls.certFile),
        key: await readFile(tls.keyFile),
        // The simulated app registration is the one the host's settings name.
        scenario: { ...scenario, app: { ...scenario.app, clientId: (settings.CONNECTOR_CLIENT_ID ?? '').toLowerCase() } },
        ...(settings.CONNECTOR_CLIENT_SECRET ? { clientSecret: settings.CONNECTOR_CLIENT_SECRET } : {}),
        ...(settings.SENDGRID_API_KEY ? { sendgridApiKey: settings.SENDGRID_API_KEY } : {}),
        ...(env.SIM_QUIET ? {} : { log: (line: string) => console.log(`SIM ${line}`) }),
        platform,
      });
      say(`simulated tenant at ${simulator.url} (scenario ${scenarioFile ?? 'default'})`);
    };
    // Both settle before going on, so a failure of one never leaves the other running unseen.
    const [storageResult, tenantResult] = await Promise.allSettled([startStorage(), startTenant()]);
    if (storageResult.status === 'rejected') throw toError(storageResult.reason);
    if (tenantResult.status === 'rejected') throw toError(tenantResult.reason);
    say(`storage and tenant ready after ${Date.now() - started} ms; the host answers on http://localhost:${port} once loaded`);

    // The console builds (when stale) and starts beside the host; the API answers meanwhile.
    if (webPort !== undefined) {
      void (async () => {
        try {
          await ensureConsoleBuild({ log: (line) => say(line) });
          if (stopping) return;
          webConsole = await startConsoleServer({
            port: webPort,
            host: env.HOST ?? '127.0.0.1',
            settings: consoleSettings({
              authorityHost: settings.ENTRA_AUTHORITY_HOST ?? simUrl ?? '',
              clientId: env.CONSOLE_CLIENT_ID?.trim() || devConsoleClientId,
              apiClientId: settings.API_AUDIENCE ?? settings.CONNECTOR_CLIENT_ID ?? '',
              apiBaseUrl: `http://localhost:${port}`,
              providerTenantId: settings.PROVIDER_TENANT_ID ?? env.PROVIDER_TENANT_ID,
            }),
          });
          say(`web console at ${webConsole.url}  (sign in as adele.vance@contoso.onmicrosoft.com: full access, or alex.wilber@...: read-only)`);
          if (simUrl) {
            say(`before the first sign-in, let your browser trust the simulated Entra ID: open ${simUrl}/organizations/v2.0/.well-known/openid-configuration once and accept its certificate, or import ${relative(process.cwd(), tls.caCertFile) || tls.caCertFile} into the browser's trusted certificates`);
          }
        } catch (error) {
          say(`the web console did not start: ${toError(error).message}`);
        }
      })();
    }

    const code = await hostExit;
    if (!stopping) {
      stopping = true;
      say(`the function host exited with code ${code}`);
      await stopAll(code);
    }
  } catch (error) {
    const failure = toError(error);
    say(`failed to start: ${failure.name}: ${failure.message}`);
    if (!stopping) {
      stopping = true;
      await stopAll(1);
    }
  }
}

void main();
