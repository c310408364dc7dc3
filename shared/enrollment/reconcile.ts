/**
 * The pure heart of discovery: given what Intune and the enrollment groups say now and the device rows we hold,
 * which rows change and how. No I/O; O(n) over the devices with Maps.
 */
import { z } from 'zod';
import { deviceStatuses, transition, type DeviceStatus } from '../domain/index.js';
import { deviceSchema, withVersionRule, type Device, type Platform } from '../devices/device.js';

/** A managed device as discovery sees it (iOS and Android only). */
export interface IntuneDevice {
  /** The Intune managed device id, lower case (also our device id). */
  readonly intuneDeviceId: string;
  /** The Entra device's `deviceId`; undefined when Intune has none yet. */
  readonly azureAdDeviceId: string | undefined;
  readonly deviceName: string;
  readonly platform: Platform;
  readonly osVersion: string;
  /** The primary user's object id, lower case. */
  readonly userId: string;
  readonly userPrincipalName: string;
  /** The enrollment groups (display names, sorted) the user was found in; undefined: unknown on this run. */
  readonly enrollmentGroups?: readonly string[] | undefined;
}

/** What one run learned about one device. */
export type Observation =
  /** In Intune, and its user is in at least one enrollment group. */
  | { readonly kind: 'enrolled'; readonly device: IntuneDevice }
  /** Its user is confirmed out of every enrollment group, or the device is no longer in Intune. */
  | { readonly kind: 'left'; readonly reason: 'left-groups' | 'left-intune' };

export type ChangeKind = 'discovered' | 'rediscovered' | 'deactivated' | 'updated';

export interface DeviceChange {
  readonly kind: ChangeKind;
  /** The row after the change, version rule applied (carries the read row's ETag, if any). */
  readonly device: Device;
  /** Whether the change is one Intune or Entra must hear about (a new version). */
  readonly nudge: boolean;
  /** Whether the row existed when read (an update) or not (a create). */
  readonly existed: boolean;
}

const identityFields = [
  'intuneDeviceId',
  'azureAdDeviceId',
  'deviceName',
  'platform',
  'osVersion',
  'userId',
  'userPrincipalName',
] as const satisfies readonly (keyof IntuneDevice & keyof Device)[];

function identityOf(device: IntuneDevice): Pick<Device, (typeof identityFields)[number]> {
  return {
    intuneDeviceId: device.intuneDeviceId,
    azureAdDeviceId: device.azureAdDeviceId,
    deviceName: device.deviceName,
    platform: device.platform,
    osVersion: device.osVersion,
    userId: device.userId,
    userPrincipalName: device.userPrincipalName,
  };
}

/** The groups to record: the observed ones, or the row's when this run could not tell (a group did not resolve). */
function groupsOf(current: Device | undefined, observed: IntuneDevice): { enrollmentGroups?: string[] } {
  const groups = observed.enrollmentGroups ?? current?.enrollmentGroups;
  return groups ? { enrollmentGroups: [...groups] } : {};
}

function sameIdentity(current: Device, observed: IntuneDevice): boolean {
  const groups = observed.enrollmentGroups;
  const sameGroups = groups === undefined || JSON.stringify(groups) === JSON.stringify(current.enrollmentGroups ?? []);
  return sameGroups && identityFields.every((field) => (current[field] ?? undefined) === (observed[field] ?? undefined));
}

/**
 * Applies one observation to a device row. Returns the change, or undefined when the row stays as it is.
 * Identity fields never bump the version; status changes do (through `withVersionRule`).
 */
