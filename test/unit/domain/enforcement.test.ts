import { describe, expect, it } from 'vitest';
import {
  desiredTargets,
  entraAttributeValues,
  entraValueFor,
  intuneStateFor,
  partnerReportedThreatStates,
} from '../../../shared/domain/enforcement.js';
import type { EnforcementInput, StateSync } from '../../../shared/domain/enforcement.js';

type Row = { name: string; input: EnforcementInput; intune: string | null; entra: string | null; kind: 'status' | 'threat' };

/** CONTRACT.md, "What Intune and Entra ID are told", with both state-sync switches on. */
const table: Row[] = [
  { name: 'pending', input: { status: 'pending', hasReport: false, riskLevel: 'none' }, intune: null, entra: 'pending', kind: 'status' },
  { name: 'active, no report', input: { status: 'active', hasReport: false, riskLevel: 'none' }, intune: 'activated', entra: 'activated', kind: 'status' },
  { name: 'active, risk none', input: { status: 'active', hasReport: true, riskLevel: 'none' }, intune: 'secured', entra: 'secured', kind: 'threat' },
  { name: 'active, risk low', input: { status: 'active', hasReport: true, riskLevel: 'low' }, intune: 'lowSeverity', entra: 'low', kind: 'threat' },
  { name: 'active, risk medium', input: { status: 'active', hasReport: true, riskLevel: 'medium' }, intune: 'mediumSeverity', entra: 'medium', kind: 'threat' },
  { name: 'active, risk high', input: { status: 'active', hasReport: true, riskLevel: 'high' }, intune: 'highSeverity', entra: 'high', kind: 'threat' },
  { name: 'disconnected', input: { status: 'disconnected', hasReport: true, riskLevel: 'high' }, intune: 'unresponsive', entra: 'unresponsive', kind: 'status' },
  { name: 'deactivated', input: { status: 'deactivated', hasReport: true, riskLevel: 'medium' }, intune: 'deactivated', entra: 'deactivated', kind: 'status' },
];

const syncs: StateSync[] = [
  { deviceStatus: true, threatStatus: true },
  { deviceStatus: false, threatStatus: true },
  { deviceStatus: true, threatStatus: false },
  { deviceStatus: false, threatStatus: false },
];

/** The full matrix, every value written out: [row name, deviceStatus, threatStatus, intune, entra]. */
const expected: [string, boolean, boolean, string | null, string | null][] = [
  ['pending', true, true, null, 'pending'],
  ['pending', false, true, null, null],
  ['pending', true, false, null, 'pending'],
  ['pending', false, false, null, null],
  ['active, no report', true, true, 'activated', 'activated'],
  ['active, no report', false, true, null, null],
  ['active, no report', true, false, 'activated', 'activated'],
  ['active, no report', false, false, null, null],
  ['active, risk none', true, true, 'secured', 'secured'],
  ['active, risk none', false, true, 'secured', 'secured'],
  ['active, risk none', true, false, null, null],
  ['active, risk none', false, false, null, null],
  ['active, risk low', true, true, 'lowSeverity', 'low'],
  ['active, risk low', false, true, 'lowSeverity', 'low'],
  ['active, risk low', true, false, null, null],
  ['active, risk low', false, false, null, null],
  ['active, risk medium', true, true, 'mediumSeverity', 'medium'],
  ['active, risk medium', false, true, 'mediumSeverity', 'medium'],
  ['active, risk medium', true, false, null, null],
  ['active, risk medium', false, false, null, null],
  ['active, risk high', true, true, 'highSeverity', 'high'],
  ['active, risk high', false, true, 'highSeverity', 'high'],
  ['active, risk high', true, false, null, null],
  ['active, risk high', false, false, null, null],
  ['disconnected', true, true, 'unresponsive', 'unresponsive'],
  ['disconnected', false, true, null, null],
  ['disconnected', true, false, 'unresponsive', 'unresponsive'],
  ['disconnected', false, false, null, null],
  ['deactivated', true, true, 'deactivated', 'deactivated'],
  ['deactivated', false, true, null, null],
  ['deactivated', true, false, 'deactivated', 'deactivated'],
  ['deactivated', false, false, null, null],
];

