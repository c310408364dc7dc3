/**
 * Events as OCSF: each mapped event carries the attributes OCSF 1.3.0 requires of its class (base event: activity_id,
 * category_uid, class_uid, type_uid, severity_id, time, metadata.product and metadata.version; Detection Finding:
 * finding_info.uid; Device Inventory Info: device; Device: type_id; OS: name and type_id), with OCSF's enumerated
 * values, and the types OCSF has no class for pass through unchanged.
 */
import { describe, expect, it } from 'vitest';
import { eventTypes, toEvent, type EventDraft, type ServiceEvent } from '../../../shared/events/event.js';
import { formatDelivered, formatEvent, ocsfVersion, toOcsf, type OcsfEvent } from '../../../shared/events/ocsf.js';

const tenantId = '6c1f2a9e-0d4b-4c55-9a51-3f8a2b7c1d00';
const device = {
  deviceId: 'dev-1',
  intuneDeviceId: 'intune-1',
  deviceName: "Ada's Pixel",
  userPrincipalName: 'ada@contoso.example',
  platform: 'android' as const,
  status: 'active' as const,
  riskLevel: 'high' as const,
};
const threat = {
  id: 'thr-1',
  classification: 'TROJAN' as const,
  category: 'application' as const,
  riskLevel: 'high' as const,
  name: 'Joker',
  packageName: 'com.example.joker',
  detectedAt: '2026-12-01T10:00:00.000Z',
};

const drafts: Record<(typeof eventTypes)[number], EventDraft> = {
  'threat.detected': { type: 'threat.detected', occurredAt: '2026-12-01T10:00:01.000Z', data: { device, threat } },
  'threat.resolved': {
    type: 'threat.resolved',
    occurredAt: '2026-12-01T11:00:00.000Z',
    data: { device: { ...device, riskLevel: 'none' }, threat: { ...threat, resolvedAt: '2026-12-01T11:00:00.000Z' } },
  },
  'device.discovered': { type: 'device.discovered', occurredAt: '2026-12-01T09:00:00.000Z', data: { device, previous: { status: 'active', riskLevel: 'high' } } },
  'device.status_changed': { type: 'device.status_changed', occurredAt: '2026-12-01T09:00:00.000Z', data: { device, previous: { status: 'pending', riskLevel: 'high' } } },
  'device.risk_changed': {
    type: 'device.risk_changed',
    occurredAt: '2026-12-01T10:00:02.000Z',
    data: { device: { ...device, platform: 'ios', deviceName: 'iPhone' }, previous: { status: 'active', riskLevel: 'none' } },
  },
  'device.enforcement_failed': { type: 'device.enforcement_failed', occurredAt: '2026-12-01T09:00:00.000Z', data: { device, target: 'intune', reason: '503' } },
  'audit.recorded': {
    type: 'audit.recorded',
    occurredAt: '2026-12-01T09:00:00.000Z',
    data: { actor: { id: 'u1', name: 'Ada' }, action: 'settings.update', target: 'settings', before: null, after: { a: 1 } },
  },
  'connector.health_changed': { type: 'connector.health_changed', occurredAt: '2026-12-01T09:00:00.000Z', data: { status: 'degraded', previous: 'healthy', checks: [] } },
  'device.override_started': {
    type: 'device.override_started',
    occurredAt: '2026-12-01T09:00:00.000Z',
    data: { device: { ...device, riskLevel: 'low' }, override: { riskLevel: 'low', reason: 'known test app', expiresAt: '2026-12-02T09:00:00.000Z', createdBy: 'ada' } },
  },
  'device.override_ended': {
    type: 'device.override_ended',
    occurredAt: '2026-12-02T09:00:00.000Z',
    data: { device, override: { riskLevel: 'low', reason: 'known test app', expiresAt: '2026-12-02T09:00:00.000Z', createdBy: 'ada' }, endedBy: 'expiry' },
  },
  'device.attestation_failed': { type: 'device.attestation_failed', occurredAt: '2026-12-01T09:30:00.000Z', data: { device, format: 'android-key', reason: 'untrusted root' } },
};

const eventOf = (type: (typeof eventTypes)[number]): ServiceEvent => toEvent(tenantId, drafts[type], `evt_${type}`);
const asOcsf = (type: (typeof eventTypes)[number]): OcsfEvent => toOcsf(eventOf(type)) as OcsfEvent;

const mapped = {
  'threat.detected': 2004,
  'threat.resolved': 2004,
  'device.attestation_failed': 2004,
  'device.discovered': 5001,
  'device.status_changed': 5001,
  'device.risk_changed': 5001,
  'device.override_started': 5001,
  'device.override_ended': 5001,
} as const;