export function applyObservation(
  tenantId: string,
  current: Device | undefined,
  observation: Observation,
  now: string,
): DeviceChange | undefined {
  if (observation.kind === 'left') {
    if (current === undefined || current.status === 'deactivated') return undefined;
    const result = transition(current.status, 'deactivate');
    if (!result.ok) return undefined;
    const next: Device = {
      ...current,
      status: result.status,
      statusChangedAt: now,
      deactivatedAt: now,
      deactivationReason: observation.reason,
      credentialHash: undefined,
      credentialIssuedAt: undefined,
      credentialExpiresAt: undefined,
      credentialSessionHash: undefined,
      previousCredentialHash: undefined,
      previousCredentialUntil: undefined,
      credentialRotationNonce: undefined,
    };
    const { device, nudge } = withVersionRule(current, next);
    return { kind: 'deactivated', device, nudge, existed: true };
  }

  const identity = { ...identityOf(observation.device), ...groupsOf(current, observation.device) };
  if (current === undefined) {
    const created = deviceSchema.parse({
      tenantId,
      deviceId: observation.device.intuneDeviceId,
      ...identity,
      status: 'pending',
      statusChangedAt: now,
      discoveredAt: now,
    });
    const { device, nudge } = withVersionRule(undefined, created);
    return { kind: 'discovered', device, nudge, existed: false };
  }

  // An admin's deactivation stands: only a device that left (its user's groups, or Intune) comes back as pending.
  const adminDeactivated = current.status === 'deactivated' && current.deactivationReason === 'admin';
  const result = adminDeactivated
    ? ({ ok: true, status: current.status, changed: false } as const)
    : transition(current.status, 'rediscover');
  if (!result.ok) return undefined;
  if (!result.changed) {
    if (sameIdentity(current, observation.device)) return undefined;
    const { device, nudge } = withVersionRule(current, { ...current, ...identity });
    return { kind: 'updated', device, nudge, existed: true };
  }
  const next: Device = {
    ...current,
    ...identity,
    status: result.status,
    statusChangedAt: now,
    deactivatedAt: undefined,
    deactivationReason: undefined,
  };
  const { device, nudge } = withVersionRule(current, next);
  return { kind: 'rediscovered', device, nudge, existed: true };
}

/** A device row as Table Storage returned it (properties untyped). */
export type StoredRow = Readonly<Record<string, unknown>>;

/**
 * The tenant's device rows by device id. `row`, when given, hands out a row as stored so the plan can see that a
 * device stays as it is without typing its row (most devices of most runs); `get` types a row when it must.
 */
export type StoredDevices = ReadonlyMap<string, Device> & { readonly row?: (deviceId: string) => StoredRow | undefined };

const statuses: ReadonlySet<string> = new Set(deviceStatuses);

/**
 * Whether finding the device enrolled again certainly leaves its stored row as it is (`applyObservation` would
 * return no change), judged from the row as stored. Conservative: false whenever it cannot tell (a field absent
 * where the schema would fill a default, a stored form it does not expect), and the row is then typed and diffed.
 * Identity fields are stored as they are typed (no transforms), so equal stored values mean equal typed ones.
 */
export function unchangedByEnrollment(row: StoredRow, observed: IntuneDevice): boolean {
  const status = row.status;
  if (typeof status !== 'string' || !statuses.has(status)) return false;
  if (!(status === 'deactivated' && row.deactivationReason === 'admin')) {
    const result = transition(status as DeviceStatus, 'rediscover');
    if (!result.ok || result.changed) return false;
  }
  if (!identityFields.every((field) => row[field] === observed[field])) return false;
  const groups = observed.enrollmentGroups;
  return groups === undefined || row.enrollmentGroups === JSON.stringify(groups);
}

export interface SyncPlanInput {
  readonly tenantId: string;
  readonly now: string;
  /** The tenant's device rows by device id. */
  readonly stored: StoredDevices;
  /** Every iOS/Android managed device in Intune by device id. */
  readonly intune: ReadonlyMap<string, IntuneDevice>;
  /** Users of the enrollment groups (transitive): user id → user principal name. */
  readonly members: ReadonlyMap<string, string>;
  /** The resolved enrollment groups each member was found in (display names). */
  readonly memberGroups?: ReadonlyMap<string, readonly string[]>;
  /**
   * False when some enrollment group could not be resolved: its members are unknown, so nobody can be confirmed
   * out of every group and no device is deactivated for `left-groups` on this run.
   */
  readonly membershipComplete: boolean;
}

