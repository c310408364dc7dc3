/**
 * Events as OCSF (Open Cybersecurity Schema Framework, schema 1.3.0) for SIEMs: what `GET /api/v1/events?format=ocsf`
 * answers and what a webhook endpoint with `format: "ocsf"` receives. A pure mapping of our event
 * `{ id, type, occurredAt, tenantId, data }`:
 *
 * - `threat.detected` / `threat.resolved` → Detection Finding (2004, Findings): activity Create / Close, status New /
 *   Resolved, severity from the threat's risk level, `finding_info.uid` the threat id (so a SIEM pairs a detection
 *   with its resolution).
 * - `device.attestation_failed` → Detection Finding (2004): activity Create, status New, a finding of its own (the
 *   event id): an activation was refused because the device could not prove it runs the genuine agent.
 * - `device.discovered`, `device.status_changed`, `device.risk_changed`, `device.override_started`,
 *   `device.override_ended` → Device Inventory Info (5001, Discovery): activity Log, the device as it is after the
 *   change, with its risk level.
 * - `device.enforcement_failed`, `audit.recorded`, `connector.health_changed` (and anything else, such as a webhook's
 *   `webhook.test`) pass through unchanged: OCSF 1.x has no class they fit without inventing required attributes
 *   (API Activity needs the caller's `src_endpoint` and `api`, which an audit entry does not record; a failed push to
 *   Intune and the connector's health are the service's own state, not a security event about a device). A reader
 *   tells them apart by `class_uid` (present on every OCSF object, absent on ours).
 *
 * Every OCSF object carries `metadata.uid` = our event id (the same as `webhook-id`), `metadata.tenant_uid`, and what
 * OCSF has no attribute for (device status, previous state, override) under `unmapped`.
 *
 * Checked against OCSF's published class and object definitions (detection_finding, finding, inventory_info,
 * finding_info, os); not yet run through OCSF's own validator, so `metadata.tenant_uid` and `device.risk_level_id`,
 * taken from the 1.x dictionary, are the attributes to confirm first if a consumer refuses an object.
 */
import { z } from 'zod';
import type { RiskLevel } from '../domain/index.js';
import { serviceEventSchema, type EventDevice, type EventOf, type ServiceEvent } from './event.js';

/** The OCSF schema version the objects follow (`metadata.version`). */
export const ocsfVersion = '1.3.0';

/** `metadata.product`: the connector names itself as the product that logged the event. */
export const ocsfProduct = { name: 'MTD Connector', vendor_name: 'MTD Connector' } as const;

export const eventFormats = ['native', 'ocsf'] as const;
export type EventFormat = (typeof eventFormats)[number];
export const eventFormatSchema = z.enum(eventFormats);

/** An OCSF event object (the base event attributes every class requires, the rest by class). */
export interface OcsfEvent {
  readonly activity_id: number;
  readonly activity_name: string;
  readonly category_uid: number;
  readonly category_name: string;
  readonly class_uid: number;
  readonly class_name: string;
  readonly type_uid: number;
  readonly type_name: string;
  readonly severity_id: number;
  readonly severity: string;
  /** Epoch milliseconds (OCSF `timestamp_t`). */
  readonly time: number;
  readonly time_dt: string;
  readonly metadata: OcsfMetadata;
  readonly [attribute: string]: unknown;
}

interface OcsfMetadata {
  readonly version: string;
  readonly uid: string;
  readonly tenant_uid: string;
  readonly product: typeof ocsfProduct;
  readonly original_time: string;
  readonly event_code: string;
}

