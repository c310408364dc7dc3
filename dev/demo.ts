/**
 * `npm run demo`: walks the product's flow against a running `npm run dev`, one named step at a time.
 * Each capability appends its steps to the list below (helpers in dev/demoKit.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver.js';
import { DemoFailure, api, check, demoSettings, expectStatus, remindersWithMovedClock, runDemo, sim, step, trustLocalCa, type Step } from './demoKit.js';
import { ReferenceAgent, generateDeviceKey } from './agent/referenceAgent.js';

trustLocalCa();

const healthBody = z.object({ status: z.literal('ok'), version: z.string() });
const openApiBody = z.object({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) });

const steps: Step[] = [
  step('the service is up', async () => {
    const reply = expectStatus(await api('GET', '/api/health'), 200, 'GET /api/health');
    const body = healthBody.safeParse(reply.json);
    check(body.success, `GET /api/health answered ${reply.text.slice(0, 200)}`);
    return `version ${body.data.version}`;
  }),
  step('the OpenAPI document lists the routes', async () => {
    const reply = expectStatus(await api('GET', '/api/openapi.json'), 200, 'GET /api/openapi.json');
    const body = openApiBody.safeParse(reply.json);
    check(body.success, 'the OpenAPI document is not an OpenAPI 3 document');
    check('/api/health' in body.data.paths, 'the OpenAPI document does not list /api/health');
    return `OpenAPI ${body.data.openapi}, ${Object.keys(body.data.paths).length} paths`;
  }),
];

// ---- onboarding: provision, admin consent, console sign-in (full and restricted), settings ----------------------
// Contoso of the simulator's default scenario: "Console Admins" (full access) and "Console Readers" (restricted).

const demoTenant = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  displayName: 'Contoso',
  fullAccessGroupId: '5246c2f8-d5f2-45e8-9c62-63dd8231e980',
  restrictedAccessGroupId: 'feda78c3-5e3b-4f78-9232-3d1fa44c5789',
  fullAdminUpn: 'adele.vance@contoso.onmicrosoft.com',
  restrictedAdminUpn: 'alex.wilber@contoso.onmicrosoft.com',
};
const provisioned = z.object({ tenantId: z.string(), status: z.literal('provisioned'), consentUrl: z.string() });
const tenantRecord = z.object({ status: z.string(), consentUrl: z.string().optional(), health: z.object({ consent: z.object({ granted: z.boolean(), at: z.string().nullable() }) }) });
const mintedToken = z.object({ token: z.string() });
const me = z.object({ tenantId: z.string(), userId: z.string(), access: z.enum(['full', 'restricted']) });
const settingsBody = z.object({ heartbeatFrequencyMinutes: z.number(), disconnectedAfterDays: z.number() });
const auditBody = z.object({ items: z.array(z.object({ action: z.string(), actor: z.object({ name: z.string() }), outcome: z.string() })) });
const onboardingTokens = { full: '', restricted: '' };

async function mintConsoleToken(upn: string): Promise<string> {
  const minted = mintedToken.safeParse((await sim('POST', '/_sim/tokens/user', { tenantId: demoTenant.tenantId, upn })).json);
  check(minted.success, `the simulator did not mint a token for ${upn}`);
  return minted.data.token;
}

/** GET without following redirects. */
async function visit(url: string): Promise<{ status: number; location: string; text: string }> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return { status: response.status, location: response.headers.get('location') ?? '', text: await response.text() };
}

