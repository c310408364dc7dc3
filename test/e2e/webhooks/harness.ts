/**
 * Webhooks through the local host: the simulator as Entra ID (console tokens) and Graph, fresh tables, two consented
 * tenants (Contoso: an admin and a reader; Fabrikam: an admin), HTTPS receivers with the run's test certificate, a
 * resolver port that tests can point names at, and short time-outs and retry waits.
 */
import { randomUUID } from 'node:crypto';
import type { LocalHost } from '../../../dev/host/server.js';
import { parseScenario } from '../../../dev/sim/scenario.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../../dev/webhookReceiver.js';
import type { Services } from '../../../shared/app/services.js';
import { createHealthRuntime } from '../../../shared/health/runtime.js';
import type { TableStore } from '../../../shared/storage/index.js';
import { systemResolver, type HostResolver } from '../../../shared/webhooks/addressGuard.js';
import { publishToWebhooks } from '../../../shared/webhooks/delivery.js';
import type { WebhookEvent } from '../../../shared/webhooks/deliveries.js';
import { createWebhookRuntime, type WebhookPoster, type WebhookRuntime } from '../../../shared/webhooks/runtime.js';
import { clientId, tlsFiles } from '../../support/simClient.js';
import { startStack, type Stack } from '../../support/stack.js';
import { id } from '../../integration/enrollment/harness.js';

export { id };

export interface WebhookHarness {
  readonly contoso: string;
  readonly fabrikam: string;
  readonly sim: Simulator;
  readonly host: LocalHost;
  readonly tables: TableStore;
  readonly services: Services;
  readonly runtime: WebhookRuntime;
  /** What the harness started: a host started again on the same storage comes from `stack.addHost`. */
  readonly stack: Stack;
  /** Names the resolver answers itself; any other name goes to the system resolver. */
  readonly names: Map<string, string[]>;
  readonly tokens: { admin: string; reader: string; fabrikamAdmin: string };
  receiver(): Promise<WebhookReceiver>;
  /** Hands events to webhook delivery as the events relay does. */
  publish(events: readonly WebhookEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string;
}

export async function call(host: LocalHost, method: string, path: string, token: string, body?: unknown, raw?: string): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${host.url}/api/${path}`, { method, headers, ...(body !== undefined || raw !== undefined ? { body: raw ?? JSON.stringify(body) } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, contentType: response.headers.get('content-type') ?? '' };
}

export async function startWebhookHarness(
  options: { timeoutMs?: number; retrySchedule?: number[]; healthTtlMs?: number; post?: WebhookPoster; maxInFlightPerEndpoint?: number; deferMs?: number } = {},
): Promise<WebhookHarness> {
  const contoso = randomUUID();
  const fabrikam = randomUUID();
  const user = (name: string, domain: string) => ({ id: id(name), userPrincipalName: `${name}@${domain}`, displayName: name });
  const admins = randomUUID();
  const readers = randomUUID();
  const fabrikamAdmins = randomUUID();
  const names = new Map<string, string[]>();
  const resolver: HostResolver = (host) => {
    const known = names.get(host);
    return known ? Promise.resolve(known) : systemResolver(host);
  };
  const runtime = createWebhookRuntime({
    resolver,
    timeoutMs: options.timeoutMs ?? 1_000,
    safetyMarginMs: 500,
    retrySchedule: options.retrySchedule ?? [100, 100, 100],
    ...(options.post ? { post: options.post } : {}),
    ...(options.maxInFlightPerEndpoint !== undefined ? { maxInFlightPerEndpoint: options.maxInFlightPerEndpoint } : {}),
    ...(options.deferMs !== undefined ? { deferMs: options.deferMs } : {}),
  });
  const stack = await startStack({
    scenario: parseScenario({
      app: { clientId },
      consentedTenants: [contoso, fabrikam],
      tenants: [
        {
          id: contoso,
          displayName: 'Contoso',
          users: [user('adele', 'contoso.test'), user('alex', 'contoso.test')],
          groups: [
            { id: admins, displayName: 'MTD Admins', members: [id('adele')] },
            { id: readers, displayName: 'MTD Readers', members: [id('alex')] },
          ],
        },
        {
          id: fabrikam,
          displayName: 'Fabrikam',
          users: [user('zed', 'fabrikam.test')],
          groups: [{ id: fabrikamAdmins, displayName: 'MTD Admins', members: [id('zed')] }],
        },
      ],
    }),
    tenants: [
      { tenantId: contoso, fullAccessGroupId: admins, restrictedAccessGroupId: readers },
      { tenantId: fabrikam, fullAccessGroupId: fabrikamAdmins },
    ],
    settings: { WEBHOOK_ALLOWED_PRIVATE_HOSTS: 'localhost,127.0.0.1' },
    overrides: ({ config }) => ({
      webhooks: runtime,
      ...(options.healthTtlMs !== undefined ? { health: createHealthRuntime(config, { ttlMs: options.healthTtlMs }) } : {}),
    }),
  });
  const { sim, host, tables, services } = stack;
  const receivers: WebhookReceiver[] = [];
  return {
    contoso,
    fabrikam,
    sim,
    host,
    tables,
    services,
    runtime,
    stack,
    names,
    tokens: {
      admin: await sim.state.mintUserToken({ tenantId: contoso, userId: id('adele') }),
      reader: await sim.state.mintUserToken({ tenantId: contoso, userId: id('alex') }),
      fabrikamAdmin: await sim.state.mintUserToken({ tenantId: fabrikam, userId: id('zed') }),
    },
    receiver: async () => {
      const receiver = await startWebhookReceiver(tlsFiles());
      receivers.push(receiver);
      return receiver;
    },
    publish: (events) => publishToWebhooks(services.queues, events),
    close: async () => {
      await host.close();
      await runtime.idle();
      await Promise.all(receivers.map((receiver) => receiver.close()));
      await stack.stop();
    },
  };
}

let sequence = 0;

/** A device event as the events engineer's model has it (the webhook path only needs the envelope). */
export function deviceEvent(tenantId: string, type = 'device.risk_changed'): WebhookEvent {
  sequence += 1;
  const at = new Date();
  return {
    id: `evt_${String(at.getTime()).padStart(13, '0')}${randomUUID().replace(/-/g, '').slice(0, 20)}`,
    type,
    occurredAt: at.toISOString(),
    tenantId,
    data: {
      device: { deviceId: `d-${sequence}`, intuneDeviceId: `d-${sequence}`, deviceName: 'Ann’s iPhone', userPrincipalName: 'ann@contoso.test', platform: 'ios', status: 'active', riskLevel: 'high' },
      previous: { status: 'active', riskLevel: 'none' },
    },
  };
}

/** An endpoint's delivery log as the console reads it (up to 100, newest first). */
export async function deliveriesOf<T>(h: WebhookHarness, endpointId: string, token = h.tokens.admin): Promise<T[]> {
  const answer = await call(h.host, 'GET', `v1/console/webhooks/${endpointId}/deliveries?limit=100`, token);
  if (answer.status !== 200) throw new Error(`the delivery log answered ${answer.status}`);
  return answer.body.items as T[];
}

/** Reads until `done` holds, every 50 ms; fails with the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