export interface SyncPlan {
  readonly changes: DeviceChange[];
  /** The observation behind each change, by device id (to re-apply it to a re-read row after a lost race). */
  readonly observations: ReadonlyMap<string, Observation>;
  readonly counts: Readonly<Record<ChangeKind, number>> & { readonly unchanged: number; readonly kept: number };
}

/** Joins Intune's devices with the group members and diffs the result against the stored rows. */
export function planSync(input: SyncPlanInput): SyncPlan {
  const changes: DeviceChange[] = [];
  const observations = new Map<string, Observation>();
  const counts = { discovered: 0, rediscovered: 0, deactivated: 0, updated: 0, unchanged: 0, kept: 0 };

  const consider = (deviceId: string, current: Device | undefined, observation: Observation): void => {
    const change = applyObservation(input.tenantId, current, observation, input.now);
    if (change === undefined) {
      if (current !== undefined) counts.unchanged += 1;
      return;
    }
    changes.push(change);
    observations.set(deviceId, observation);
    counts[change.kind] += 1;
  };

  for (const [deviceId, observed] of input.intune) {
    const upn = input.members.get(observed.userId);
    if (upn !== undefined) {
      const device: IntuneDevice = {
        ...observed,
        userPrincipalName: upn || observed.userPrincipalName,
        ...(input.memberGroups ? { enrollmentGroups: [...(input.memberGroups.get(observed.userId) ?? [])].sort() } : {}),
      };
      const row = input.stored.row?.(deviceId);
      if (row !== undefined && unchangedByEnrollment(row, device)) counts.unchanged += 1;
      else consider(deviceId, input.stored.get(deviceId), { kind: 'enrolled', device });
      continue;
    }
    const current = input.stored.get(deviceId);
    if (current !== undefined) {
      if (input.membershipComplete) consider(deviceId, current, { kind: 'left', reason: 'left-groups' });
      else if (current.status !== 'deactivated') counts.kept += 1;
      else counts.unchanged += 1;
    }
  }
  for (const deviceId of input.stored.keys()) {
    if (!input.intune.has(deviceId)) consider(deviceId, input.stored.get(deviceId), { kind: 'left', reason: 'left-intune' });
  }
  return { changes, observations, counts };
}

/** A managed device as listed by Graph (`$select` of the fields discovery uses). */
export const managedDeviceItemSchema = z.object({
  id: z.string(),
  userId: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  deviceName: z.string().nullish(),
  operatingSystem: z.string().nullish(),
  osVersion: z.string().nullish(),
  azureADDeviceId: z.string().nullish(),
});
export type ManagedDeviceItem = z.infer<typeof managedDeviceItemSchema>;

const emptyGuid = '00000000-0000-0000-0000-000000000000';

export function platformOf(operatingSystem: string | null | undefined): Platform | undefined {
  const os = (operatingSystem ?? '').trim().toLowerCase();
  if (os === 'ios') return 'ios';
  if (os === 'android') return 'android';
  return undefined;
}

/** The discovery view of a Graph managed device; undefined for other platforms and devices without a user. */
export function toIntuneDevice(item: ManagedDeviceItem): IntuneDevice | undefined {
  const platform = platformOf(item.operatingSystem);
  const userId = (item.userId ?? '').trim().toLowerCase();
  if (platform === undefined || userId === '' || userId === emptyGuid) return undefined;
  const entraId = (item.azureADDeviceId ?? '').trim().toLowerCase();
  return {
    intuneDeviceId: item.id.toLowerCase(),
    azureAdDeviceId: entraId === '' || entraId === emptyGuid ? undefined : entraId,
    deviceName: item.deviceName ?? '',
    platform,
    osVersion: item.osVersion ?? '',
    userId,
    userPrincipalName: item.userPrincipalName ?? '',
  };
}