steps.push(
  step(`provider support provisions ${demoTenant.displayName}`, async () => {
    const { fullAdminUpn: _f, restrictedAdminUpn: _r, ...body } = demoTenant;
    const reply = await api('POST', '/api/v1/provider/tenants', { functionKey: true, body: { ...body, primaryContactEmail: 'it@contoso.test' } });
    if (reply.status === 409) return 'already provisioned';
    expectStatus(reply, 201, 'POST /api/v1/provider/tenants');
    const created = provisioned.safeParse(reply.json);
    check(created.success, `provisioning answered ${reply.text.slice(0, 200)}`);
    return `consent link: ${created.data.consentUrl}`;
  }),
  step(`the ${demoTenant.displayName} administrator grants admin consent`, async () => {
    // The signed consent link provisioning handed out, as provider support reads it back from the tenant's record.
    const provisionedRecord = tenantRecord.safeParse(
      (await api('GET', `/api/v1/provider/tenants/${demoTenant.tenantId}`, { functionKey: true })).json,
    );
    check(provisionedRecord.success && provisionedRecord.data.consentUrl !== undefined, 'the tenant record has no consent link');
    // The link lasts until consent completes: a tenant connected by an earlier run is left as it is.
    if (provisionedRecord.data.status === 'active') return `already connected since ${provisionedRecord.data.health.consent.at ?? '?'}`;
    const link = new URL(provisionedRecord.data.consentUrl ?? '');
    const start = await visit(`${demoSettings.baseUrl}${link.pathname}${link.search}`);
    check(start.status === 302, `consent/start answered ${start.status}`);
    const atEntra = await visit(start.location);
    check(atEntra.status === 302, `Entra ID adminconsent answered ${atEntra.status}: ${atEntra.text.slice(0, 200)}`);
    const callback = await visit(atEntra.location);
    check(callback.status === 200, `consent/callback answered ${callback.status}: ${callback.text.replace(/<[^>]+>/g, ' ').slice(0, 300)}`);
    const record = tenantRecord.safeParse(
      (await api('GET', `/api/v1/provider/tenants/${demoTenant.tenantId}`, { functionKey: true })).json,
    );
    check(record.success && record.data.status === 'active', 'the tenant is not active after consent');
    return `tenant active since ${record.data.health.consent.at ?? '?'}`;
  }),
  step('a full-access admin signs in to the console', async () => {
    onboardingTokens.full = await mintConsoleToken(demoTenant.fullAdminUpn);
    const reply = expectStatus(await api('GET', '/api/v1/console/me', { token: onboardingTokens.full }), 200, 'GET /api/v1/console/me');
    const body = me.safeParse(reply.json);
    check(body.success && body.data.access === 'full', `expected full access, got ${reply.text.slice(0, 200)}`);
    return `${demoTenant.fullAdminUpn}: ${body.data.access}`;
  }),
  step('a restricted admin signs in and may read but not change settings', async () => {
    onboardingTokens.restricted = await mintConsoleToken(demoTenant.restrictedAdminUpn);
    const reply = expectStatus(await api('GET', '/api/v1/console/me', { token: onboardingTokens.restricted }), 200, 'GET /api/v1/console/me');
    const body = me.safeParse(reply.json);
    check(body.success && body.data.access === 'restricted', `expected restricted access, got ${reply.text.slice(0, 200)}`);
    expectStatus(await api('GET', '/api/v1/console/connector', { token: onboardingTokens.restricted }), 200, 'GET connector as restricted');
    expectStatus(
      await api('PUT', '/api/v1/console/connector', { token: onboardingTokens.restricted, body: { heartbeatFrequencyMinutes: 30 } }),
      403,
      'PUT connector as restricted',
    );
    return `${demoTenant.restrictedAdminUpn}: restricted, a change is refused with 403`;
  }),
  step('the full-access admin changes connector settings; the change is audited', async () => {
    const reply = expectStatus(
      await api('PUT', '/api/v1/console/connector', { token: onboardingTokens.full, body: { heartbeatFrequencyMinutes: 30, disconnectedAfterDays: 10 } }),
      200,
      'PUT /api/v1/console/connector',
    );
    const settings = settingsBody.safeParse(reply.json);
    check(settings.success && settings.data.heartbeatFrequencyMinutes === 30, `settings answered ${reply.text.slice(0, 200)}`);
    const audit = auditBody.safeParse((await api('GET', '/api/v1/console/audit-log?limit=5', { token: onboardingTokens.full })).json);
    check(audit.success, 'the audit log did not answer');
    const entry = audit.data.items.find((item) => item.action === 'connector.update');
    check(entry !== undefined && entry.outcome === 'applied', 'the settings change is not in the audit log');
    return `heartbeat every ${settings.data.heartbeatFrequencyMinutes} min, disconnected after ${settings.data.disconnectedAfterDays} days; audited as ${entry.actor.name}`;
  }),
);

// ---- enrollment discovery: an enrollment group, sync now, the device list --------------------------------------
// Runs after the tenant is provisioned and consented, and before the agent activates on a discovered device.

const simTenantList = z.object({ value: z.array(z.object({ id: z.string(), displayName: z.string() })) });
const providerTenant = z.object({ tenantId: z.string(), status: z.string(), fullAccessGroupId: z.string() });
const graphUsers = z.object({ value: z.array(z.object({ id: z.string(), userPrincipalName: z.string().nullable().optional() })) });
const syncAnswer = z.object({
  status: z.string(),
  error: z.string().optional(),
});
const deviceList = z.object({ items: z.array(z.object({ deviceId: z.string(), status: z.string(), platform: z.string() })), nextCursor: z.string().nullable() });

const consoleAdmin = { tenantId: '', token: '', upn: '' };
const demoEnrollmentGroup = 'MTD-Pilot';

/** A console token for a member of the full-access group of the first active tenant. */
async function signInConsoleAdmin(): Promise<string> {
  const tenants = simTenantList.safeParse((await sim('GET', '/_sim/tenants')).json);
  check(tenants.success, 'the simulator did not list its tenants');
  for (const tenant of tenants.data.value) {
    const record = providerTenant.safeParse((await api('GET', `/api/v1/provider/tenants/${tenant.id}`, { functionKey: true })).json);
    if (!record.success || record.data.status !== 'active') continue;
    const appToken = tokenBody.safeParse((await sim('POST', '/_sim/tokens/app', { tenantId: tenant.id })).json);
    check(appToken.success, 'the simulator did not mint an app token');
    const members = await fetch(
      `${demoSettings.simUrl}/v1.0/groups/${record.data.fullAccessGroupId}/transitiveMembers/microsoft.graph.user?$select=id,userPrincipalName`,
      { headers: { authorization: `Bearer ${appToken.data.token}` } },
    );
    const users = graphUsers.safeParse(await members.json());
    const admin = users.success ? users.data.value[0] : undefined;
    if (!admin) continue;
    const minted = tokenBody.safeParse((await sim('POST', '/_sim/tokens/user', { tenantId: tenant.id, userId: admin.id })).json);
    check(minted.success, 'the simulator did not mint a console token');
    Object.assign(consoleAdmin, { tenantId: tenant.id, token: minted.data.token, upn: admin.userPrincipalName ?? admin.id });
    return `${consoleAdmin.upn} of ${tenant.displayName}`;
  }
  throw new DemoFailure('no active tenant with a full-access group member: provision a tenant and complete consent first');
}

