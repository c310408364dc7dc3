/**
 * Provider operations through the local host: one consented tenant (Contoso) whose users own Intune managed devices
 * with their Entra device objects, the simulator as Entra ID, Graph and Intune, fresh tables on the run's Azurite.
 * Offboarding runs are held back until the test lets them through (`releaseOffboarding`), so what a provider sees
 * while a tenant is being offboarded can be looked at without a race.
 */
import { randomUUID } from 'node:crypto';
import type { LocalHost } from '../../../dev/host/server.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { systemClock } from '../../../shared/base/clock.js';
import { createComplianceRuntime } from '../../../shared/compliance/runtime.js';
import { complianceQueueName, sendNudges } from '../../../shared/devices/complianceNudges.js';
import { deviceSchema, type Device } from '../../../shared/devices/device.js';
import { putDevice } from '../../../shared/devices/deviceRepository.js';
import { createDeviceRuntime } from '../../../shared/devices/runtime.js';
import { defaultConnectorSettings } from '../../../shared/domain/index.js';
import { createGraphAccess } from '../../../shared/graph/index.js';
import { offboardJobSchema, tenantJobsQueueName } from '../../../shared/jobs/messages.js';
import type { Services } from '../../../shared/app/services.js';
import type { QueueMessage } from '../../../shared/queues/queue.js';
import { anyEntity, listAll, tableNames, type TableName, type TableStore } from '../../../shared/storage/index.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { clientId } from '../../support/simClient.js';
import { startStack, type Stack } from '../../support/stack.js';
import { id } from '../../integration/enrollment/harness.js';

export const functionKey = 'test-provider-key';
export const entraAttribute = 'extensionAttribute5';

export interface Phone {
  readonly deviceId: string;
  readonly azureAdDeviceId: string;
  readonly entraObjectId: string;
  readonly user: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: unknown;
}

