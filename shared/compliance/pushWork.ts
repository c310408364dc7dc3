/**
 * What a compliance push works on, on our side of Graph: the batch's nudges merged to one per device, each device's
 * current row and what it must tell Intune and Entra ID (plan.ts), the Graph requests that tell them, and the row
 * write that records how it went.
 */
import type { ConnectorSettings } from '../domain/index.js';
import type { Device } from '../devices/device.js';
import { nudgeDeferredTo } from '../devices/deviceIndex.js';
import { mutateDevice, readDevice } from '../devices/deviceRepository.js';
import type { Nudge } from '../devices/complianceNudges.js';
import { toError } from '../base/errors.js';
import { mapLimit } from '../base/mapLimit.js';
import type { BatchRequest } from '../graph/graphBatch.js';
import type { TableStore } from '../storage/index.js';
import { planPush, recordOutcome, type PushOutcome, type PushPlan, type TargetOutcome } from './plan.js';

export interface Delivery {
  readonly nudge: Nudge;
  /** How many times the queue delivered this message (1 on the first delivery). */
  readonly deliveryCount: number;
}

/** One device of the batch as the push works through it: its plan, then how each target went. */
export interface DeviceWork {
  readonly nudge: Nudge;
  readonly deliveryCount: number;
  readonly device: Device;
  readonly plan: PushPlan;
  intune: TargetOutcome;
  entra: TargetOutcome;
  entraObjectId?: string;
  /** When the device must be tried again without a failure (budget or Retry-After). */
  laterAt?: Date;
  throttled?: boolean;
  errors: string[];
}

/** One nudge per device: the newest version, the highest attempt and delivery count seen. */
export function coalesce(deliveries: readonly Delivery[]): Map<string, Map<string, Delivery>> {
  const byTenant = new Map<string, Map<string, Delivery>>();
  for (const delivery of deliveries) {
    const tenantId = delivery.nudge.tenantId.toLowerCase();
    const deviceId = delivery.nudge.deviceId.toLowerCase();
    let devices = byTenant.get(tenantId);
    if (!devices) {
      devices = new Map();
      byTenant.set(tenantId, devices);
    }
    const seen = devices.get(deviceId);
    const nudge: Nudge = { ...delivery.nudge, tenantId, deviceId };
    if (!seen) {
      devices.set(deviceId, { nudge, deliveryCount: delivery.deliveryCount });
      continue;
    }
    const attempt = Math.max(seen.nudge.attempt ?? 0, nudge.attempt ?? 0);
    const deferral = Math.max(seen.nudge.deferral ?? 0, nudge.deferral ?? 0);
    devices.set(deviceId, {
      nudge: {
        tenantId,
        deviceId,
        version: Math.max(seen.nudge.version, nudge.version),
        ...(attempt ? { attempt } : {}),
        ...(deferral ? { deferral } : {}),
      },
      deliveryCount: Math.max(seen.deliveryCount, delivery.deliveryCount),
    });
  }
  return byTenant;
}

/**
 * Reads each nudged device's current row (16 at a time) and plans its push under the tenant's settings. Nudges for
 * devices that no longer exist come back as `missing`.
 */
export async function readWork(
  tables: TableStore,
  tenantId: string,
  deliveries: readonly Delivery[],
  settings: ConnectorSettings,
): Promise<{ work: DeviceWork[]; missing: Delivery[] }> {
  const rows = await mapLimit(deliveries, 16, async (delivery) => ({
    delivery,
    device: await readDevice(tables, tenantId, delivery.nudge.deviceId),
  }));
  const work: DeviceWork[] = [];
  const missing: Delivery[] = [];
  for (const { delivery, device } of rows) {
    if (!device) {
      missing.push(delivery);
      continue;
    }
    const plan = planPush(device, settings);
    work.push({ ...delivery, device, plan, intune: { kind: 'none' }, entra: { kind: 'none' }, errors: [] });
  }
  return { work, missing };
}

/** Finds the Entra device object by the device's Entra device id (its object id is what a write needs). */
export function entraLookupRequest(item: DeviceWork): BatchRequest {
  return {
    method: 'GET',
    url: `/devices?$filter=${encodeURIComponent(`deviceId eq '${(item.device.azureAdDeviceId ?? '').replace(/'/g, "''")}'`)}&$select=id`,
  };
}

/** Tells Intune the device's threat state. */
export function intuneWriteRequest(item: DeviceWork): BatchRequest {
  return {
    method: 'PATCH',
    url: `/deviceManagement/managedDevices/${encodeURIComponent(item.device.intuneDeviceId)}`,
    body: { partnerReportedThreatState: item.plan.intune.kind === 'send' ? item.plan.intune.value : undefined },
  };
}

/** Sets the tenant's extension attribute on the Entra device object (clearing the one used before, if any). */
export function entraWriteRequest(item: DeviceWork): BatchRequest {
  const step = item.plan.entra;
  const attributes: Record<string, string | null> = {};
  if (step.kind === 'send') {
    if (step.clear) attributes[step.clear] = null;
    attributes[step.attribute] = step.value;
  }
  return {
    method: 'PATCH',
    url: `/devices/${encodeURIComponent(item.device.entraObjectId ?? item.entraObjectId ?? '')}`,
    body: { extensionAttributes: attributes },
  };
}

/**
 * Records on the device's row what each target was told (an ETag write against the row as it is now). A device
 * coming back later moves its pending index row to that time in the same write, so reconcile does not re-send it
 * meanwhile (deferrals that write nothing: see reconcile.ts). A write that fails is added to the device's errors.
 * Returns whether what a target holds is uncertain (plan.ts), which calls for another nudge.
 */
export async function recordWork(tables: TableStore, tenantId: string, item: DeviceWork, settings: ConnectorSettings, at: string): Promise<boolean> {
  const outcome: PushOutcome = {
    version: item.plan.version,
    intune: item.intune,
    entra: item.entra,
    ...(item.entraObjectId ? { entraObjectId: item.entraObjectId } : {}),
  };
  let uncertain = false;
  try {
    await mutateDevice(
      tables,
      tenantId,
      item.device.deviceId,
      (current) => {
        const result = recordOutcome(current, outcome, settings, at);
        uncertain = result.uncertain;
        return result.device && item.laterAt ? nudgeDeferredTo(result.device, item.laterAt) : result.device;
      },
      item.device,
      new Date(at),
    );
  } catch (caught) {
    item.errors.push(`record: ${toError(caught).message}`);
  }
  return uncertain;
}
