/**
 * Activation reminders against the simulator (Graph for the user's address, SendGrid recording the mail) and Azurite:
 * found through the activation-wait rows kept with the device writes, due every `activationReminderDays` while the
 * device stays pending, at most 3, never twice for one due reminder, none once the device activates or when off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyJobPeriods } from '../../../shared/jobs/request.js';
import { readDue } from '../../../shared/jobs/dueIndex.js';
import { sendActivationReminders, type ActivationReminderDeps } from '../../../shared/mail/activationReminders.js';
import { mutateDevice } from '../../../shared/devices/deviceRepository.js';
import { deviceFromEntity, tenantDevicesFilter, type Device } from '../../../shared/devices/device.js';
import { syncTenant } from '../../../shared/enrollment/sync.js';
import { connectorSettingsSchema, defaultConnectorSettings, type ConnectorSettings } from '../../../shared/domain/index.js';
import { createSendGridSender } from '../../../shared/sendgrid/sendgrid.js';
import { anyEntity, listAll } from '../../../shared/storage/index.js';
import { updateTenantConfig } from '../../../shared/tenants/tenantConfig.js';
import { id, quietLog, simConfig, startHarness, type Harness } from '../enrollment/harness.js';

const day = 86_400_000;

const user = (name: string, mail: string | null) => ({ id: id(name), userPrincipalName: `${name}@contoso.test`, displayName: name, mail });
const device = (name: string, owner: string, operatingSystem: 'iOS' | 'Android' = 'iOS') => ({
  id: id(`dev-${name}`),
  userId: id(owner),
  deviceName: `${owner}'s phone ${name}`,
  operatingSystem,
  osVersion: operatingSystem === 'Android' ? '14' : '17.5',
  azureADDeviceId: id(`aad-${name}`),
  entraObjectId: id(`obj-${name}`),
});

/** alice has a mailbox of her own; bob (two phones) has none, so his UPN is used; carol has one phone. */
const tenant = {
  displayName: 'Contoso',
  users: [user('alice', 'alice.w@mail.contoso.test'), user('bob', null), user('carol', 'carol@mail.contoso.test')],
  groups: [{ id: id('g-users'), displayName: 'MTD Users', members: [id('alice'), id('bob'), id('carol')] }],
  managedDevices: [device('a1', 'alice'), device('b1', 'bob', 'Android'), device('b2', 'bob'), device('c1', 'carol')],
};

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(): Promise<{ harness: Harness; deps: ActivationReminderDeps; run: () => ReturnType<typeof sendActivationReminders> }> {
  const harness = await startHarness({ tenant, enrollmentGroups: ['MTD Users'] });
  h = harness;
  const mail = createSendGridSender(simConfig(harness.sim.url), { log: quietLog, retry: { baseDelayMs: 1, maxDelayMs: 5 }, sleep: () => Promise.resolve() });
  const deps: ActivationReminderDeps = { tables: harness.tables, clock: harness.clock, log: quietLog, graph: harness.graph, mail };
  const outcome = await syncTenant(harness.deps, harness.tenantId);
  expect(outcome.status).toBe('completed');
  return { harness, deps, run: () => sendActivationReminders(deps, { tenantId: harness.tenantId, displayName: 'Contoso' }) };
}

async function setSettings(harness: Harness, change: Partial<ConnectorSettings>): Promise<void> {
  let before = defaultConnectorSettings;
  let after = defaultConnectorSettings;
  await updateTenantConfig(harness.tables, harness.tenantId, (current) => {
    before = current.settings;
    after = connectorSettingsSchema.parse({ ...current.settings, ...change });
    return { settings: after };
  });
  await applyJobPeriods({ tables: harness.tables, clock: harness.clock, queues: harness.deps.queues }, harness.tenantId, before, after);
}

async function devices(harness: Harness): Promise<Device[]> {
  const rows: Device[] = [];
  for await (const entity of listAll(harness.tables.table('devices'), { schema: anyEntity, filter: tenantDevicesFilter(harness.tenantId) })) rows.push(deviceFromEntity(entity));
  return rows;
}

function sentTo(harness: Harness): string[] {
  return harness.sim.state.sentMail().flatMap((mail) => mail.to).sort();
}

