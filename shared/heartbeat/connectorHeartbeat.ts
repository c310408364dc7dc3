/**
 * The connector heartbeat Intune expects from an MTD partner: a PATCH of the tenant's
 * `mobileThreatDefenseConnector` (`/deviceManagement/mobileThreatDefenseConnectors/{id}`) with
 * `lastHeartbeatDateTime` and `partnerState: enabled`, on the Intune partner API.
 *
 * The connector's `id` names the partner: Intune keeps one connector per MTD partner in a tenant, under the id the
 * partner was given at onboarding. With a known id the PATCH goes straight to it; without one, the tenant's
 * connectors are listed and the only one is used (several, or none, is an error an admin must resolve).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

const connectorsPath = '/deviceManagement/mobileThreatDefenseConnectors';

const connectorListSchema = z.object({
  value: z.array(z.looseObject({ id: z.string().min(1), partnerState: z.string().optional() })),
});

export class ConnectorNotIdentified extends Error {
  readonly code = 'ERR_MTD_CONNECTOR';
  constructor(detail: string) {
    super(detail);
    this.name = 'ConnectorNotIdentified';
  }
}

/** The id of the tenant's connector for this partner. */
export async function findConnectorId(intune: Client, knownId?: string): Promise<string> {
  if (knownId) return knownId;
  const raw: unknown = await intune.api(connectorsPath).select(['id', 'partnerState']).get();
  const parsed = connectorListSchema.safeParse(raw);
  if (!parsed.success) throw new ConnectorNotIdentified('Intune answered the connector list with an unexpected shape.');
  const connectors = parsed.data.value;
  const only = connectors[0];
  if (connectors.length === 0 || !only) {
    throw new ConnectorNotIdentified('No Mobile Threat Defense connector is set up for this tenant in Intune.');
  }
  if (connectors.length > 1) {
    throw new ConnectorNotIdentified(
      `The tenant has ${connectors.length} Mobile Threat Defense connectors in Intune; the partner connector id must be configured.`,
    );
  }
  return only.id;
}

/** Sends the heartbeat; returns the connector id it went to. Graph failures reach the caller as thrown errors. */
export async function sendConnectorHeartbeat(intune: Client, at: Date, knownId?: string): Promise<string> {
  const id = await findConnectorId(intune, knownId);
  await intune
    .api(`${connectorsPath}/${encodeURIComponent(id)}`)
    .patch({ lastHeartbeatDateTime: at.toISOString(), partnerState: 'enabled' });
  return id;
}

/** Whether a heartbeat is due: never sent, the last one failed, or `frequencyMinutes` have passed (30 s of slack for timer jitter). */
export function heartbeatDue(
  last: { at?: string | undefined; result?: string | undefined },
  frequencyMinutes: number,
  now: Date,
): boolean {
  if (!last.at || last.result !== 'ok') return true;
  const elapsed = now.getTime() - new Date(last.at).getTime();
  return !(elapsed >= 0 && elapsed < frequencyMinutes * 60_000 - 30_000);
}
