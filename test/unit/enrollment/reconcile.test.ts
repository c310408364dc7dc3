import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deviceFromEntity, deviceSchema, deviceToEntity, type Device } from '../../../shared/devices/device.js';
import { deviceStatuses } from '../../../shared/domain/index.js';
import { StoredDeviceRows } from '../../../shared/enrollment/storedDevices.js';
import {
  applyObservation,
  planSync,
  toIntuneDevice,
  type IntuneDevice,
} from '../../../shared/enrollment/reconcile.js';

const tenantId = '11111111-1111-4111-8111-111111111111';
const now = '2026-03-01T10:00:00.000Z';
const earlier = '2026-02-01T10:00:00.000Z';

function intune(id: string, userId: string, overrides: Partial<IntuneDevice> = {}): IntuneDevice {
  return {
    intuneDeviceId: id,
    azureAdDeviceId: `aad-${id}`,
    deviceName: `Phone ${id}`,
    platform: 'ios',
    osVersion: '17.5',
    userId,
    userPrincipalName: `${userId}@contoso.test`,
    ...overrides,
  };
}

function stored(device: IntuneDevice, overrides: Partial<Device> = {}): Device {
  return deviceSchema.parse({
    tenantId,
    deviceId: device.intuneDeviceId,
    ...device,
    status: 'active',
    statusChangedAt: earlier,
    discoveredAt: earlier,
    credentialHash: 'ab'.repeat(32),
    credentialIssuedAt: earlier,
    version: 4,
    etag: 'W/"etag"',
    ...overrides,
  });
}

function plan(options: {
  stored?: Device[];
  intune?: IntuneDevice[];
  members?: Record<string, string>;
  membershipComplete?: boolean;
}) {
  return planSync({
    tenantId,
    now,
    stored: new Map((options.stored ?? []).map((d) => [d.deviceId, d])),
    intune: new Map((options.intune ?? []).map((d) => [d.intuneDeviceId, d])),
    members: new Map(Object.entries(options.members ?? {})),
    membershipComplete: options.membershipComplete ?? true,
  });
}