describe('activation reminders', () => {
  it('mail each pending device every N days, at most 3 times, with the install link, to mail or else the UPN', async () => {
    const { harness, run } = await start();
    const pending = await devices(harness);
    expect(pending.map((d) => d.status)).toEqual(['pending', 'pending', 'pending', 'pending']);

    // Off by default: nothing, and the job says so (it parks).
    harness.clock.advance(5 * day);
    expect(await run()).toMatchObject({ enabled: false, sent: 0 });

    // Turned on: the job is due at once, and the devices already pending 5 days get their first reminder.
    await setSettings(harness, { activationReminderDays: 3, agentInstallUrl: 'https://apps.contoso.test/mtd' });
    expect((await readDue(harness.tables, harness.tenantId, 'activation-reminders'))?.dueMs).toBe(harness.clock.now().getTime());
    expect(await run()).toMatchObject({ enabled: true, sent: 4, failed: 0 });
    expect(sentTo(harness)).toEqual(['alice.w@mail.contoso.test', 'bob@contoso.test', 'bob@contoso.test', 'carol@mail.contoso.test']);
    const first = harness.sim.state.sentMail().find((mail) => mail.to.includes('alice.w@mail.contoso.test'));
    expect(first?.subject).toBe("Action needed: activate mobile security on alice's phone a1");
    expect(first?.text).toContain('Install the app: https://apps.contoso.test/mtd');
    expect(first?.text).toContain('waiting 5 days');
    expect(first?.html).toContain('<a href="https://apps.contoso.test/mtd">');

    // The same run again (a redelivered message), and a day later: nothing new.
    expect((await run()).sent).toBe(0);
    harness.clock.advance(day);
    expect((await run()).sent).toBe(0);

    // alice activates; 3 days after the first reminders the others get their second.
    const alice = pending.find((d) => d.userId === id('alice'));
    await mutateDevice(harness.tables, harness.tenantId, alice?.deviceId ?? '', (current) => ({ ...current, status: 'active', statusChangedAt: harness.clock.now().toISOString() }));
    harness.clock.advance(2 * day);
    expect(await run()).toMatchObject({ sent: 3 });
    harness.clock.advance(3 * day);
    expect(await run()).toMatchObject({ sent: 3 });
    expect(harness.sim.state.sentMail().filter((mail) => (mail.text ?? '').includes('This is the last reminder.'))).toHaveLength(3);
    // At most 3 per device: no fourth, and the rows with 3 are not even read.
    harness.clock.advance(10 * day);
    expect(await run()).toMatchObject({ sent: 0, examined: 0 });
    expect(harness.sim.state.sentMail()).toHaveLength(4 + 3 + 3);
  }, 180_000);

  it('never mail twice for one due reminder when runs overlap, and stop when turned off', async () => {
    const { harness, run } = await start();
    await setSettings(harness, { activationReminderDays: 2 });
    harness.clock.advance(2 * day + 60_000);
    const results = await Promise.all([run(), run(), run()]);
    expect(results.reduce((sum, result) => sum + result.sent, 0)).toBe(4);
    expect(harness.sim.state.sentMail()).toHaveLength(4);
    // Without an install link the mail names the store.
    expect(harness.sim.state.sentMail()[0]?.text).toMatch(/Install the app from (the App Store|Google Play)/);

    await setSettings(harness, { activationReminderDays: 0 });
    harness.clock.advance(5 * day);
    expect(await run()).toMatchObject({ enabled: false, sent: 0 });
    expect(harness.sim.state.sentMail()).toHaveLength(4);
  }, 120_000);

  it('start over for a device that becomes pending again, and skip one deactivated', async () => {
    const { harness, run } = await start();
    await setSettings(harness, { activationReminderDays: 1 });
    const [one, two] = await devices(harness);
    await mutateDevice(harness.tables, harness.tenantId, two?.deviceId ?? '', (current) => ({ ...current, status: 'deactivated', statusChangedAt: harness.clock.now().toISOString() }));
    harness.clock.advance(day + 60_000);
    expect((await run()).sent).toBe(3);
    // Pending again later (say it left and rejoined the groups): a new wait, reminded from its start.
    await mutateDevice(harness.tables, harness.tenantId, one?.deviceId ?? '', (current) => ({ ...current, status: 'deactivated', statusChangedAt: harness.clock.now().toISOString() }));
    await mutateDevice(harness.tables, harness.tenantId, one?.deviceId ?? '', (current) => ({ ...current, status: 'pending', statusChangedAt: harness.clock.now().toISOString() }));
    harness.clock.advance(12 * 3_600_000);
    expect((await run()).sent).toBe(0);
    harness.clock.advance(12 * 3_600_000 + 60_000);
    const third = await run();
    // The two others (second reminder) and the device that started over (its first).
    expect(third.sent).toBe(3);
  }, 120_000);
});
