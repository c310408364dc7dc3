/**
 * The compliance fan-out through the local host: the simulator as Entra ID, Graph and Intune, fresh tables on the
 * run's Azurite, one consented tenant whose users own Intune managed devices (each with its Entra device object),
 * the host's own `compliance-updates` queue feeding the real queue function, and Graph retries kept short.
 */
import { randomUUID } from 'node:crypto';
import type { LocalHost } from '../../../dev/host/server.js';
import type { LocalQueue } from '../../../dev/host/queue.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { systemClock, type Clock } from '../../../shared/base/clock.js';
import { complianceQueueName, sendNudges, type Nudge } from '../../../shared/devices/complianceNudges.js';
import { createComplianceRuntime, type ComplianceRuntimeOptions } from '../../../shared/compliance/runtime.js';
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { mutateDevice, putDevice, readDevice } from '../../../shared/devices/deviceRepository.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { defaultConnectorSettings, type ConnectorSettings } from '../../../shared/domain/index.js';
import { createGraphAccess } from '../../../shared/graph/index.js';
import type { Services } from '../../../shared/app/services.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { clientId } from '../../support/simClient.js';
import { startStack, type Stack } from '../../support/stack.js';
import { id } from '../../integration/enrollment/harness.js';
import { relaxedLimits } from '../devices/harness.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';

export { id };

export interface PhoneSpec {
  /** Intune managed device id (= our device id). */
  readonly deviceId: string;
  /** The Entra device's `deviceId`. */
  readonly azureAdDeviceId: string;
  /** The Entra device object's `id`. */
  readonly entraObjectId: string;
  readonly user: string;
}