describe('planSync', () => {
  it('discovers a member’s new device as pending, version 1, due a nudge', () => {
    const result = plan({ intune: [intune('d1', 'u1')], members: { u1: 'u1@contoso.test' } });
    expect(result.changes).toHaveLength(1);
    const [change] = result.changes;
    expect(change?.kind).toBe('discovered');
    expect(change?.existed).toBe(false);
    expect(change?.nudge).toBe(true);
    expect(change?.device).toMatchObject({
      tenantId,
      deviceId: 'd1',
      intuneDeviceId: 'd1',
      azureAdDeviceId: 'aad-d1',
      status: 'pending',
      platform: 'ios',
      userId: 'u1',
      discoveredAt: now,
      version: 1,
      syncPending: true,
    });
  });

  it('ignores devices of users in no enrollment group', () => {
    const result = plan({ intune: [intune('d1', 'u1'), intune('d2', 'u2')], members: { u1: 'u1@contoso.test' } });
    expect(result.changes.map((c) => c.device.deviceId)).toEqual(['d1']);
  });

  it('changes nothing when nothing changed', () => {
    const device = intune('d1', 'u1');
    const result = plan({ stored: [stored(device)], intune: [device], members: { u1: device.userPrincipalName } });
    expect(result.changes).toEqual([]);
    expect(result.counts.unchanged).toBe(1);
  });

  it('deactivates a device whose user left every group, clearing its credential', () => {
    const device = intune('d1', 'u1');
    const result = plan({ stored: [stored(device)], intune: [device], members: {} });
    const [change] = result.changes;
    expect(change?.kind).toBe('deactivated');
    expect(change?.nudge).toBe(true);
    expect(change?.device).toMatchObject({
      status: 'deactivated',
      deactivationReason: 'left-groups',
      deactivatedAt: now,
      statusChangedAt: now,
      version: 5,
      syncPending: true,
      etag: 'W/"etag"',
    });
    expect(change?.device.credentialHash).toBeUndefined();
    expect(change?.device.credentialIssuedAt).toBeUndefined();
  });

  it('deactivates a device that left Intune even while membership is incomplete', () => {
    const device = intune('d1', 'u1');
    const result = plan({ stored: [stored(device)], intune: [], members: { u1: 'x' }, membershipComplete: false });
    expect(result.changes[0]?.device).toMatchObject({ status: 'deactivated', deactivationReason: 'left-intune' });
  });

  it('keeps devices whose user cannot be confirmed out when a group did not resolve', () => {
    const device = intune('d1', 'u1');
    const result = plan({ stored: [stored(device)], intune: [device], members: {}, membershipComplete: false });
    expect(result.changes).toEqual([]);
    expect(result.counts.kept).toBe(1);
  });

  it('leaves an already deactivated device alone', () => {
    const device = intune('d1', 'u1');
    const gone = stored(device, { status: 'deactivated', deactivationReason: 'left-groups', deactivatedAt: earlier });
    expect(plan({ stored: [gone], intune: [device], members: {} }).changes).toEqual([]);
    expect(plan({ stored: [gone], intune: [], members: {} }).changes).toEqual([]);
  });

  it('rediscovers a deactivated device that came back as pending, with a new version', () => {
    const device = intune('d1', 'u1');
    const gone = stored(device, {
      status: 'deactivated',
      deactivationReason: 'left-intune',
      deactivatedAt: earlier,
      credentialHash: undefined,
      version: 7,
    });
    const [change] = plan({ stored: [gone], intune: [device], members: { u1: 'u1@contoso.test' } }).changes;
    expect(change?.kind).toBe('rediscovered');
    expect(change?.nudge).toBe(true);
    expect(change?.device).toMatchObject({ status: 'pending', statusChangedAt: now, version: 8, syncPending: true });
    expect(change?.device.deactivationReason).toBeUndefined();
    expect(change?.device.discoveredAt).toBe(earlier);
  });

  it('leaves a device an admin deactivated deactivated', () => {
    const device = intune('d1', 'u1');
    const blocked = stored(device, { status: 'deactivated', deactivationReason: 'admin', deactivatedAt: earlier });
    expect(plan({ stored: [blocked], intune: [device], members: { u1: 'u1@contoso.test' } }).changes).toEqual([]);
  });

  it('keeps identity fields current without bumping the version', () => {
    const before = intune('d1', 'u1');
    const after = intune('d1', 'u1', { deviceName: 'Renamed', osVersion: '18.0', azureAdDeviceId: 'aad-new' });
    const [change] = plan({
      stored: [stored(before, { syncPending: false })],
      intune: [after],
      members: { u1: 'renamed@contoso.test' },
    }).changes;
    expect(change?.kind).toBe('updated');
    expect(change?.nudge).toBe(false);
    expect(change?.device).toMatchObject({
      deviceName: 'Renamed',
      osVersion: '18.0',
      azureAdDeviceId: 'aad-new',
      userPrincipalName: 'renamed@contoso.test',
      status: 'active',
      version: 4,
      syncPending: false,
    });
    expect(change?.device.credentialHash).toBe('ab'.repeat(32));
  });

  it('keeps the observation of every change, to re-apply after a lost race', () => {
    const device = intune('d1', 'u1');
    const result = plan({ stored: [stored(device)], intune: [], members: {} });
    const observation = result.observations.get('d1');
    expect(observation).toEqual({ kind: 'left', reason: 'left-intune' });
    // Re-applied to a row that another writer already deactivated, it changes nothing.
    const already = stored(device, { status: 'deactivated', deactivationReason: 'admin' });
    expect(observation && applyObservation(tenantId, already, observation, now)).toBeUndefined();
  });
});

describe('toIntuneDevice', () => {
  const base = {
    id: 'ABC-1',
    userId: 'USER-1',
    userPrincipalName: 'a@contoso.test',
    deviceName: 'Phone',
    osVersion: '14',
    azureADDeviceId: '00000000-0000-0000-0000-000000000000',
  };

  it('maps iOS and Android and lower-cases ids', () => {
    expect(toIntuneDevice({ ...base, operatingSystem: 'Android' })).toEqual({
      intuneDeviceId: 'abc-1',
      azureAdDeviceId: undefined,
      deviceName: 'Phone',
      platform: 'android',
      osVersion: '14',
      userId: 'user-1',
      userPrincipalName: 'a@contoso.test',
    });
    expect(toIntuneDevice({ ...base, operatingSystem: 'iOS' })?.platform).toBe('ios');
  });

  it('ignores Windows and macOS devices and devices without a user', () => {
    expect(toIntuneDevice({ ...base, operatingSystem: 'Windows' })).toBeUndefined();
    expect(toIntuneDevice({ ...base, operatingSystem: 'macOS' })).toBeUndefined();
    expect(toIntuneDevice({ ...base, operatingSystem: 'iOS', userId: null })).toBeUndefined();
    expect(toIntuneDevice({ ...base, operatingSystem: 'iOS', userId: '00000000-0000-0000-0000-000000000000' })).toBeUndefined();
  });
});

