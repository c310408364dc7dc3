/**
 * The simulated tenant (HTTPS, the run's test CA) with the default scenario, fresh tables on the shared Azurite,
 * and the services wired to both: what the tenant, auth, graph and console integration tests share.
 */
import type { Config } from '../../../shared/base/config.js';
import { createServices, type ServiceOverrides, type Services } from '../../../shared/app/services.js';
import { activateTenant, createTenant } from '../../../shared/tenants/tenantRepository.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { loadDefaultScenario, tenantSchema } from '../../../dev/sim/scenario.js';
import { startSimulator, type Simulator } from '../../../dev/sim/server.js';
import type { UserTokenOptions } from '../../../dev/sim/state.js';
import { createTestTableStore } from '../../support/tables.js';
import { clientId, clientSecret, quietLog, simConfig, tlsFiles } from '../../support/simClient.js';

export { clientId, clientSecret, quietLog, simConfig, tlsFiles };

/** The default scenario's tenants, users and groups used by these tests. */
export const contoso = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  fullGroupId: '5246c2f8-d5f2-45e8-9c62-63dd8231e980',
  restrictedGroupId: 'feda78c3-5e3b-4f78-9232-3d1fa44c5789',
  /** Adele Vance: in "Console Admins" (full). */
  fullAdmin: '98669269-53f1-4fd9-beaf-e6d727d98415',
  fullAdminUpn: 'adele.vance@contoso.onmicrosoft.com',
  /** Alex Wilber: in "Console Readers" (restricted). */
  restrictedAdmin: 'fa11be7c-3bb7-4666-8d2e-5d697616313f',
  /** Diego Siciliani: in neither console group. */
  plainUser: '09f4c45b-8a69-4826-bf93-465958fd8a19',
};

export const fabrikam = {
  tenantId: '22222222-2222-4222-8222-222222222222',
  fullGroupId: '79817ba7-35ce-460b-b149-fbab2ad69372',
  fullAdmin: '1a1e6002-d5b8-4e87-accd-ba28182eed5a',
};

/** Northwind: a third tenant (not in the default scenario) for "provisioned but never consented". */
export const northwind = {
  tenantId: '55555555-5555-4555-8555-555555555555',
  fullGroupId: '55555555-0000-4000-8000-000000000001',
  fullAdmin: '55555555-0000-4000-8000-000000000002',
};

export async function startSim(options: { withNorthwind?: boolean } = {}): Promise<Simulator> {
  const { cert, key } = tlsFiles();
  const scenario = await loadDefaultScenario();
  if (options.withNorthwind) {
    scenario.tenants.push(
      tenantSchema.parse({
        id: northwind.tenantId,
        displayName: 'Northwind',
        users: [{ id: northwind.fullAdmin, userPrincipalName: 'nina@northwind.test', displayName: 'Nina' }],
        groups: [{ id: northwind.fullGroupId, displayName: 'Console Admins', members: [northwind.fullAdmin] }],
      }),
    );
  }
  return startSimulator({ cert, key, scenario, clientSecret });
}

export interface SimHarness {
  readonly sim: Simulator;
  readonly tables: TableStore;
  readonly config: Config;
  readonly services: Services;
  userToken(options: UserTokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startSimHarness(options: { config?: Record<string, string>; overrides?: ServiceOverrides } = {}): Promise<SimHarness> {
  const sim = await startSim();
  const tables = await createTestTableStore();
  const config = simConfig(sim.url, options.config);
  const services = createServices(config, { tables, log: quietLog, ...options.overrides });
  return {
    sim,
    tables,
    config,
    services,
    userToken: (tokenOptions) => sim.state.mintUserToken(tokenOptions),
    close: () => sim.close(),
  };
}

/** Provisions a tenant with its console groups; `consented` also completes consent (here and in the simulator). */
export async function provision(
  harness: SimHarness,
  tenant: { tenantId: string; fullGroupId: string; restrictedGroupId?: string },
  consented: boolean,
): Promise<void> {
  await createTenant(harness.tables, tenant.tenantId, {
    displayName: 'Test tenant',
    fullAccessGroupId: tenant.fullGroupId,
    ...(tenant.restrictedGroupId ? { restrictedAccessGroupId: tenant.restrictedGroupId } : {}),
    primaryContactEmail: 'it@tenant.test',
    status: 'provisioned',
    createdAt: new Date().toISOString(),
  });
  if (consented) {
    harness.sim.state.grantConsent(tenant.tenantId);
    await activateTenant(harness.tables, tenant.tenantId, { at: new Date().toISOString() });
  }
}