describe('toOcsf', () => {
  it.each(Object.entries(mapped))('maps %s to class %i with every attribute OCSF requires of it', (type, classUid) => {
    const object = asOcsf(type as keyof typeof mapped);
    expect(object.class_uid).toBe(classUid);
    expect(object.category_uid).toBe(classUid === 2004 ? 2 : 5);
    expect(object.type_uid).toBe(object.class_uid * 100 + object.activity_id);
    expect([1, 2, 3, 4]).toContain(object.severity_id);
    expect(object.time).toBe(Date.parse(drafts[type as keyof typeof mapped].occurredAt));
    expect(object.metadata).toMatchObject({ version: ocsfVersion, uid: `evt_${type}`, tenant_uid: tenantId, product: { name: 'MTD Connector' } });
    const ocsfDevice = object.device as { type_id: number; os: { name: string; type_id: number }; uid: string };
    expect(ocsfDevice.uid).toBe('dev-1');
    expect(ocsfDevice.type_id).toBe(5);
    expect([201, 301]).toContain(ocsfDevice.os.type_id);
    expect(ocsfDevice.os.name).not.toBe('');
    if (classUid === 2004) {
      expect((object.finding_info as { uid: string }).uid).not.toBe('');
      expect([1, 3]).toContain(object.activity_id);
    } else {
      expect(object.activity_id).toBe(1);
      expect(object.activity_name).toBe('Log');
    }
  });

  it('maps a detected threat to a full Detection Finding', () => {
    expect(asOcsf('threat.detected')).toEqual({
      activity_id: 1,
      activity_name: 'Create',
      category_uid: 2,
      category_name: 'Findings',
      class_uid: 2004,
      class_name: 'Detection Finding',
      type_uid: 200401,
      type_name: 'Detection Finding: Create',
      severity_id: 4,
      severity: 'High',
      time: Date.parse('2026-12-01T10:00:01.000Z'),
      time_dt: '2026-12-01T10:00:01.000Z',
      metadata: {
        version: ocsfVersion,
        uid: 'evt_threat.detected',
        tenant_uid: tenantId,
        product: { name: 'MTD Connector', vendor_name: 'MTD Connector' },
        original_time: '2026-12-01T10:00:01.000Z',
        event_code: 'threat.detected',
      },
      status_id: 1,
      status: 'New',
      finding_info: {
        uid: 'thr-1',
        title: 'Joker',
        types: ['TROJAN', 'application'],
        analytic: { name: 'TROJAN', category: 'application', type_id: 0, type: 'Unknown' },
        created_time: Date.parse('2026-12-01T10:00:00.000Z'),
        first_seen_time: Date.parse('2026-12-01T10:00:00.000Z'),
      },
      risk_level_id: 3,
      risk_level: 'High',
      device: {
        uid: 'dev-1',
        uid_alt: 'intune-1',
        name: "Ada's Pixel",
        type_id: 5,
        type: 'Mobile',
        os: { name: 'Android', type: 'Android', type_id: 201 },
        owner: { name: 'ada@contoso.example', email_addr: 'ada@contoso.example' },
        risk_level_id: 3,
        risk_level: 'High',
      },
      unmapped: { packageName: 'com.example.joker' },
    });
  });

  it('closes the same finding when the threat is resolved', () => {
    const detected = asOcsf('threat.detected');
    const resolved = asOcsf('threat.resolved');
    expect(resolved).toMatchObject({ activity_id: 3, activity_name: 'Close', type_uid: 200403, status_id: 4, status: 'Resolved' });
    expect((resolved.finding_info as { uid: string }).uid).toBe((detected.finding_info as { uid: string }).uid);
    expect((resolved.finding_info as { modified_time: number }).modified_time).toBe(Date.parse('2026-12-01T11:00:00.000Z'));
    expect((resolved.device as { risk_level_id: number }).risk_level_id).toBe(0);
  });

  it('maps a risk change to a full Device Inventory Info', () => {
    expect(asOcsf('device.risk_changed')).toEqual({
      activity_id: 1,
      activity_name: 'Log',
      category_uid: 5,
      category_name: 'Discovery',
      class_uid: 5001,
      class_name: 'Device Inventory Info',
      type_uid: 500101,
      type_name: 'Device Inventory Info: Log',
      severity_id: 1,
      severity: 'Informational',
      time: Date.parse('2026-12-01T10:00:02.000Z'),
      time_dt: '2026-12-01T10:00:02.000Z',
      metadata: {
        version: ocsfVersion,
        uid: 'evt_device.risk_changed',
        tenant_uid: tenantId,
        product: { name: 'MTD Connector', vendor_name: 'MTD Connector' },
        original_time: '2026-12-01T10:00:02.000Z',
        event_code: 'device.risk_changed',
      },
      device: {
        uid: 'dev-1',
        uid_alt: 'intune-1',
        name: 'iPhone',
        type_id: 5,
        type: 'Mobile',
        os: { name: 'iOS', type: 'iOS', type_id: 301 },
        owner: { name: 'ada@contoso.example', email_addr: 'ada@contoso.example' },
        risk_level_id: 3,
        risk_level: 'High',
      },
      unmapped: { status: 'active', previous: { status: 'active', riskLevel: 'none' } },
    });
  });

  it('follows the threat risk level into severity', () => {
    const severities = (['none', 'low', 'medium', 'high'] as const).map((riskLevel) => {
      const event = toEvent(tenantId, { ...drafts['threat.detected'], data: { device, threat: { ...threat, riskLevel } } } as EventDraft, 'evt_x');
      return (toOcsf(event) as OcsfEvent).severity_id;
    });
    expect(severities).toEqual([1, 2, 3, 4]);
  });

  it('passes the types OCSF has no class for through unchanged', () => {
    for (const type of ['device.enforcement_failed', 'audit.recorded', 'connector.health_changed'] as const) {
      const event = eventOf(type);
      expect(toOcsf(event)).toEqual(event);
      expect(toOcsf(event)).not.toHaveProperty('class_uid');
    }
  });

  it('leaves native events alone, and maps a delivered event only when it is one of ours', () => {
    const event = eventOf('threat.detected');
    expect(formatEvent(event, 'native')).toBe(event);
    expect(formatDelivered(event, 'ocsf')).toEqual(toOcsf(event));
    const test = { id: 'evt_test', type: 'webhook.test', occurredAt: '2026-12-01T09:00:00.000Z', tenantId, data: { message: 'hi' } };
    expect(formatDelivered(test, 'ocsf')).toBe(test);
  });

  it('maps every event type of the model (a new type must choose)', () => {
    const passThrough = new Set(['device.enforcement_failed', 'audit.recorded', 'connector.health_changed']);
    for (const type of eventTypes) {
      expect(type in mapped || passThrough.has(type), type).toBe(true);
    }
  });
});
