/**
 * The device API through the local host: the simulator as Entra ID (user tokens) and Intune, fresh tables on the
 * run's Azurite, two consented tenants (Contoso with Ann and Ben, Fabrikam with Zed), device rows written
 * directly (discovery is not what these tests exercise), and every compliance nudge recorded.
 */
import { randomUUID } from 'node:crypto';
import type { LocalHost } from '../../../dev/host/server.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { createDeviceRuntime, type DeviceLimits } from '../../../shared/devices/runtime.js';
import { tenantJobsQueueName } from '../../../shared/jobs/messages.js';
import type { QueueMessage } from '../../../shared/queues/queue.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { systemClock, type Clock } from '../../../shared/base/clock.js';
import { createUserTokenValidator } from '../../../shared/tokens/entraToken.js';
import { clientId } from '../../support/simClient.js';
import { startStack } from '../../support/stack.js';
import { id } from '../../integration/enrollment/harness.js';
import type { AttestationPolicy } from '../../../shared/domain/index.js';

export { id };

export const relaxedLimits: DeviceLimits = {
  reports: { burst: 100_000, perSecond: 100_000 },
  heartbeats: { burst: 100_000, perSecond: 100_000 },
};

export interface DeviceHarness {
  readonly contoso: string;
  readonly fabrikam: string;
  readonly sim: Simulator;
  readonly host: LocalHost;
  /** Contoso's full-access console group (ann and ben are in it). */
  readonly consoleGroupId: string;
  readonly tables: TableStore;
  readonly nudges: QueueMessage[];
  /** Resolves when the host's event relays are done (alerts are queued from published events). */
  eventsSettled(): Promise<void>;
  token(tenantId: string, user: string): Promise<string>;
  close(): Promise<void>;
}

/** How long the host reuses a tenant's settings and policy in these tests (ms). */
export const tenantCacheMs = 1_000;

export async function startDeviceHarness(
  options: {
    limits?: DeviceLimits;
    clock?: Clock;
    settings?: Record<string, string>;
    /**
     * The tenants' `agentTrust.attestation`. Default `off`: these tests activate agents without attestation, and under
     * the product's default (`report`) each activation would raise DEVICE_INTEGRITY_UNVERIFIED on the device.
     */
    attestation?: AttestationPolicy;
  } = {},
): Promise<DeviceHarness> {
  const contoso = randomUUID();
  const consoleGroupId = randomUUID();
  const fabrikam = randomUUID();
  const user = (name: string, domain: string) => ({ id: id(name), userPrincipalName: `${name}@${domain}`, displayName: name });
  // The service's clock (a test may move it by days); user tokens from the simulator are checked on the real one.
  const clock = options.clock ?? systemClock;
  const nudges: QueueMessage[] = [];
  const { sim, host, tables, services, stop } = await startStack({
    scenario: parseScenario({
      app: { clientId },
      consentedTenants: [contoso, fabrikam],
      tenants: [
        {
          id: contoso,
          displayName: 'Contoso',
          users: [user('ann', 'contoso.test'), user('ben', 'contoso.test')],
          groups: [{ id: consoleGroupId, displayName: 'Console Admins', members: [id('ann'), id('ben')] }],
        },
        { id: fabrikam, displayName: 'Fabrikam', users: [user('zed', 'fabrikam.test')] },
      ],
    }),
    tenants: [
      { tenantId: contoso, fullAccessGroupId: consoleGroupId, attestation: options.attestation ?? 'off' },
      { tenantId: fabrikam, fullAccessGroupId: randomUUID(), attestation: options.attestation ?? 'off' },
    ],
    settings: options.settings,
    // Nudges are recorded (no compliance function runs here); tenant jobs go to the host's own queue.
    overrides: ({ config, tables: store, queues: hostQueues }) => ({
      clock,
      userTokens: createUserTokenValidator(config),
      queues: (name) =>
        name === tenantJobsQueueName
          ? hostQueues(name)
          : {
              send: (messages) => {
                nudges.push(...messages);
                return Promise.resolve();
              },
            },
      devices: createDeviceRuntime(store, clock, { limits: options.limits ?? relaxedLimits, tenantCacheMs }),
    }),
  });
  return {
    contoso,
    fabrikam,
    consoleGroupId,
    sim,
    host,
    tables,
    nudges,
    eventsSettled: () => services.events.idle(),
    token: (tenantId, name) => sim.state.mintUserToken({ tenantId, userId: id(name) }),
    close: stop,
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string;
  headers: Headers;
}

export async function post(host: LocalHost, path: string, token: string | undefined, body: unknown, init: { contentType?: string; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${host.url}/api/${path}`, { method: 'POST', headers, body: init.raw ?? JSON.stringify(body) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, contentType: response.headers.get('content-type') ?? '', headers: response.headers };
}

export const activation = (deviceId: string, platform: 'ios' | 'android' = 'ios') => ({
  intuneDeviceId: deviceId,
  platform,
  osVersion: '17.5',
  appVersion: '1.0.0',
});
