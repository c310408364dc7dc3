/**
 * The one way the end-to-end tests, the browser tests and the benches start the service on one machine: the
 * simulated tenant (Entra ID, Graph, Intune and SendGrid over HTTPS), tables on Azurite, the services, and the local
 * function host serving the catalog as Azure does. Every part is there unless the options leave it out or tune it;
 * what only one harness does (seeding devices, signing in, activating agents) stays in that harness.
 *
 *   const stack = await startStack({ scenario, tenants: [{ tenantId, fullAccessGroupId }] });
 *   await fetch(`${stack.host.url}/api/health`);
 *   await stack.stop();
 */
import { catalog } from '../../functions/catalog.js';
import { openApiInfo } from '../../functions/openApi.js';
import { buildOpenApiDocument } from '../../shared/http/openapi.js';
import { checkedHost } from './contractProxy.js';
import { OpenApiContract } from './openapiContract.js';
import { startHost, type LocalHost, type StartHostOptions } from '../../dev/host/server.js';
import { startAzurite, type AzuriteHandle } from '../../dev/azurite.js';
import { loadDefaultScenario, type Scenario } from '../../dev/sim/scenario.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../dev/sim/server.js';
import { parseConfig, type Config } from '../../shared/base/config.js';
import { createServices, settleServices, type ServiceOverrides, type Services } from '../../shared/app/services.js';
import type { QueueSenders } from '../../shared/queues/queue.js';
import type { CatalogEntry } from '../../functions/handlers.js';
import { createTableStore, type TableStore } from '../../shared/storage/index.js';
import { activateTenant, createTenant } from '../../shared/tenants/tenantRepository.js';
import { updateTenantConfig } from '../../shared/tenants/tenantConfig.js';
import { quietLog, simSettings, testPlatform, tlsFiles } from './simClient.js';
import { azuriteConnectionString, randomTablePrefix } from './tables.js';

/** A tenant written to the tables at start-up, provisioned and consented (`active`), as onboarding leaves it. */
export interface TenantSeed {
  readonly tenantId: string;
  readonly fullAccessGroupId: string;
  readonly restrictedAccessGroupId?: string;
  /** Default `Contoso`. */
  readonly displayName?: string;
  /** Default `admin@contoso.test`. */
  readonly primaryContactEmail?: string;
  /**
   * The tenant's `agentTrust.attestation`. Default `off`, so agents activated without attestation grade as before;
   * under the product's default (`report`) each such activation raises DEVICE_INTEGRITY_UNVERIFIED on the device.
   */
  readonly attestation?: 'off' | 'report' | 'required';
}

/** What a host's services are built on, for overrides that need it (a runtime on the tables, a wrapped queue). */
export interface HostPorts {
  readonly config: Config;
  readonly tables: TableStore;
  /** The host's own queues (its stand-ins for Service Bus). */
  readonly queues: QueueSenders;
}

/** Seams of a host's services to replace; as a function, it receives what they are built on. */
export type StackOverrides = ServiceOverrides | ((ports: HostPorts) => ServiceOverrides);

/**
 * A host's settings (defaults: a free port, the catalog, function key `test-key`, no app settings, timers only when
 * fired, no log lines) and its services' overrides (defaults: the stack's tables, a silent log, the host's queues).
 */
export interface StackHostOptions extends Partial<Omit<StartHostOptions, 'services'>> {
  readonly overrides?: StackOverrides;
}