steps.push(
  step('a console admin of an active tenant signs in', signInConsoleAdmin),
  step(`the admin adds the enrollment group ${demoEnrollmentGroup}`, async () => {
    const reply = await api('POST', '/api/v1/console/enrollment-groups', { token: consoleAdmin.token, body: { displayName: demoEnrollmentGroup } });
    if (reply.status === 409) return 'already configured';
    check(reply.status === 201 || reply.status === 200, `adding the group answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    return reply.text.includes('"resolved"') ? 'resolved' : reply.text.slice(0, 120);
  }),
  step('sync now discovers the devices of the group’s users', async () => {
    const reply = expectStatus(await api('POST', '/api/v1/console/enrollment/sync', { token: consoleAdmin.token }), 202, 'POST /api/v1/console/enrollment/sync');
    const body = syncAnswer.safeParse(reply.json);
    check(body.success, `sync now answered ${reply.text.slice(0, 200)}`);
    check(body.data.status === 'queued', `the sync ${body.data.status}: ${body.data.error ?? ''}`);
    // A worker of the tenant-jobs queue runs it: wait until the device list shows its result.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = deviceList.safeParse((await api('GET', '/api/v1/console/devices?limit=1', { token: consoleAdmin.token })).json);
      if (list.success && list.data.items.length > 0) return 'queued, and run by a tenant-jobs worker';
      check(Date.now() < deadline, 'no devices were discovered within a minute of sync now');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }),
  step('the console lists the discovered devices', async () => {
    const reply = expectStatus(await api('GET', '/api/v1/console/devices?limit=100', { token: consoleAdmin.token }), 200, 'GET /api/v1/console/devices');
    const body = deviceList.safeParse(reply.json);
    check(body.success, `the device list answered ${reply.text.slice(0, 200)}`);
    check(body.data.items.length > 0, 'no devices were discovered');
    const byStatus = new Map<string, number>();
    for (const device of body.data.items) byStatus.set(device.status, (byStatus.get(device.status) ?? 0) + 1);
    const first = body.data.items[0];
    if (first) expectStatus(await api('GET', `/api/v1/console/devices/${first.deviceId}`, { token: consoleAdmin.token }), 200, 'GET a device');
    return [...byStatus].map(([status, count]) => `${count} ${status}`).join(', ');
  }),
);

// ---- the mobile agent: activation, threat report, heartbeat ------------------------------------------------------

const simTenants = z.object({ value: z.array(z.object({ id: z.string(), consented: z.boolean() })) });
const simDevices = z.object({ value: z.array(z.object({ id: z.string(), userId: z.string().nullable().optional(), operatingSystem: z.string() })) });
const tokenBody = z.object({ token: z.string() });
const activated = z.object({ deviceId: z.string(), deviceToken: z.string(), heartbeatIntervalMinutes: z.number() });
const reportAnswer = z.object({ deviceId: z.string(), riskLevel: z.string(), applied: z.boolean() });

const agent = { deviceId: '', deviceToken: '', reportId: '' };

/** Activates the agent on the first mobile device discovery found, as that device's user. */
async function activateSomeDevice(): Promise<string> {
  const tenants = simTenants.safeParse((await sim('GET', '/_sim/tenants')).json);
  check(tenants.success, 'the simulator did not list its tenants');
  // The console admin's tenant first (later steps look for the alert and the push there).
  const ordered = [...tenants.data.value].sort((a, b) => Number(b.id === consoleAdmin.tenantId) - Number(a.id === consoleAdmin.tenantId));
  for (const tenant of ordered) {
    const devices = simDevices.safeParse((await sim('GET', `/_sim/intune/devices/${tenant.id}`)).json);
    if (!devices.success) continue;
    const mobile = devices.data.value.filter((d) => d.userId && /^(ios|ipados|android)$/i.test(d.operatingSystem)).slice(0, 12);
    for (const device of mobile) {
      const minted = tokenBody.safeParse((await sim('POST', '/_sim/tokens/user', { tenantId: tenant.id, userId: device.userId })).json);
      if (!minted.success) continue;
      const reply = await api('POST', '/api/v1/device/activate', {
        token: minted.data.token,
        body: { intuneDeviceId: device.id, platform: /android/i.test(device.operatingSystem) ? 'android' : 'ios', osVersion: '17.5', appVersion: '1.0.0' },
      });
      if (reply.status !== 200) continue;
      const body = activated.safeParse(reply.json);
      check(body.success, `activation answered ${reply.text.slice(0, 200)}`);
      agent.deviceId = body.data.deviceId;
      agent.deviceToken = body.data.deviceToken;
      return `device ${body.data.deviceId} (tenant ${tenant.id}), heartbeat every ${body.data.heartbeatIntervalMinutes} min`;
    }
  }
  throw new DemoFailure('no discovered device could be activated: run discovery first (sync now, or wait for the enrollment timer)');
}

steps.push(
  step('the agent activates on a discovered device as its user', activateSomeDevice),
  step('the agent reports a threat: the device is graded high', async () => {
    agent.reportId = `demo-${Date.now()}`;
    const reply = expectStatus(
      await api('POST', '/api/v1/device/threat-report', {
        token: agent.deviceToken,
        body: {
          reportId: agent.reportId,
          sequence: 1,
          observedAt: new Date().toISOString(),
          threats: [{ id: 'demo-trojan', classification: 'TROJAN', name: 'Demo Trojan', packageName: 'com.example.trojan', detectedAt: new Date().toISOString() }],
        },
      }),
      202,
      'POST /api/v1/device/threat-report',
    );
    const body = reportAnswer.safeParse(reply.json);
    check(body.success && body.data.applied && body.data.riskLevel === 'high', `the report answered ${reply.text.slice(0, 200)}`);
    return `risk ${body.data.riskLevel}`;
  }),
  step('a replayed report changes nothing', async () => {
    const reply = expectStatus(
      await api('POST', '/api/v1/device/threat-report', {
        token: agent.deviceToken,
        body: { reportId: agent.reportId, sequence: 2, observedAt: new Date().toISOString(), threats: [] },
      }),
      200,
      'the replayed report',
    );
    const body = reportAnswer.safeParse(reply.json);
    check(body.success && !body.data.applied, `the replay answered ${reply.text.slice(0, 200)}`);
    return 'applied: false';
  }),
  step('the agent sends a heartbeat', async () => {
    const reply = expectStatus(
      await api('POST', '/api/v1/device/heartbeat', { token: agent.deviceToken, body: { appVersion: '1.0.1' } }),
      200,
      'POST /api/v1/device/heartbeat',
    );
    return reply.text;
  }),
);

// ---- mail: the admin's own alert preferences, the mail timer, the mail in the simulator's SendGrid ----------------
// The preferences step runs before the agent's threat report; the timer step after it.

const simMail = z.object({ value: z.array(z.object({ to: z.array(z.string()), subject: z.string(), text: z.string().optional() })) });
const alertInbox = { email: '' };

const setOwnAlertPreferences = step('the admin asks for mail about medium and high threats', async () => {
  check(consoleAdmin.token !== '', 'no console admin signed in');
  alertInbox.email = consoleAdmin.upn.includes('@') ? consoleAdmin.upn : `admin@${consoleAdmin.tenantId}.test`;
  const body = { email: alertInbox.email, levels: { low: false, medium: true, high: true } };
  expectStatus(await api('PUT', '/api/v1/console/me/notifications', { token: consoleAdmin.token, body }), 200, 'PUT /api/v1/console/me/notifications');
  return `${alertInbox.email}: medium, high`;
});
const reportIndex = steps.findIndex((candidate) => candidate.name.startsWith('the agent reports a threat'));
steps.splice(reportIndex < 0 ? steps.length : reportIndex, 0, setOwnAlertPreferences);

steps.push(
  step('the mail timer mails the threat alert to the admin', async () => {
    // The alert is queued from the report's published threat.detected event, and the timer only queues the tenant's
    // mail job, which a tenant-jobs worker runs: fire it until the mail is there (a few seconds at most).
    type SentMail = z.output<typeof simMail>['value'][number];
    let alert: SentMail | undefined;
    for (const deadline = Date.now() + 30_000; alert === undefined && Date.now() < deadline; ) {
      expectStatus(await api('POST', '/_dev/timers/mail', { functionKey: true }), 200, 'POST /_dev/timers/mail');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const sent = simMail.safeParse((await sim('GET', '/_sim/mail')).json);
      check(sent.success, 'the simulator did not list its mail');
      alert = sent.data.value.find((mail) => mail.to.includes(alertInbox.email) && (mail.text ?? '').includes(agent.deviceId));
    }
    check(
      alert !== undefined,
      `no alert mail to ${alertInbox.email} about device ${agent.deviceId} (the device may be in another tenant than the admin's, or mailed within the last 30 minutes)`,
    );
    return `"${alert.subject}" to ${alertInbox.email}`;
  }),
);

// ---- compliance: the device's state reaches Intune and its Entra device attribute --------------------------------
// Entra enforcement is switched on right after activation; the pushes are checked after the threat report, and the
// all-clear at the end (read back from the simulator).

const demoAttribute = 'extensionAttribute10';
const simManaged = z.object({ value: z.array(z.object({ id: z.string(), azureADDeviceId: z.string().nullable().optional(), partnerReportedThreatState: z.string().optional() })) });
const simEntra = z.object({ value: z.array(z.object({ deviceId: z.string(), extensionAttributes: z.record(z.string(), z.string().nullable()) })) });

/** The tenant of the activated device (the simulator knows which tenant holds it). */
async function agentTenant(): Promise<string> {
  const tenants = simTenants.safeParse((await sim('GET', '/_sim/tenants')).json);
  check(tenants.success, 'the simulator did not list its tenants');
  for (const tenant of tenants.data.value) {
    const devices = simManaged.safeParse((await sim('GET', `/_sim/intune/devices/${tenant.id}`)).json);
    if (devices.success && devices.data.value.some((device) => device.id.toLowerCase() === agent.deviceId.toLowerCase())) return tenant.id;
  }
  throw new DemoFailure(`no simulated tenant holds device ${agent.deviceId}`);
}

/** Polls the simulator until Intune and the Entra attribute hold the expected values for the agent's device. */
async function waitForPush(intune: string, entra: string): Promise<string> {
  const tenantId = await agentTenant();
  const deadline = Date.now() + 60_000;
  let seen = '';
  for (;;) {
    const managed = simManaged.safeParse((await sim('GET', `/_sim/intune/devices/${tenantId}`)).json);
    const device = managed.success ? managed.data.value.find((d) => d.id.toLowerCase() === agent.deviceId.toLowerCase()) : undefined;
    const entraDevices = simEntra.safeParse((await sim('GET', `/_sim/entra/devices/${tenantId}`)).json);
    const entraDevice = entraDevices.success && device?.azureADDeviceId
      ? entraDevices.data.value.find((d) => d.deviceId.toLowerCase() === device.azureADDeviceId?.toLowerCase())
      : undefined;
    const intuneNow = device?.partnerReportedThreatState ?? '(none)';
    const entraNow = entraDevice?.extensionAttributes[demoAttribute] ?? '(none)';
    seen = `Intune ${intuneNow}, Entra ${demoAttribute} ${entraNow}`;
    if (intuneNow === intune && entraNow === entra) return seen;
    if (Date.now() > deadline) throw new DemoFailure(`expected Intune ${intune} and Entra ${entra}; the simulator holds ${seen}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const enableEntra = step(`the admin turns on Entra enforcement through ${demoAttribute}`, async () => {
  check(consoleAdmin.token !== '', 'no console admin signed in');
  const tenantId = await agentTenant();
  check(tenantId === consoleAdmin.tenantId, `the activated device is in tenant ${tenantId}, the console admin in ${consoleAdmin.tenantId}`);
  expectStatus(
    await api('PUT', '/api/v1/console/connector', { token: consoleAdmin.token, body: { enforcement: { entraDeviceAttribute: demoAttribute } } }),
    200,
    'PUT /api/v1/console/connector',
  );
  return `Conditional Access can filter on device.${demoAttribute}`;
});
const highReached = step('Intune holds highSeverity and Entra ID holds high', () => waitForPush('highSeverity', 'high'));
const activationIndex = steps.findIndex((candidate) => candidate.name.startsWith('the agent activates'));
if (activationIndex >= 0) steps.splice(activationIndex + 1, 0, enableEntra);
const threatIndex = steps.findIndex((candidate) => candidate.name.startsWith('the agent reports a threat'));
if (threatIndex >= 0) steps.splice(threatIndex + 1, 0, highReached);

steps.push(
  step('the agent reports all clear: Intune and Entra ID hold secured', async () => {
    const reply = expectStatus(
      await api('POST', '/api/v1/device/threat-report', {
        token: agent.deviceToken,
        body: { reportId: `demo-clear-${Date.now()}`, sequence: 3, observedAt: new Date().toISOString(), threats: [] },
      }),
      202,
      'POST /api/v1/device/threat-report (all clear)',
    );
    const body = reportAnswer.safeParse(reply.json);
    check(body.success && body.data.riskLevel === 'none', `the report answered ${reply.text.slice(0, 200)}`);
    return waitForPush('secured', 'secured');
  }),
);

// ---- webhooks and health: a signed event at a local receiver, a health change ----------------------------------------
// The endpoint is added right after the console admin signs in; the health steps run near the end and leave consent
// granted again; the last step finds the signed threat.detected event of the agent's report at the webhook.

const webhookCreated = z.object({ id: z.string(), secret: z.string() });
const healthReport = z.object({ status: z.string(), checks: z.array(z.object({ name: z.string(), status: z.string(), detail: z.string() })) });
const demoHook = { receiver: undefined as WebhookReceiver | undefined, secret: '', endpointId: '' };

/** Waits for a delivery the receiver verifies (Standard Webhooks, with the endpoint's secret) and returns its event. */
async function signedDelivery(what: string, match: (event: { id: string; type: string; data: unknown }) => boolean): Promise<{ id: string; type: string; data: unknown }> {
  const receiver = demoHook.receiver;
  check(receiver !== undefined, 'no webhook receiver is running');
  const verifier = new Webhook(demoHook.secret);
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const delivery of receiver.received) {
      let event: unknown;
      try {
        event = verifier.verify(delivery.body, delivery.headers);
      } catch {
        continue;
      }
      const parsed = z.object({ id: z.string(), type: z.string(), data: z.unknown() }).safeParse(event);
      if (parsed.success && match(parsed.data)) return parsed.data;
    }
    if (Date.now() > deadline) throw new DemoFailure(`the webhook received no signed ${what} within 30 s (${receiver.received.length} deliveries)`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function healthNow(): Promise<z.output<typeof healthReport>> {
  const reply = expectStatus(await api('GET', '/api/v1/console/health', { token: consoleAdmin.token }), 200, 'GET /api/v1/console/health');
  const body = healthReport.safeParse(reply.json);
  check(body.success, `health answered ${reply.text.slice(0, 200)}`);
  return body.data;
}

/** Polls health (reports are kept up to 30 s) until the overall status is `status`. */
async function healthBecomes(status: string): Promise<z.output<typeof healthReport>> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const report = await healthNow();
    if (report.status === status) return report;
    if (Date.now() > deadline) {
      const failing = report.checks.filter((item) => item.status !== 'healthy').map((item) => `${item.name}: ${item.detail}`);
      throw new DemoFailure(`health stayed ${report.status}: ${failing.join(' | ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const addWebhook = step('the admin adds a webhook endpoint; it receives a signed test event', async () => {
  check(consoleAdmin.token !== '', 'no console admin signed in');
  const tls = join(demoSettings.dataDir, 'tls');
  demoHook.receiver = await startWebhookReceiver({ cert: readFileSync(join(tls, 'server.crt')), key: readFileSync(join(tls, 'server.key')) });
  const reply = expectStatus(
    await api('POST', '/api/v1/console/webhooks', {
      token: consoleAdmin.token,
      body: { url: `${demoHook.receiver.url}/mtd-events`, types: ['threat.detected', 'device.risk_changed', 'connector.health_changed'], description: 'demo SIEM' },
    }),
    201,
    'POST /api/v1/console/webhooks',
  );
  const created = webhookCreated.safeParse(reply.json);
  check(created.success, `creating the webhook answered ${reply.text.slice(0, 200)}`);
  Object.assign(demoHook, { secret: created.data.secret, endpointId: created.data.id });
  const test = expectStatus(await api('POST', `/api/v1/console/webhooks/${created.data.id}/test`, { token: consoleAdmin.token }), 202, 'POST .../test');
  const eventId = z.object({ eventId: z.string() }).parse(test.json).eventId;
  const event = await signedDelivery('test event', (candidate) => candidate.id === eventId);
  return `${demoHook.receiver.url}/mtd-events got ${event.type} ${event.id}, signature verified`;
});
const signInIndex = steps.findIndex((candidate) => candidate.name.startsWith('a console admin of an active tenant signs in'));
steps.splice(signInIndex < 0 ? steps.length : signInIndex + 1, 0, addWebhook);

const threatEvent = step('the webhook receives the signed threat.detected event of that report', async () => {
  const event = await signedDelivery('threat.detected event', (candidate) => candidate.type === 'threat.detected' && JSON.stringify(candidate.data).includes('demo-trojan'));
  const deliveries = expectStatus(await api('GET', `/api/v1/console/webhooks/${demoHook.endpointId}/deliveries?limit=5`, { token: consoleAdmin.token }), 200, 'GET .../deliveries');
  const log = z.object({ items: z.array(z.object({ eventId: z.string(), status: z.string() })) }).parse(deliveries.json);
  const logged = log.items.find((item) => item.eventId === event.id);
  return `${event.id}; delivery log: ${logged?.status ?? 'not yet listed'}`;
});

steps.push(
  step('the connector heartbeat reaches Intune; health is all healthy', async () => {
    expectStatus(await api('POST', '/_dev/timers/heartbeatCheck', { functionKey: true }), 200, 'POST /_dev/timers/heartbeatCheck');
    const report = await healthBecomes('healthy');
    return report.checks.map((item) => `${item.name} ${item.status}`).join(', ');
  }),
  step('consent is revoked in Entra ID: health turns unhealthy and the webhook gets connector.health_changed', async () => {
    expectStatus(await sim('DELETE', `/_sim/consent/${consoleAdmin.tenantId}`), 204, 'DELETE /_sim/consent');
    const report = await healthBecomes('unhealthy');
    const consent = report.checks.find((item) => item.name === 'consent');
    const event = await signedDelivery('connector.health_changed event', (candidate) => candidate.type === 'connector.health_changed' && JSON.stringify(candidate.data).includes('"status":"unhealthy"'));
    return `${consent?.detail.slice(0, 90) ?? ''}...; event ${event.id}`;
  }),
  step('consent is granted again: health is back to healthy, with its event', async () => {
    expectStatus(await sim('POST', `/_sim/consent/${consoleAdmin.tenantId}`), 204, 'POST /_sim/consent');
    await healthBecomes('healthy');
    const event = await signedDelivery('connector.health_changed event', (candidate) => candidate.type === 'connector.health_changed' && JSON.stringify(candidate.data).includes('"previous":"unhealthy"'));
    return `event ${event.id}`;
  }),
  // Last: the report's event reaches the webhook through the event feed's relay.
  threatEvent,
);

// ---- day-to-day: a risk override, what Intune is told meanwhile ----------------------------------------------------
// After the all-clear: the help desk marks the (clean) device high for an hour, Intune and Entra ID follow at once,
// and ending the override brings them back to the device's own level.

const overrideAnswer = z.object({ override: z.object({ riskLevel: z.string(), reason: z.string(), expiresAt: z.string(), createdBy: z.string() }) });
const deviceDetail = z.object({
  device: z.object({ riskLevel: z.string(), status: z.string() }),
  override: z.object({ riskLevel: z.string(), createdBy: z.string() }).nullish(),
  activeThreats: z.array(z.object({ classification: z.string() })),
  trust: z.object({ keyBound: z.boolean(), attestation: z.object({ status: z.string(), reason: z.string().optional() }).optional() }).optional(),
});

const overrideSteps = [
  step('the help desk sets a risk override (high, 1 hour): Intune and Entra ID are told at once', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const reply = expectStatus(
      await api('PUT', `/api/v1/console/devices/${agent.deviceId}/override`, {
        token: consoleAdmin.token,
        body: { riskLevel: 'high', reason: 'Reported lost at the airport; blocked until found', expiresAt },
      }),
      200,
      'PUT .../override',
    );
    const body = overrideAnswer.safeParse(reply.json);
    check(body.success && body.data.override.riskLevel === 'high', `the override answered ${reply.text.slice(0, 200)}`);
    const detail = deviceDetail.safeParse((await api('GET', `/api/v1/console/devices/${agent.deviceId}`, { token: consoleAdmin.token })).json);
    check(detail.success && detail.data.device.riskLevel === 'high' && detail.data.override?.riskLevel === 'high', 'the device page does not show the override');
    const pushed = await waitForPush('highSeverity', 'high');
    return `by ${body.data.override.createdBy} until ${body.data.override.expiresAt}; no threat open, yet ${pushed}`;
  }),
  step('the override ends: the device goes back to its threats\' level (none), Intune holds secured', async () => {
    expectStatus(await api('DELETE', `/api/v1/console/devices/${agent.deviceId}/override`, { token: consoleAdmin.token }), 204, 'DELETE .../override');
    return waitForPush('secured', 'secured');
  }),
];
const allClearIndex = steps.findIndex((candidate) => candidate.name.startsWith('the agent reports all clear'));
steps.splice(allClearIndex < 0 ? steps.length : allClearIndex + 1, 0, ...overrideSteps);

// ---- activation reminders: a user whose phone waits for the agent gets a mail --------------------------------------

const reminderSettings = { days: 3, installUrl: 'https://apps.contoso.test/mtd-agent' };
const coverageBody = z.object({ total: z.object({ byStatus: z.object({ pending: z.number() }), pendingByAge: z.object({ under1d: z.number(), days1to7: z.number(), over7d: z.number() }) }) });

steps.push(
  step(`the admin turns on activation reminders (every ${reminderSettings.days} days, with the install link)`, async () => {
    const reply = expectStatus(
      await api('PUT', '/api/v1/console/connector', {
        token: consoleAdmin.token,
        body: { activationReminderDays: reminderSettings.days, agentInstallUrl: reminderSettings.installUrl },
      }),
      200,
      'PUT /api/v1/console/connector',
    );
    check(reply.text.includes(reminderSettings.installUrl), 'the settings do not hold the install link');
    const coverage = coverageBody.safeParse((await api('GET', '/api/v1/console/coverage', { token: consoleAdmin.token })).json);
    check(coverage.success, 'coverage did not answer');
    const { pendingByAge } = coverage.data.total;
    return `${coverage.data.total.byStatus.pending} devices pending (under a day ${pendingByAge.under1d}, 1-7 days ${pendingByAge.days1to7}, over 7 days ${pendingByAge.over7d})`;
  }),
  step(`${reminderSettings.days} days later: the users of pending phones get a reminder (clock moved in a scratch copy)`, async () => {
    const tenants = simTenantList.safeParse((await sim('GET', '/_sim/tenants')).json);
    const tenant = tenants.success ? tenants.data.value.find((candidate) => candidate.id === consoleAdmin.tenantId) : undefined;
    check(tenant !== undefined, 'the console admin\'s tenant is not in the simulator');
    const run = await remindersWithMovedClock({
      tenantId: tenant.id,
      displayName: tenant.displayName,
      enrollmentGroup: demoEnrollmentGroup,
      days: reminderSettings.days,
      installUrl: reminderSettings.installUrl,
    });
    check(run.sent > 0, `no reminder was sent (${run.pending} devices pending in the copy)`);
    const mail = simMail.safeParse((await sim('GET', '/_sim/mail')).json);
    check(mail.success, 'the simulator did not list its mail');
    const reminder = mail.data.value.find((candidate) => candidate.subject.startsWith('Action needed: activate mobile security'));
    check(reminder !== undefined, 'the simulator\'s SendGrid holds no reminder');
    const excerpt = (reminder.text ?? '').split('\n').filter((line) => /^\d\./.test(line)).join(' / ');
    return `${run.sent} mailed; "${reminder.subject}" to ${reminder.to.join(', ')}: ${excerpt}`;
  }),
);

// ---- agent trust: key-bound, attested activations; a copied token; a tampered phone --------------------------------
// With the reference agent (dev/agent/referenceAgent.ts) on two more phones of the admin's tenant.

const trustAgents: { android?: ReferenceAgent; ios?: ReferenceAgent } = {};

/** Sets the tenant's `agentTrust`. */
async function setAgentTrust(attestation: 'off' | 'report' | 'required'): Promise<void> {
  expectStatus(
    await api('PUT', '/api/v1/console/connector', { token: consoleAdmin.token, body: { agentTrust: { keyBinding: 'optional', attestation } } }),
    200,
    'PUT /api/v1/console/connector (agentTrust)',
  );
}

// The first agent above is one built before key binding (no key, no attestation): the pilot starts with attestation
// off, so it is not flagged; the trust steps below turn it to `report`.
const pilotTrust = step('the pilot starts with attestation off (the first agent predates key binding)', async () => {
  await setAgentTrust('off');
  return 'agentTrust: { keyBinding: optional, attestation: off }';
});
const firstActivation = steps.findIndex((candidate) => candidate.name.startsWith('the agent activates on a discovered device'));
steps.splice(firstActivation < 0 ? steps.length : firstActivation, 0, pilotTrust);

/** A discovered, not yet activated phone of the admin's tenant on `platform`, with a token of its user. */
async function freshPhone(platform: 'ios' | 'android', skip: readonly string[]): Promise<{ intuneDeviceId: string; userToken: string }> {
  const devices = simDevices.safeParse((await sim('GET', `/_sim/intune/devices/${consoleAdmin.tenantId}`)).json);
  check(devices.success, 'the simulator did not list the tenant\'s devices');
  const pattern = platform === 'android' ? /android/i : /^(ios|ipados)$/i;
  for (const device of devices.data.value) {
    if (!device.userId || !pattern.test(device.operatingSystem) || skip.includes(device.id.toLowerCase())) continue;
    const detail = deviceDetail.safeParse((await api('GET', `/api/v1/console/devices/${device.id}`, { token: consoleAdmin.token })).json);
    if (!detail.success || detail.data.device.status !== 'pending') continue;
    const minted = tokenBody.safeParse((await sim('POST', '/_sim/tokens/user', { tenantId: consoleAdmin.tenantId, userId: device.userId })).json);
    if (minted.success) return { intuneDeviceId: device.id, userToken: minted.data.token };
  }
  throw new DemoFailure(`no discovered ${platform} phone left to activate in tenant ${consoleAdmin.tenantId}`);
}

const activationBody = z.object({ deviceId: z.string(), tokenType: z.string(), attestation: z.object({ status: z.string(), reason: z.string().optional() }) });

async function attestedActivation(platform: 'ios' | 'android'): Promise<string> {
  const phone = await freshPhone(platform, [agent.deviceId.toLowerCase()]);
  const phoneAgent = new ReferenceAgent({
    baseUrl: demoSettings.baseUrl,
    userToken: () => phone.userToken,
    intuneDeviceId: phone.intuneDeviceId,
    platform,
    attestation: { kind: platform === 'android' ? 'android' : 'apple', simUrl: demoSettings.simUrl },
  });
  const answer = await phoneAgent.activate();
  check(answer.status === 200, `activation answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
  const body = activationBody.safeParse(answer.body);
  check(body.success && body.data.tokenType === 'DPoP', `activation answered ${JSON.stringify(answer.body).slice(0, 200)}`);
  check(body.data.attestation.status === 'verified', `the attestation was ${body.data.attestation.status}: ${body.data.attestation.reason ?? ''}`);
  const report = await phoneAgent.report([]);
  check(report.status === 202, `a report with a DPoP proof answered ${report.status}`);
  trustAgents[platform] = phoneAgent;
  const format = platform === 'android' ? 'Keystore chain (android-key)' : 'App Attest (apple-app-attest)';
  return `${phone.intuneDeviceId}: token type DPoP, ${format} verified; a report signed with the device key answers 202`;
}

steps.push(
  step('the admin turns attestation to report: unverified devices are flagged, not refused', async () => {
    await setAgentTrust('report');
    return 'agentTrust: { keyBinding: optional, attestation: report }';
  }),
  step('an Android phone activates with a hardware key and its Keystore attestation', () => attestedActivation('android')),
  step('an iPhone activates with a Secure Enclave key and App Attest', () => attestedActivation('ios')),
  step('a copied device token is refused without the device key (401 DPoP)', async () => {
    const phoneAgent = trustAgents.android;
    check(phoneAgent?.token !== undefined, 'the Android phone is not activated');
    const body = { reportId: `copied-${Date.now()}`, sequence: 99, observedAt: new Date().toISOString(), threats: [] };
    // As a bearer token, the way a copied secret is usually replayed.
    const asBearer = await phoneAgent.send('v1/device/threat-report', body, { authorization: `Bearer ${phoneAgent.token}`, 'content-type': 'application/json' });
    check(asBearer.status === 401, `the copied token as Bearer answered ${asBearer.status}`);
    // With a proof of the copier's own key.
    const thief = new ReferenceAgent({ ...phoneAgent.options });
    thief.token = phoneAgent.token;
    thief.tokenType = 'DPoP';
    thief.key = await generateDeviceKey();
    const withOtherKey = await thief.send('v1/device/threat-report', body);
    check(withOtherKey.status === 401, `the copied token with another key's proof answered ${withOtherKey.status}`);
    return `as Bearer: 401 ${asBearer.headers.get('www-authenticate') ?? ''}; with another key: 401 ${withOtherKey.headers.get('www-authenticate') ?? ''}`;
  }),
  step('a tampered Android phone (unverified boot) activates and is graded DEVICE_INTEGRITY_FAILED', async () => {
    const phone = await freshPhone('android', [agent.deviceId.toLowerCase(), (trustAgents.android?.options.intuneDeviceId ?? '').toLowerCase()]);
    const tampered = new ReferenceAgent({
      baseUrl: demoSettings.baseUrl,
      userToken: () => phone.userToken,
      intuneDeviceId: phone.intuneDeviceId,
      platform: 'android',
      attestation: { kind: 'android', simUrl: demoSettings.simUrl, flaws: ['unverified-boot'] },
    });
    const answer = await tampered.activate();
    const body = activationBody.safeParse(answer.body);
    check(answer.status === 200 && body.success, `activation answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
    check(body.data.attestation.status === 'failed', `the attestation was ${body.data.attestation.status}`);
    const detail = deviceDetail.safeParse((await api('GET', `/api/v1/console/devices/${body.data.deviceId}`, { token: consoleAdmin.token })).json);
    check(detail.success, 'the device page did not answer');
    const flagged = detail.data.activeThreats.some((threat) => threat.classification === 'DEVICE_INTEGRITY_FAILED');
    check(flagged, `the device has no DEVICE_INTEGRITY_FAILED threat (risk ${detail.data.device.riskLevel})`);
    return `attestation failed (${body.data.attestation.reason ?? 'no reason'}); the service raised DEVICE_INTEGRITY_FAILED, risk ${detail.data.device.riskLevel}`;
  }),
);

await runDemo(steps);
await demoHook.receiver?.close();