function rowNamed(name: string): Row {
  const row = table.find((r) => r.name === name);
  if (row === undefined) throw new Error(`no row ${name}`);
  return row;
}

describe('what Intune and Entra ID are told', () => {
  it('uses only the enumerated values', () => {
    expect(partnerReportedThreatStates).toEqual([
      'activated',
      'deactivated',
      'secured',
      'lowSeverity',
      'mediumSeverity',
      'highSeverity',
      'unresponsive',
    ]);
    expect(entraAttributeValues).toEqual(['pending', 'activated', 'secured', 'low', 'medium', 'high', 'unresponsive', 'deactivated']);
  });

  it('covers every row under every state-sync combination', () => {
    expect(expected).toHaveLength(table.length * syncs.length);
    for (const row of table) {
      for (const sync of syncs) {
        expect(
          expected.filter(([n, d, t]) => n === row.name && d === sync.deviceStatus && t === sync.threatStatus),
        ).toHaveLength(1);
      }
    }
  });

  it('matches the contract table with both switches on', () => {
    const on = { deviceStatus: true, threatStatus: true };
    for (const row of table) {
      expect([row.name, intuneStateFor(row.input, on), entraValueFor(row.input, on)]).toEqual([row.name, row.intune, row.entra]);
    }
  });

  it.each(expected)('%s with deviceStatus=%s threatStatus=%s: Intune %s, Entra %s', (name, deviceStatus, threatStatus, intune, entra) => {
    const { input } = rowNamed(name);
    const sync = { deviceStatus, threatStatus };
    expect(intuneStateFor(input, sync)).toBe(intune);
    expect(entraValueFor(input, sync)).toBe(entra);
  });

  it('is unaffected by the risk level of a device that is not reporting threat levels', () => {
    const on = { deviceStatus: true, threatStatus: true };
    for (const riskLevel of ['none', 'low', 'medium', 'high'] as const) {
      expect(intuneStateFor({ status: 'active', hasReport: false, riskLevel }, on)).toBe('activated');
      expect(entraValueFor({ status: 'disconnected', hasReport: true, riskLevel }, on)).toBe('unresponsive');
      expect(entraValueFor({ status: 'pending', hasReport: true, riskLevel }, on)).toBe('pending');
    }
  });
});

describe('desired targets', () => {
  const on = { deviceStatus: true, threatStatus: true };
  const high: EnforcementInput = { status: 'active', hasReport: true, riskLevel: 'high' };

  it('tells both targets when both are enabled', () => {
    expect(desiredTargets(high, on, { intunePartner: true, entraDeviceAttribute: 'extensionAttribute7' })).toEqual({
      intune: 'highSeverity',
      entra: { attribute: 'extensionAttribute7', value: 'high' },
    });
  });

  it('tells only Intune when no Entra attribute is chosen', () => {
    expect(desiredTargets(high, on, { intunePartner: true, entraDeviceAttribute: null })).toEqual({
      intune: 'highSeverity',
      entra: null,
    });
  });

  it('tells only Entra when the Intune partner target is off', () => {
    expect(desiredTargets(high, on, { intunePartner: false, entraDeviceAttribute: 'extensionAttribute15' })).toEqual({
      intune: null,
      entra: { attribute: 'extensionAttribute15', value: 'high' },
    });
  });

  it('tells nothing when neither target is enabled', () => {
    expect(desiredTargets(high, on, { intunePartner: false, entraDeviceAttribute: null })).toEqual({ intune: null, entra: null });
  });

  it('sends a pending device only to Entra', () => {
    const pending: EnforcementInput = { status: 'pending', hasReport: false, riskLevel: 'none' };
    expect(desiredTargets(pending, on, { intunePartner: true, entraDeviceAttribute: 'extensionAttribute1' })).toEqual({
      intune: null,
      entra: { attribute: 'extensionAttribute1', value: 'pending' },
    });
  });

  it('sends nothing to Entra for a value state sync suppresses', () => {
    const gone: EnforcementInput = { status: 'deactivated', hasReport: true, riskLevel: 'none' };
    expect(
      desiredTargets(gone, { deviceStatus: false, threatStatus: true }, { intunePartner: true, entraDeviceAttribute: 'extensionAttribute3' }),
    ).toEqual({ intune: null, entra: null });
  });
});