export interface StackOptions {
  /**
   * The simulated tenant's scenario, served as it is (the object is not copied, so later changes to it are seen):
   * `default` (dev/sim/scenarios/default.json, what `npm run dev` serves) unless given; `false` for no simulator.
   */
  readonly scenario?: Scenario | 'default' | false;
  /** The simulator's certificate and key. Default: the test run's (test/support/globalSetup.ts). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** The simulator's own options (its app secret, a request log). */
  readonly simulator?: Pick<SimulatorOptions, 'clientSecret' | 'log'>;
  /** Upstreams already served elsewhere (a simulator in a process of its own), when `scenario` is false. */
  readonly simUrl?: string;
  /**
   * Azurite: the test run's (AZURITE_CONNECTION_STRING) unless given; `memory` starts one of the stack's own, in
   * memory; `false` for no storage, and so no services or host either.
   */
  readonly storage?: 'shared' | 'memory' | { readonly connectionString: string } | false;
  /** Prefix of the stack's tables, created at start-up. Default: a random one, so stacks never share rows. */
  readonly tablePrefix?: string;
  /** Tenants written at start-up. */
  readonly tenants?: readonly TenantSeed[];
  /** App settings over the simulator's (`simSettings`) and the storage's. */
  readonly settings?: Readonly<Record<string, string>>;
  /** The host's services' overrides. */
  readonly overrides?: StackOverrides;
  /** The host's settings; `false` for no host (and no services). */
  readonly host?: Omit<StackHostOptions, 'overrides'> | false;
  /**
   * Check every answer of the stack's hosts against the OpenAPI document of their catalog; `stop` then fails with
   * each answer the document does not describe. Default: on in tests (vitest), off elsewhere (benches).
   */
  readonly checkContract?: boolean;
}

export interface StackBase {
  /** Stops what the stack started, newest first: its hosts, the simulator, an Azurite of its own. */
  readonly stop: () => Promise<void>;
}

export interface StackSim {
  readonly sim: Simulator;
}

export interface StackHost {
  readonly host: LocalHost;
  readonly services: Services;
}

export interface StackStorage {
  readonly connectionString: string;
  /** The Azurite the stack started (`storage: 'memory'`), for figures about its process. */
  readonly azurite: AzuriteHandle | undefined;
  readonly tablePrefix: string;
  readonly tables: TableStore;
  readonly config: Config;
  /** Another instance's services (caches of their own) on the same tables and upstreams, sending to the first host's queues. */
  readonly buildServices: (overrides?: ServiceOverrides) => Services;
  /** Another host on the same tables and upstreams: a second instance, or one started after the first stopped. */
  readonly addHost: (options?: StackHostOptions) => Promise<StackHost>;
}

/** What a stack holds, by its options: no `sim` with `scenario: false`, no host with `host: false` or `storage: false`. */
export type Stack<O extends StackOptions = StackOptions> = StackBase &
  (O['scenario'] extends false ? unknown : StackSim) &
  (O['storage'] extends false ? unknown : StackStorage & (O['host'] extends false ? unknown : StackHost));

export async function startStack<const O extends StackOptions>(options: O): Promise<Stack<NoInfer<O>>> {
  const stops: (() => Promise<void>)[] = [];
  const violations: string[] = [];
  const stop = async (): Promise<void> => {
    for (const step of stops.splice(0).reverse()) await step();
    const found = violations.splice(0);
    if (found.length > 0) {
      throw new Error(`The service gave ${found.length} answer(s) its OpenAPI document does not describe:\n${found.join('\n')}`);
    }
  };
  const checkContract = options.checkContract ?? process.env.VITEST !== undefined;
  try {
    const storage = options.storage === false ? undefined : await openStorage(options.storage);
    const azurite = storage?.azurite;
    if (azurite) stops.push(() => azurite.stop());
    const sim = await startSim(options);
    if (sim) stops.push(() => sim.close());
    if (!storage) return assemble<O>({ stop, ...(sim ? { sim } : {}) });

    const tablePrefix = options.tablePrefix ?? randomTablePrefix();
    const tables = createTableStore({ connectionString: storage.connectionString }, { prefix: tablePrefix });
    await tables.ensureTables();
    await seedTenants(tables, options.tenants ?? []);
    const config = parseConfig({ ...simSettings(sim?.url ?? options.simUrl), AzureWebJobsStorage: storage.connectionString, ...options.settings });

    let main: StackHost | undefined;
    const addHost = async ({ overrides, ...hostOptions }: StackHostOptions = {}): Promise<StackHost> => {
      let services: Services | undefined;
      const started = await startHost({
        port: 0,
        catalog,
        functionKey: 'test-key',
        settings: {},
        timers: false,
        log: () => undefined,
        ...hostOptions,
        // A checked host's callers reach it through the checking proxy, which takes the port asked for.
        ...(checkContract ? { port: 0 } : {}),
        services: (queues) => {
          const chosen = typeof overrides === 'function' ? overrides({ config, tables, queues }) : overrides;
          services = createServices(config, { tables, log: quietLog, queues, ...chosen });
          return services;
        },
      });
      const host = checkContract
        ? await checkedHost(started, contractOf(hostOptions.catalog ?? catalog, config), violations, hostOptions.port ?? 0)
        : started;
      if (!services) throw new Error('the host did not build its services');
      // Runs after the host has closed (steps run in reverse): the relay runs, deletes and webhook posts it started
      // finish against live storage, so none is left retrying against a stopped Azurite.
      const built = services;
      stops.push(async () => void (await settleServices(built, 30_000)));
      stops.push(() => host.close());
      return { host, services };
    };
    const buildServices = (overrides: ServiceOverrides = {}): Services =>
      createServices(config, { tables, log: quietLog, ...(main ? { queues: main.services.queues } : {}), ...overrides });
    if (options.host !== false) main = await addHost({ ...options.host, overrides: options.overrides });

    return assemble<O>({
      stop,
      ...(sim ? { sim } : {}),
      connectionString: storage.connectionString,
      azurite: storage.azurite,
      tablePrefix,
      tables,
      config,
      buildServices,
      addHost,
      ...main,
    });
  } catch (error) {
    await stop();
    throw error;
  }
}