export interface ProviderHarness {
  readonly tenantId: string;
  readonly adminGroupId: string;
  readonly phones: readonly Phone[];
  readonly sim: Simulator;
  readonly host: LocalHost;
  readonly tables: TableStore;
  readonly services: Services;
  readonly stack: Stack;
  call(method: string, path: string, options?: { token?: string; key?: string | false; body?: unknown }): Promise<Answer>;
  token(user: string): Promise<string>;
  /** Writes an active device row for each phone and pushes it, so Intune and Entra ID hold `activated`. */
  activatePhones(): Promise<void>;
  intuneState(deviceId: string): string;
  entraValue(phone: Phone): string | null | undefined;
  /** Lets held offboarding runs (and every later one) through. */
  releaseOffboarding(): Promise<void>;
  until(check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startProviderHarness(options: { phones?: number } = {}): Promise<ProviderHarness> {
  const tenantId = randomUUID();
  const adminGroupId = randomUUID();
  const phones: Phone[] = Array.from({ length: options.phones ?? 4 }, (_unused, index) => ({
    deviceId: randomUUID(),
    azureAdDeviceId: randomUUID(),
    entraObjectId: randomUUID(),
    user: index % 2 === 0 ? 'ann' : 'ben',
  }));
  const user = (name: string) => ({ id: id(name), userPrincipalName: `${name}@contoso.test`, displayName: name });
  const held: QueueMessage[] = [];
  let gateOpen = false;
  const stack = await startStack({
    scenario: parseScenario({
      app: { clientId },
      consentedTenants: [tenantId],
      tenants: [
        {
          id: tenantId,
          displayName: 'Contoso',
          users: [user('ann'), user('ben'), user('admin')],
          groups: [{ id: adminGroupId, displayName: 'MTD Admins', members: [id('admin')] }],
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
    tenants: [{ tenantId, fullAccessGroupId: adminGroupId }],
    overrides: ({ config, tables, queues }) => ({
      graph: createGraphAccess(config, { retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } }),
      compliance: createComplianceRuntime(tables, systemClock, { retryDelayMs: () => 50 }),
      // Each agent request reads the tenant afresh, so a refusal follows the offboarding at once (in service, within
      // the brief per-instance cache of a tenant's context).
      devices: createDeviceRuntime(tables, systemClock, { tenantCacheMs: 0 }),
      // Offboarding runs wait at this gate until the test opens it; everything else goes straight through.
      queues: (name) => {
        const target = queues(name);
        if (name !== tenantJobsQueueName) return target;
        return {
          send: async (messages) => {
            const offboard = messages.filter((message) => offboardJobSchema.safeParse(message.body).success);
            const rest = messages.filter((message) => !offboard.includes(message));
            if (rest.length > 0) await target.send(rest);
            if (offboard.length === 0) return;
            if (gateOpen) await target.send(offboard);
            else held.push(...offboard);
          },
        };
      },
    }),
    host: { functionKey, queue: { retryDelayMs: () => 20 } },
  });
  const { sim, host, tables, services } = stack;
  await updateTenantConfig(tables, tenantId, () => ({
    settings: { ...structuredClone(defaultConnectorSettings), enforcement: { intunePartner: true, entraDeviceAttribute: entraAttribute } },
    at: new Date().toISOString(),
    by: 'test',
  }));

  const until = async (check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const intuneState = (deviceId: string): string =>
    sim.state.intuneDevices(tenantId).find((managed) => managed.id === deviceId)?.partnerReportedThreatState ?? 'missing';
  const entraValue = (phone: Phone): string | null | undefined =>
    sim.state.entraDevices(tenantId).find((entra) => entra.id === phone.entraObjectId)?.extensionAttributes[entraAttribute];

  return {
    tenantId,
    adminGroupId,
    phones,
    sim,
    host,
    tables,
    services,
    stack,
    call: async (method, path, callOptions = {}) => {
      const headers: Record<string, string> = {};
      if (callOptions.token !== undefined) headers.authorization = `Bearer ${callOptions.token}`;
      if (callOptions.key !== false && (callOptions.key !== undefined || path.startsWith('/api/v1/provider'))) {
        headers['x-functions-key'] = callOptions.key ?? functionKey;
      }
      if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${host.url}${path}`, {
        method,
        headers,
        ...(callOptions.body !== undefined ? { body: JSON.stringify(callOptions.body) } : {}),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, text, body };
    },
    token: (name) => sim.state.mintUserToken({ tenantId, userId: id(name) }),
    activatePhones: async () => {
      const at = new Date();
      const rows: Device[] = [];
      for (const phone of phones) {
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
          status: 'active',
          statusChangedAt: at.toISOString(),
          discoveredAt: at.toISOString(),
          activatedAt: at.toISOString(),
          lastCheckInAt: at.toISOString(),
          syncPending: true,
        });
        rows.push(await putDevice(tables, row, at));
      }
      await sendNudges(services.queues, rows.map((row) => ({ tenantId, deviceId: row.deviceId, version: row.version })));
      await until(() => phones.every((phone) => intuneState(phone.deviceId) === 'activated' && entraValue(phone) === 'activated'));
      await host.queues.get(complianceQueueName)?.drain({ timeoutMs: 20_000 });
    },
    intuneState,
    entraValue,
    releaseOffboarding: async () => {
      gateOpen = true;
      const queue = host.queues.get(tenantJobsQueueName);
      if (!queue) throw new Error('the host has no tenant-jobs queue');
      await queue.send(held.splice(0));
    },
    until,
    close: () => stack.stop(),
  };
}

/** A row that names the tenant: its key starts with or holds the id, or a property holds it. */
function namesTenant(row: Record<string, unknown>, tenantId: string): boolean {
  return Object.values(row).some((value) => typeof value === 'string' && value.toLowerCase().includes(tenantId));
}

/** Every row of every table that names the tenant, by table. */
export async function rowsNaming(tables: TableStore, tenantId: string, names: readonly TableName[] = tableNames): Promise<Partial<Record<TableName, Record<string, unknown>[]>>> {
  const found: Partial<Record<TableName, Record<string, unknown>[]>> = {};
  for (const name of names) {
    const rows: Record<string, unknown>[] = [];
    for await (const row of listAll(tables.table(name), { schema: anyEntity })) {
      if (namesTenant(row, tenantId)) rows.push(row);
    }
    if (rows.length > 0) found[name] = rows;
  }
  return found;
}

/** A row in every table in the tenant's own partition and in one of its `{tenantId}|xx` partitions. */
export async function seedEveryTable(tables: TableStore, tenantId: string, names: readonly TableName[]): Promise<void> {
  for (const name of names) {
    await tables.table(name).upsertEntity({ partitionKey: tenantId, rowKey: '~synthetic', note: 'seeded' });
    await tables.table(name).upsertEntity({ partitionKey: `${tenantId}|zz`, rowKey: '~synthetic', note: 'seeded' });
  }
}
