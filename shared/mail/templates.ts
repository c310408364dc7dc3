/**
 * Mail bodies: plain text and HTML for threat alerts, the summary that replaces a storm of them, and the error report.
 * Everything that comes from devices, the directory or errors (device, app and threat names, UPNs, messages) is
 * data: escaped in HTML, never markup, and kept to one line in subjects.
 */
import { compareRisk, riskLevels, type RiskLevel } from '../domain/index.js';
import type { ErrorKind } from '../errorReports/errorReports.js';
import type { PendingAlert } from '../alerts/pendingAlerts.js';

export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const htmlEscapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as HTML character data or attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => htmlEscapes[character] ?? character);
}

/** One line, no control characters, at most `max` characters: safe for a subject line. */
export function oneLine(value: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function orDash(value: string): string {
  return value.trim() === '' ? '-' : value;
}

function levelLabel(level: RiskLevel): string {
  return level.charAt(0).toUpperCase() + level.slice(1);
}

/** The console route of a device: `{PUBLIC_BASE_URL}/api/v1/console/devices/{deviceId}`. */
export function deviceRoute(publicBaseUrl: string, deviceId: string): string {
  return `${publicBaseUrl}/api/v1/console/devices/${encodeURIComponent(deviceId)}`;
}

function htmlPage(title: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>' + escapeHtml(title) + '</title></head>',
    '<body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1b1b1b">',
    body,
    '</body></html>',
  ].join('\n');
}