const contracts = new WeakMap<readonly CatalogEntry[], OpenApiContract>();

/** The checker of a catalog's OpenAPI document, as the host serves it. */
function contractOf(entries: readonly CatalogEntry[], config: Config): OpenApiContract {
  let contract = contracts.get(entries);
  if (!contract) {
    const routes = entries.flatMap((entry) => (entry.kind === 'http' ? [entry.route] : []));
    contract = new OpenApiContract(buildOpenApiDocument(routes, openApiInfo(config.PUBLIC_BASE_URL)));
    contracts.set(entries, contract);
  }
  return contract;
}

/** The parts started, typed by the options that chose them. */
function assemble<O extends StackOptions>(parts: StackBase & Partial<StackSim & StackStorage & StackHost>): Stack<O> {
  return parts as Stack<O>;
}

async function openStorage(storage: StackOptions['storage']): Promise<{ connectionString: string; azurite?: AzuriteHandle }> {
  if (storage === 'memory') {
    const azurite = await startAzurite({ inMemory: true });
    return { connectionString: azurite.connectionString, azurite };
  }
  if (typeof storage === 'object') return { connectionString: storage.connectionString };
  return { connectionString: azuriteConnectionString() };
}

async function startSim(options: StackOptions): Promise<Simulator | undefined> {
  if (options.scenario === false) return undefined;
  const scenario = options.scenario === undefined || options.scenario === 'default' ? await loadDefaultScenario() : options.scenario;
  const platform = await testPlatform();
  return startSimulator({ ...(options.tls ?? tlsFiles()), ...options.simulator, scenario, ...(platform ? { platform } : {}) });
}

async function seedTenants(tables: TableStore, tenants: readonly TenantSeed[]): Promise<void> {
  const at = new Date().toISOString();
  for (const tenant of tenants) {
    await createTenant(tables, tenant.tenantId, {
      displayName: tenant.displayName ?? 'Contoso',
      fullAccessGroupId: tenant.fullAccessGroupId,
      ...(tenant.restrictedAccessGroupId ? { restrictedAccessGroupId: tenant.restrictedAccessGroupId } : {}),
      primaryContactEmail: tenant.primaryContactEmail ?? 'admin@contoso.test',
      status: 'provisioned',
      createdAt: at,
    });
    await activateTenant(tables, tenant.tenantId, { at });
    const attestation = tenant.attestation ?? 'off';
    await updateTenantConfig(tables, tenant.tenantId, (current) => ({ settings: { ...current.settings, agentTrust: { ...current.settings.agentTrust, attestation } } }));
  }
}

