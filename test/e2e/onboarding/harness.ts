/**
 * Onboarding and the console through the local host: the simulator (default scenario: Contoso and Fabrikam, nobody
 * consented yet) as Entra ID and Graph, fresh tables on the run's Azurite, the whole catalog served over HTTP.
 */
import type { LocalHost } from '../../../dev/host/server.js';
import { loadDefaultScenario, tenantSchema } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import type { UserTokenOptions } from '../../../dev/sim/state.js';
import type { Clock } from '../../../shared/base/clock.js';
import type { Services } from '../../../shared/app/services.js';
import { consentUrl } from '../../../shared/onboarding/onboarding.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { freePort } from '../../../dev/azurite.js';
import { startStack } from '../../support/stack.js';
import { contoso, fabrikam, northwind } from '../../integration/auth/harness.js';

export { contoso, fabrikam, northwind };

export const functionKey = 'test-provider-key';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface CallOptions {
  token?: string;
  key?: string | false;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export interface OnboardingHarness {
  readonly sim: Simulator;
  readonly host: LocalHost;
  readonly tables: TableStore;
  readonly services: Services;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** GET without following redirects (consent round trips). */
  browse(url: string): Promise<Reply>;
  token(options: UserTokenOptions): Promise<string>;
  /** Provisions through the provider API. */
  provision(tenant: { tenantId: string; fullGroupId: string; restrictedGroupId?: string }): Promise<Reply>;
  /** The path and query of the tenant's signed consent link (`/api/consent/start?tenantId=&sig=`). */
  consentPath(tenantId: string): Promise<string>;
  /** The admin-consent round trip: start → simulator adminconsent → callback; returns the callback's page. */
  consent(tenantId: string): Promise<Reply>;
  close(): Promise<void>;
}

function isConnectionReset(caught: unknown): boolean {
  const cause = caught instanceof Error ? caught.cause : undefined;
  return typeof cause === 'object' && cause !== null && 'code' in cause && (cause as { code?: unknown }).code === 'ECONNRESET';
}

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export async function startOnboarding(
  options: { clock?: Clock; withNorthwind?: boolean; settings?: Record<string, string> } = {},
): Promise<OnboardingHarness> {
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
  // The links the service hands out (consent) name the host, so its port is chosen first.
  const port = await freePort();
  const stack = await startStack({
    scenario,
    settings: { PUBLIC_BASE_URL: `http://localhost:${port}`, ...options.settings },
    overrides: options.clock ? { clock: options.clock } : {},
    host: { port, functionKey },
  });
  const { sim, host, tables, services } = stack;

  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...callOptions.headers };
    if (callOptions.token !== undefined) headers.authorization = `Bearer ${callOptions.token}`;
    if (callOptions.key !== false && (callOptions.key !== undefined || path.startsWith('/api/v1/provider'))) {
      headers['x-functions-key'] = callOptions.key ?? functionKey;
    }
    let body: string | undefined;
    if (callOptions.raw !== undefined) body = callOptions.raw;
    else if (callOptions.body !== undefined) body = JSON.stringify(callOptions.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' };
    try {
      return reply(await fetch(`${host.url}${path}`, init));
    } catch (caught) {
      // A kept-alive socket the host closed just as it was reused: a transport race, not an answer. Send once more.
      if (!isConnectionReset(caught)) throw caught;
      return reply(await fetch(`${host.url}${path}`, init));
    }
  };

  const browse = async (url: string): Promise<Reply> => reply(await fetch(url, { redirect: 'manual' }));
  /** The path and query of the tenant's consent link, as provisioning hands it out. */
  const consentPath = async (tenantId: string): Promise<string> => {
    const link = new URL(await consentUrl(services, tenantId));
    return `${link.pathname}${link.search}`;
  };

  return {
    sim,
    host,
    tables,
    services,
    call,
    browse,
    consentPath,
    token: (tokenOptions) => sim.state.mintUserToken(tokenOptions),
    provision: (tenant) =>
      call('POST', '/api/v1/provider/tenants', {
        body: {
          tenantId: tenant.tenantId,
          displayName: tenant.tenantId === contoso.tenantId ? 'Contoso' : tenant.tenantId === fabrikam.tenantId ? 'Fabrikam' : 'Northwind',
          fullAccessGroupId: tenant.fullGroupId,
          ...(tenant.restrictedGroupId ? { restrictedAccessGroupId: tenant.restrictedGroupId } : {}),
          primaryContactEmail: 'it@customer.test',
        },
      }),
    consent: async (tenantId) => {
      const start = await call('GET', await consentPath(tenantId));
      if (start.status !== 302) throw new Error(`consent/start answered ${start.status}: ${start.text.slice(0, 200)}`);
      const atEntra = await browse(start.headers.get('location') ?? '');
      if (atEntra.status !== 302) throw new Error(`adminconsent answered ${atEntra.status}: ${atEntra.text.slice(0, 200)}`);
      return browse(atEntra.headers.get('location') ?? '');
    },
    close: stack.stop,
  };
}

/** Provisions and consents Contoso (full and restricted groups) and Fabrikam (full group only). */
export async function onboardBoth(harness: OnboardingHarness): Promise<void> {
  for (const tenant of [contoso, fabrikam]) {
    const provisioned = await harness.provision(tenant);
    if (provisioned.status !== 201) throw new Error(`provision answered ${provisioned.status}: ${provisioned.text}`);
    const page = await harness.consent(tenant.tenantId);
    if (page.status !== 200) throw new Error(`consent answered ${page.status}: ${page.text}`);
  }
}