describe('planSync on rows as stored', () => {
  // The plan may tell an unchanged device from its row as stored, without typing it; whatever the row and the
  // observation, it must plan exactly what it plans from the typed rows.
  const statusArb = fc.constantFrom(...deviceStatuses);
  const reasonArb = fc.constantFrom(undefined, 'admin', 'left-groups', 'left-intune');
  const groupsArb = fc.constantFrom(undefined, [], ['MTD All'], ['MTD All', 'MTD Field']);
  const identityArb = fc.record({
    deviceName: fc.constantFrom('Phone', 'Phone 2', ''),
    osVersion: fc.constantFrom('17.5', '18.0', ''),
    platform: fc.constantFrom('ios' as const, 'android' as const),
    azureAdDeviceId: fc.constantFrom(undefined, 'aad-1', 'aad-2'),
    userPrincipalName: fc.constantFrom('u1@contoso.test', 'U1@contoso.test', ''),
  });

  it('plans the same from the stored rows as from the typed devices', () => {
    fc.assert(
      fc.property(
        fc.record({
          status: statusArb,
          reason: reasonArb,
          storedIdentity: identityArb,
          storedGroups: groupsArb,
          dropped: fc.constantFrom(undefined, 'deviceName', 'osVersion', 'userPrincipalName', 'azureAdDeviceId', 'enrollmentGroups'),
          observedIdentity: identityArb,
          memberUpn: fc.constantFrom(undefined, '', 'u1@contoso.test', 'U1@contoso.test'),
          memberGroups: groupsArb,
          inIntune: fc.boolean(),
          membershipComplete: fc.boolean(),
        }),
        (c) => {
          const device = deviceSchema.parse({
            tenantId,
            deviceId: 'd1',
            intuneDeviceId: 'd1',
            userId: 'u1',
            ...c.storedIdentity,
            status: c.status,
            statusChangedAt: earlier,
            discoveredAt: earlier,
            ...(c.status === 'deactivated' && c.reason !== undefined ? { deactivationReason: c.reason, deactivatedAt: earlier } : {}),
            ...(c.storedGroups ? { enrollmentGroups: c.storedGroups } : {}),
            version: 3,
          });
          const row: Record<string, unknown> = { ...deviceToEntity(device), etag: 'W/"1"' };
          if (c.dropped) delete row[c.dropped];
          const rows = new StoredDeviceRows();
          rows.add('d1', row);
          const typed = new Map([['d1', deviceFromEntity(row)]]);
          const input = {
            tenantId,
            now,
            intune: new Map(c.inIntune ? [['d1', intune('d1', 'u1', c.observedIdentity)]] : []),
            members: new Map(c.memberUpn === undefined ? [] : [['u1', c.memberUpn]]),
            ...(c.memberGroups ? { memberGroups: new Map([['u1', c.memberGroups]]) } : {}),
            membershipComplete: c.membershipComplete,
          };
          expect(planSync({ ...input, stored: rows })).toEqual(planSync({ ...input, stored: typed }));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('types no row of a device that stays as it is', () => {
    const device = stored(intune('d1', 'u1'), { enrollmentGroups: ['MTD All'] });
    const rows = new StoredDeviceRows();
    rows.add('d1', { ...deviceToEntity(device), etag: 'W/"1"', version: 'not a number' });
    const result = planSync({
      tenantId,
      now,
      stored: rows,
      intune: new Map([['d1', intune('d1', 'u1')]]),
      members: new Map([['u1', 'u1@contoso.test']]),
      memberGroups: new Map([['u1', ['MTD All']]]),
      membershipComplete: true,
    });
    expect(result.changes).toEqual([]);
    expect(result.counts.unchanged).toBe(1);
    // The same row is typed (and refused) as soon as the device changes.
    expect(() =>
      planSync({
        tenantId,
        now,
        stored: rows,
        intune: new Map([['d1', intune('d1', 'u1', { osVersion: '18.0' })]]),
        members: new Map([['u1', 'u1@contoso.test']]),
        memberGroups: new Map([['u1', ['MTD All']]]),
        membershipComplete: true,
      }),
    ).toThrow();
  });
});