export interface ComplianceHarness {
  readonly tenantId: string;
  readonly adminGroupId: string;
  readonly sim: Simulator;
  readonly host: LocalHost;
  readonly tables: TableStore;
  readonly services: Services;
  readonly queue: LocalQueue;
  readonly phones: PhoneSpec[];
  /** What the harness started: another host on the same tables and simulator comes from `stack.addHost`. */
  readonly stack: Stack;
  /** A user token for `user` (Ann and Ben own phones; Admin is in the full-access group, Reader in the restricted one). */
  token(user: string): Promise<string>;
  /** Writes the tenant's connector settings row. */
  setSettings(change: (settings: ConnectorSettings) => ConnectorSettings): Promise<void>;
  /** Writes a device row for a phone, as discovery or the agent API would have left it. */
  seed(phone: PhoneSpec, fields?: Partial<Device>): Promise<Device>;
  /** Changes a device row with the version rule and nudges it, as the other capabilities do. */
  /** Changes a device row through the seam; `at` is when the change (and its nudge) happened, default now. */
  change(deviceId: string, fields: Partial<Device>, options?: { nudge?: boolean; at?: Date }): Promise<Device>;
  device(deviceId: string): Promise<Device>;
  intuneState(deviceId: string): string;
  entraAttribute(phone: PhoneSpec, attribute: string): string | null | undefined;
  intuneWrites(deviceId?: string): number;
  entraWrites(objectId?: string): number;
  nudge(nudges: readonly Nudge[]): Promise<void>;
  /** Waits until every message that can be delivered now was processed. */
  drain(): Promise<void>;
  /** Polls until `check` is true (or fails after `timeoutMs`). */
  until(check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startComplianceHarness(
  options: { phones?: number; compliance?: ComplianceRuntimeOptions; settings?: Partial<ConnectorSettings>; clock?: Clock } = {},
): Promise<ComplianceHarness> {
  const tenantId = randomUUID();
  const adminGroupId = randomUUID();
  const readerGroupId = randomUUID();
  const count = options.phones ?? 4;
  const phones: PhoneSpec[] = Array.from({ length: count }, (_unused, index) => ({
    deviceId: randomUUID(),
    azureAdDeviceId: randomUUID(),
    entraObjectId: randomUUID(),
    user: index % 2 === 0 ? 'ann' : 'ben',
  }));
  const user = (name: string) => ({ id: id(name), userPrincipalName: `${name}@contoso.test`, displayName: name });
  const stack = await startStack({
    scenario: parseScenario({
      app: { clientId },
      consentedTenants: [tenantId],
      tenants: [
        {
          id: tenantId,
          displayName: 'Contoso',
          users: [user('ann'), user('ben'), user('admin'), user('reader')],
          groups: [
            { id: adminGroupId, displayName: 'MTD Admins', members: [id('admin')] },
            { id: readerGroupId, displayName: 'MTD Readers', members: [id('reader')] },
          ],
          managedDevices: phones.map((phone, index) => ({
            id: phone.deviceId,
            userId: id(phone.user),
            deviceName: `phone-${index}`,
            operatingSystem: 'iOS',
            osVersion: '17.5',
            azureADDeviceId: phone.azureAdDeviceId,
            entraObjectId: phone.entraObjectId,
          })),
        },
      ],
    }),
    tenants: [{ tenantId, fullAccessGroupId: adminGroupId, restrictedAccessGroupId: readerGroupId }],
    overrides: ({ config, tables }) => ({
      ...(options.clock ? { clock: options.clock } : {}),
      graph: createGraphAccess(config, { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } }),
      devices: createDeviceRuntime(tables, options.clock ?? systemClock, { limits: relaxedLimits, tenantCacheMs: 0 }),
      compliance: createComplianceRuntime(tables, options.clock ?? systemClock, { retryDelayMs: () => 50, ...options.compliance }),
    }),
    host: { queue: { retryDelayMs: () => 20 } },
  });
  const { sim, host, tables, services: built } = stack;
  const queue = host.queues.get(complianceQueueName);
  if (!queue) throw new Error('the host has no compliance queue');

  const writeSettings = async (settings: ConnectorSettings): Promise<void> => {
    await updateTenantConfig(tables, tenantId, () => ({ settings, at: new Date().toISOString(), by: 'test' }));
  };
  let settings: ConnectorSettings = {
    ...structuredClone(defaultConnectorSettings),
    ...options.settings,
    enforcement: { intunePartner: true, entraDeviceAttribute: 'extensionAttribute5', ...options.settings?.enforcement },
    // Agents here activate without attestation: under the default (`report`) each would raise DEVICE_INTEGRITY_UNVERIFIED.
    agentTrust: { ...defaultConnectorSettings.agentTrust, attestation: 'off', ...options.settings?.agentTrust },
  };
  await writeSettings(settings);

  const device = async (deviceId: string): Promise<Device> => {
    const found = await readDevice(tables, tenantId, deviceId);
    if (!found) throw new Error(`device ${deviceId} not found`);
    return found;
  };

  const harness: ComplianceHarness = {
    tenantId,
    adminGroupId,
    sim,
    host,
    tables,
    services: built,
    queue,
    phones,
    stack,
    token: (name) => sim.state.mintUserToken({ tenantId, userId: id(name) }),
    setSettings: async (change) => {
      settings = change(structuredClone(settings));
      await writeSettings(settings);
    },
    seed: async (phone, fields = {}) => {
      const at = new Date().toISOString();
      const row = deviceSchema.parse({
        tenantId,
        deviceId: phone.deviceId,
        intuneDeviceId: phone.deviceId,
        azureAdDeviceId: phone.azureAdDeviceId,
        deviceName: 'phone',
        platform: 'ios',
        osVersion: '17.5',
        userId: id(phone.user),
        userPrincipalName: `${phone.user}@contoso.test`,
        status: 'pending',
        statusChangedAt: at,
        discoveredAt: at,
        ...fields,
      });
      await putDevice(tables, row, new Date(at));
      return device(phone.deviceId);
    },
    change: async (deviceId, fields, changeOptions = {}) => {
      const write = await mutateDevice(tables, tenantId, deviceId, (current) => ({ ...current, ...fields }), undefined, changeOptions.at ?? new Date());
      if (!write) throw new Error(`device ${deviceId} not found`);
      if (write.nudge && changeOptions.nudge !== false) {
        await sendNudges(built.queues, [{ tenantId, deviceId, version: write.after.version }]);
      }
      return write.after;
    },
    device,
    intuneState: (deviceId) =>
      sim.state.intuneDevices(tenantId).find((managed) => managed.id === deviceId)?.partnerReportedThreatState ?? 'missing',
    entraAttribute: (phone, attribute) => {
      const found = sim.state.entraDevices(tenantId).find((entra) => entra.id === phone.entraObjectId);
      return found?.extensionAttributes[attribute];
    },
    intuneWrites: (deviceId) =>
      sim.state.intuneWrites(tenantId).filter((write) => write.kind === 'managedDevice' && (!deviceId || write.targetId === deviceId)).length,
    entraWrites: (objectId) => sim.state.entraWrites(tenantId).filter((write) => !objectId || write.targetId === objectId).length,
    nudge: (nudges) => sendNudges(built.queues, nudges),
    // Tenant jobs (a timer's work) first: they may nudge devices.
    drain: async () => {
      await host.queues.get('tenant-jobs')?.drain({ timeoutMs: 20_000 });
      await queue.drain({ timeoutMs: 20_000 });
    },
    until: async (check, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error('condition not met in time');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => stack.stop(),
  };
  return harness;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function call(host: LocalHost, method: string, path: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${host.url}/api/${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

let reportSequence = 0;

/** A threat report body: the complete set of threats open now. */
export function report(threats: { id: string; classification: string }[]): Record<string, unknown> {
  reportSequence += 1;
  return {
    reportId: randomUUID(),
    sequence: reportSequence,
    observedAt: new Date().toISOString(),
    threats: threats.map((threat) => ({ ...threat, detectedAt: '2026-03-01T09:00:00Z' })),
  };
}

/** Activates the phone's agent through the API and returns its device credential. */
export async function activate(h: ComplianceHarness, phone: PhoneSpec): Promise<string> {
  const answer = await call(h.host, 'POST', 'v1/device/activate', await h.token(phone.user), {
    intuneDeviceId: phone.deviceId,
    platform: 'ios',
    osVersion: '17.5',
    appVersion: '1.0.0',
  });
  if (answer.status !== 200) throw new Error(`activation answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return String(answer.body.deviceToken);
}