/** How the OpenAPI document describes an OCSF item: the key attributes, the rest by class (OCSF's own schema). */
export const ocsfEventSchema = z
  .looseObject({
    class_uid: z.number().int().describe('2004 Detection Finding or 5001 Device Inventory Info.'),
    class_name: z.string(),
    category_uid: z.number().int().describe('2 Findings or 5 Discovery.'),
    category_name: z.string(),
    activity_id: z.number().int().describe('Detection Finding: 1 Create, 3 Close; Device Inventory Info: 1 Log.'),
    activity_name: z.string(),
    type_uid: z.number().int().describe('`class_uid` * 100 + `activity_id`.'),
    type_name: z.string(),
    severity_id: z.number().int().describe('1 Informational, 2 Low, 3 Medium, 4 High.'),
    severity: z.string(),
    time: z.number().int().describe('When the event occurred, epoch milliseconds.'),
    time_dt: z.string(),
    metadata: z.looseObject({
      version: z.string().describe('The OCSF schema version.'),
      uid: z.string().describe('The event id (the same as in the native format and `webhook-id`).'),
      tenant_uid: z.string(),
      product: z.looseObject({ name: z.string(), vendor_name: z.string() }),
      event_code: z.string().describe('The native event type, e.g. `threat.detected`.'),
    }),
    device: z.looseObject({}).optional().describe('The device (OCSF Device object: uid, name, type_id 5 Mobile, os, owner, risk_level_id).'),
    finding_info: z.looseObject({}).optional().describe('Detection Finding only: uid (the threat id), title, types, analytic, created_time.'),
  })
  .describe('An event as an OCSF 1.3.0 object (https://schema.ocsf.io); see docs/DEPLOY.md, "SIEM formats".');

// OCSF `severity_id`: 1 Informational, 2 Low, 3 Medium, 4 High (5 Critical and 6 Fatal are above any of our levels).
const severity: Readonly<Record<RiskLevel, readonly [number, string]>> = {
  none: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
};

// OCSF `risk_level_id` (device and finding): 0 Info, 1 Low, 2 Medium, 3 High (4 Critical unused).
const riskLevel: Readonly<Record<RiskLevel, readonly [number, string]>> = {
  none: [0, 'Info'],
  low: [1, 'Low'],
  medium: [2, 'Medium'],
  high: [3, 'High'],
};

/** OCSF `os.type_id`: 201 Android, 301 iOS. */
const operatingSystem: Readonly<Record<EventDevice['platform'], { readonly name: string; readonly type: string; readonly type_id: number }>> = {
  android: { name: 'Android', type: 'Android', type_id: 201 },
  ios: { name: 'iOS', type: 'iOS', type_id: 301 },
};

/** OCSF Device object: a managed phone (type_id 5 Mobile), its owner, and its risk level. */
export function ocsfDevice(device: EventDevice): Record<string, unknown> {
  const [riskId, riskName] = riskLevel[device.riskLevel];
  return {
    uid: device.deviceId,
    // Intune's id for the same device, so a SIEM can join with Intune's own logs.
    uid_alt: device.intuneDeviceId,
    name: device.deviceName,
    type_id: 5,
    type: 'Mobile',
    os: operatingSystem[device.platform],
    owner: { name: device.userPrincipalName, email_addr: device.userPrincipalName },
    risk_level_id: riskId,
    risk_level: riskName,
  };
}

function base(
  event: ServiceEvent,
  kind: { classUid: number; className: string; categoryUid: number; categoryName: string; activityId: number; activityName: string },
  level: RiskLevel,
): OcsfEvent {
  const [severityId, severityName] = severity[level];
  const time = Date.parse(event.occurredAt);
  return {
    activity_id: kind.activityId,
    activity_name: kind.activityName,
    category_uid: kind.categoryUid,
    category_name: kind.categoryName,
    class_uid: kind.classUid,
    class_name: kind.className,
    type_uid: kind.classUid * 100 + kind.activityId,
    type_name: `${kind.className}: ${kind.activityName}`,
    severity_id: severityId,
    severity: severityName,
    time,
    time_dt: new Date(time).toISOString(),
    metadata: {
      version: ocsfVersion,
      uid: event.id,
      tenant_uid: event.tenantId,
      product: ocsfProduct,
      original_time: event.occurredAt,
      event_code: event.type,
    },
  };
}

const detectionFinding = { classUid: 2004, className: 'Detection Finding', categoryUid: 2, categoryName: 'Findings' } as const;
const inventoryInfo = { classUid: 5001, className: 'Device Inventory Info', categoryUid: 5, categoryName: 'Discovery' } as const;