function htmlTable(rows: readonly (readonly [string, string])[]): string {
  const cells = rows
    .map(([label, value]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('\n');
  return `<table cellspacing="0" cellpadding="0">\n${cells}\n</table>`;
}

function textTable(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`).join('\n');
}

function link(url: string, label: string): string {
  return `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>`;
}

export interface AlertMailInput {
  readonly tenantName: string;
  /** The alerts of one device (the same device id), oldest first. */
  readonly alerts: readonly PendingAlert[];
  readonly publicBaseUrl: string;
  readonly quietMinutes: number;
}

/** One device's new threats (or its raised risk after a re-grade), for one admin. */
export function alertMail(input: AlertMailInput): MailContent {
  const [first] = input.alerts;
  if (!first) throw new RangeError('alertMail needs at least one alert');
  const level = [...input.alerts].map((alert) => alert.riskLevel).sort(compareRisk).at(-1) ?? first.riskLevel;
  const route = deviceRoute(input.publicBaseUrl, first.deviceId);
  const device = orDash(first.deviceName || first.deviceId);
  const regrade = input.alerts.every((alert) => alert.reason === 'regrade');
  const subject = regrade
    ? `[MTD] ${levelLabel(level)} risk after a re-grade on ${oneLine(device, 60)}`
    : `[MTD] ${levelLabel(level)} threat on ${oneLine(device, 60)}`;
  const intro = regrade
    ? `A change of threat classification in ${input.tenantName} raised the risk of a device to ${level}.`
    : `A new ${level} threat was reported on a device in ${input.tenantName}.`;

  const sections = input.alerts.map((alert) => [
    ['Device', device],
    ['User', orDash(alert.userPrincipalName)],
    ['Classification', alert.classification],
    ['Threat', orDash(alert.threatName)],
    ['Level', alert.riskLevel],
    ['When', alert.at],
  ] as const);
  const footer =
    `You receive this because your notification preferences include ${level} threats. ` +
    `Further alerts for this device are held back for ${input.quietMinutes} minutes.`;

  const text = [
    intro,
    '',
    ...sections.flatMap((rows) => [textTable(rows), '']),
    `Console: ${route}`,
    '',
    footer,
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    [
      `<p>${escapeHtml(intro)}</p>`,
      ...sections.map((rows) => `${htmlTable(rows)}<br>`),
      `<p>Console: ${link(route, route)}</p>`,
      `<p style="color:#605e5c;font-size:12px">${escapeHtml(footer)}</p>`,
    ].join('\n'),
  );
  return { subject, text, html };
}

export interface SummaryMailInput {
  readonly tenantName: string;
  /** Every alert the summary stands for (one admin, one run). */
  readonly alerts: readonly PendingAlert[];
  readonly publicBaseUrl: string;
  /** How many devices to list by name. */
  readonly listed: number;
}

/** One mail instead of many: counts by level and the first devices, highest level first. */
export function summaryMail(input: SummaryMailInput): MailContent {
  const byDevice = new Map<string, PendingAlert>();
  for (const alert of input.alerts) {
    const seen = byDevice.get(alert.deviceId);
    if (!seen || compareRisk(alert.riskLevel, seen.riskLevel) > 0) byDevice.set(alert.deviceId, alert);
  }
  const devices = [...byDevice.values()].sort((a, b) => compareRisk(b.riskLevel, a.riskLevel) || a.at.localeCompare(b.at));
  const counts = riskLevels
    .filter((level) => level !== 'none')
    .reverse()
    .map((level) => [level, devices.filter((device) => device.riskLevel === level).length] as const)
    .filter(([, count]) => count > 0);
  const regrade = input.alerts.some((alert) => alert.reason === 'regrade');
  const subject = `[MTD] ${devices.length} devices with new threats in ${oneLine(input.tenantName, 60)}`;
  const intro =
    `${devices.length} devices in ${input.tenantName} have new threats or a raised risk level` +
    `${regrade ? ' (a change of threat classification re-graded them)' : ''}. One summary replaces the individual alerts.`;
  const shown = devices.slice(0, input.listed);
  const more = devices.length - shown.length;
  const listUrl = `${input.publicBaseUrl}/api/v1/console/devices`;
  const countRows = counts.map(([level, count]) => [levelLabel(level), String(count)] as const);
  const deviceLine = (alert: PendingAlert): string =>
    `${alert.riskLevel.padEnd(6)} ${orDash(alert.deviceName || alert.deviceId)} (${orDash(alert.userPrincipalName)}) ` +
    `${alert.classification}${alert.threatName ? `: ${alert.threatName}` : ''}`;

  const text = [
    intro,
    '',
    'Devices by level:',
    textTable(countRows),
    '',
    `First ${shown.length} devices:`,
    ...shown.map((alert) => `  ${deviceLine(alert)}\n         ${deviceRoute(input.publicBaseUrl, alert.deviceId)}`),
    ...(more > 0 ? [`  ... and ${more} more.`] : []),
    '',
    `All devices: ${listUrl}`,
    '',
  ].join('\n');
  const items = shown
    .map((alert) => {
      const label = `${orDash(alert.deviceName || alert.deviceId)} (${orDash(alert.userPrincipalName)})`;
      const detail = `${alert.riskLevel} · ${alert.classification}${alert.threatName ? `: ${alert.threatName}` : ''}`;
      return `<li>${link(deviceRoute(input.publicBaseUrl, alert.deviceId), label)} ${escapeHtml(detail)}</li>`;
    })
    .join('\n');
  const html = htmlPage(
    subject,
    [
      `<p>${escapeHtml(intro)}</p>`,
      '<p><b>Devices by level</b></p>',
      htmlTable(countRows),
      `<p><b>First ${shown.length} devices</b></p>`,
      `<ul>\n${items}\n</ul>`,
      ...(more > 0 ? [`<p>... and ${more} more.</p>`] : []),
      `<p>All devices: ${link(listUrl, listUrl)}</p>`,
    ].join('\n'),
  );
  return { subject, text, html };
}

export const errorKindLabels: Readonly<Record<ErrorKind, string>> = {
  'dead-letter': 'Dead-lettered device updates',
  graph: 'Microsoft Graph failures',
  token: 'Token failures (consent revoked or permission missing)',
  'enrollment-group': 'Enrollment groups that no longer resolve',
  'connector-heartbeat': 'Connector heartbeat failures',
  compliance: 'Compliance update failures',
  'connector-health': 'Connector health changes',
};

export interface ErrorReportGroup {
  readonly kind: ErrorKind;
  /** Errors of this kind not yet reported. */
  readonly count: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly examples: readonly string[];
}

/** The tenant's new connector errors, grouped by kind. */
export function errorReportMail(input: { tenantName: string; groups: readonly ErrorReportGroup[] }): MailContent {
  const total = input.groups.reduce((sum, group) => sum + group.count, 0);
  const subject = `[MTD] ${total} connector ${total === 1 ? 'error' : 'errors'} in ${oneLine(input.tenantName, 60)}`;
  const intro = `The MTD connector of ${input.tenantName} recorded ${total} new ${total === 1 ? 'error' : 'errors'}.`;
  const rowsOf = (group: ErrorReportGroup) =>
    [
      ['Count', String(group.count)],
      ['First', group.firstAt],
      ['Last', group.lastAt],
    ] as const;
  const text = [
    intro,
    '',
    ...input.groups.flatMap((group) => [
      `${errorKindLabels[group.kind]} (${group.kind})`,
      textTable(rowsOf(group)),
      ...(group.examples.length > 0 ? ['Examples:', ...group.examples.map((example) => `  - ${example}`)] : []),
      '',
    ]),
    'You receive this because you are an error-report recipient in the connector settings.',
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    [
      `<p>${escapeHtml(intro)}</p>`,
      ...input.groups.map((group) =>
        [
          `<h3>${escapeHtml(errorKindLabels[group.kind])} <small>(${escapeHtml(group.kind)})</small></h3>`,
          htmlTable(rowsOf(group)),
          ...(group.examples.length > 0
            ? [`<ul>\n${group.examples.map((example) => `<li>${escapeHtml(example)}</li>`).join('\n')}\n</ul>`]
            : []),
        ].join('\n'),
      ),
      '<p style="color:#605e5c;font-size:12px">You receive this because you are an error-report recipient in the connector settings.</p>',
    ].join('\n'),
  );
  return { subject, text, html };
}
