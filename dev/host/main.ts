/**
 * The function host process of `npm run dev` (started by dev/start.ts with the settings in its environment and
 * NODE_EXTRA_CA_CERTS naming the local CA). Parses the settings as Azure would, serves the catalog, and stops
 * cleanly on SIGINT/SIGTERM.
 */
import { join, resolve } from 'node:path';
import { catalog } from '../../functions/catalog.js';
import { ConfigError, parseConfig } from '../../shared/base/config.js';
import { createServices, settleServices, type Services } from '../../shared/app/services.js';
import type { TableStore } from '../../shared/storage/index.js';
import { toError } from '../../shared/base/errors.js';
import { functionKey, hostPort } from '../devSettings.js';
import { startHost } from './server.js';

/**
 * Every table exists before the first timer or request needs it. Azurite may still be starting (dev/start.ts
 * starts it alongside this process), so keep trying for a while.
 */
async function ensureTables(tables: TableStore): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await tables.ensureTables();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function main(): Promise<void> {
  const env = process.env;
  let config;
  try {
    config = parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`setting ${problem.setting}: ${problem.message}`);
      process.exit(1);
    }
    throw error;
  }
  const dataDir = resolve(env.DEV_DATA_DIR ?? '.local');
  const key = functionKey(env);
  await ensureTables(createServices(config).tables);
  let services: Services | undefined;
  const host = await startHost({
    port: hostPort(env),
    host: env.HOST ?? '127.0.0.1',
    catalog,
    services: (queues) => (services = createServices(config, { queues })),
    functionKey: key,
    settings: env,
    queueStateDir: join(dataDir, 'queues'),
    timers: env.DEV_TIMERS !== 'off',
    // The web console's origin (dev/start.ts), the only one allowed to call the API from a browser.
    ...(env.DEV_CONSOLE_ORIGIN ? { corsOrigins: [env.DEV_CONSOLE_ORIGIN] } : {}),
  });

  const simUrl = config.GRAPH_BASE_URL;
  console.log(
    [
      '',
      `  MTD Connector running at ${host.url}`,
      ...(env.DEV_CONSOLE_ORIGIN ? [`    web console   ${env.DEV_CONSOLE_ORIGIN}   (sign in as the demo admin or the read-only user; README, "Web console")`] : []),
      `    health        ${host.url}/api/health`,
      `    OpenAPI       ${host.url}/api/openapi.json`,
      `    function key  ${key}   (header x-functions-key, or ?code=)`,
      `    tenant        ${simUrl}${simUrl.startsWith('https://localhost') ? '   (simulated; control API under /_sim/)' : ''}`,
      `    dev routes    POST ${host.url}/_dev/timers/{name} · GET ${host.url}/_dev/queues/{name}`,
      `    data          ${dataDir}`,
      '',
      '  Mint a user token from the simulated tenant: POST <tenant>/_sim/tokens/user (an app token: /_sim/tokens/app).',
      '  Walk the flow with `npm run demo` in another terminal. Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`host: ${signal}, stopping`);
    host
      .close()
      // Relay runs and webhook posts already started finish first (what is left is in storage for the safety nets).
      .then(async () => void (services && (await settleServices(services))))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(`host: stop failed: ${toError(error).message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const failure = toError(error);
  console.error(`host: failed to start: ${failure.name}: ${failure.message}`);
  process.exit(1);
});