function threatFinding(event: EventOf<'threat.detected'> | EventOf<'threat.resolved'>): OcsfEvent {
  const { device, threat } = event.data;
  const resolved = event.type === 'threat.resolved';
  const [riskId, riskName] = riskLevel[threat.riskLevel];
  const detectedAt = Date.parse(threat.detectedAt);
  const resolvedAt = threat.resolvedAt === undefined ? undefined : Date.parse(threat.resolvedAt);
  return {
    ...base(event, { ...detectionFinding, activityId: resolved ? 3 : 1, activityName: resolved ? 'Close' : 'Create' }, threat.riskLevel),
    status_id: resolved ? 4 : 1,
    status: resolved ? 'Resolved' : 'New',
    finding_info: {
      uid: threat.id,
      title: threat.name ?? threat.classification,
      types: [threat.classification, threat.category],
      // How the agent detected it is not known to the connector: analytic type 0 (Unknown), named by the classification.
      analytic: { name: threat.classification, category: threat.category, type_id: 0, type: 'Unknown' },
      created_time: detectedAt,
      first_seen_time: detectedAt,
      ...(resolvedAt === undefined ? {} : { modified_time: resolvedAt }),
    },
    risk_level_id: riskId,
    risk_level: riskName,
    device: ocsfDevice(device),
    ...(threat.packageName === undefined ? {} : { unmapped: { packageName: threat.packageName } }),
  };
}

function attestationFinding(event: EventOf<'device.attestation_failed'>): OcsfEvent {
  const { device, format, reason } = event.data;
  const time = Date.parse(event.occurredAt);
  // A refused activation is a finding of its own (nothing closes it later): medium, a device that could not prove it
  // runs the genuine agent, not yet a known threat.
  return {
    ...base(event, { ...detectionFinding, activityId: 1, activityName: 'Create' }, 'medium'),
    status_id: 1,
    status: 'New',
    finding_info: {
      uid: event.id,
      title: `Device attestation failed: ${reason}`,
      types: ['ATTESTATION_FAILED'],
      analytic: { name: 'attestation', type_id: 0, type: 'Unknown' },
      created_time: time,
    },
    device: ocsfDevice(device),
    unmapped: { attestationFormat: format, reason },
  };
}

function deviceInventory(event: EventOf<'device.discovered' | 'device.status_changed' | 'device.risk_changed' | 'device.override_started' | 'device.override_ended'>): OcsfEvent {
  const { device } = event.data;
  const unmapped =
    'override' in event.data
      ? { status: device.status, override: event.data.override, ...(event.data.endedBy === undefined ? {} : { endedBy: event.data.endedBy }) }
      : { status: device.status, previous: event.data.previous };
  // An inventory record is informational; the device's risk is in `device.risk_level_id`.
  return {
    ...base(event, { ...inventoryInfo, activityId: 1, activityName: 'Log' }, 'none'),
    device: ocsfDevice(device),
    unmapped,
  };
}

/** The event as OCSF, or unchanged when OCSF has no class for its type (see above). */
export function toOcsf(event: ServiceEvent): OcsfEvent | ServiceEvent {
  switch (event.type) {
    case 'threat.detected':
    case 'threat.resolved':
      return threatFinding(event);
    case 'device.attestation_failed':
      return attestationFinding(event);
    case 'device.discovered':
    case 'device.status_changed':
    case 'device.risk_changed':
    case 'device.override_started':
    case 'device.override_ended':
      return deviceInventory(event);
    case 'device.enforcement_failed':
    case 'audit.recorded':
    case 'connector.health_changed':
      return event;
  }
}

/** An event in the format asked for. */
export function formatEvent(event: ServiceEvent, format: EventFormat): OcsfEvent | ServiceEvent {
  return format === 'ocsf' ? toOcsf(event) : event;
}

/**
 * Any event as delivered (a webhook also carries `webhook.test`), in the format asked for: one of our event types is
 * mapped, anything else is passed through unchanged.
 */
export function formatDelivered<E extends { readonly type: string; readonly data: unknown }>(event: E, format: EventFormat): unknown {
  if (format !== 'ocsf') return event;
  const parsed = serviceEventSchema.safeParse(event);
  return parsed.success ? toOcsf(parsed.data) : event;
}
