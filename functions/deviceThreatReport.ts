import { authenticateDevice } from '../shared/devices/deviceAuth.js';
import { deviceMaxBodyBytes, threatReportBodySchema, threatReportResponseSchema } from '../shared/devices/schemas.js';
import { receiveThreatReport } from '../shared/devices/threatReport.js';
import { json } from '../shared/http/problem.js';
import { defineRoute, endpoint } from '../shared/http/route.js';
import type { Services } from '../shared/app/services.js';

export const deviceThreatReportRoute = defineRoute({
  method: 'POST',
  route: 'v1/device/threat-report',
  summary: 'The agent reports the complete set of threats active on the device now.',
  description:
    'A report whose `sequence` is not above the last applied one, or whose `reportId` was already received, changes ' +
    'nothing and answers 200 with `applied: false`. At most 500 threats and 64 KiB per report; too many reports from ' +
    'one device answer 429 with Retry-After. The service\'s own classifications (`DEVICE_INTEGRITY_FAILED`, `DEVICE_INTEGRITY_UNVERIFIED`) are refused (400) ' +
    'and stay open whatever the agent reports. Key-bound devices send `Authorization: DPoP` and a `DPoP` proof (see the security schemes).',
  tags: ['device'],
  security: 'deviceCredential',
  body: threatReportBodySchema,
  maxBodyBytes: deviceMaxBodyBytes,
  requestExample: {
    reportId: '0f3c9d6e-report-42',
    sequence: 42,
    observedAt: '2026-03-02T09:15:00Z',
    threats: [{ id: 'phish-1', classification: 'PHISHING', name: 'Fake sign-in page', detectedAt: '2026-03-02T09:14:10Z' }],
  },
  responses: {
    202: { description: 'Applied: the device\'s risk level under the tenant\'s policy.', schema: threatReportResponseSchema },
    200: { description: 'Stale or repeated: nothing changed.', schema: threatReportResponseSchema },
  },
});

export const deviceThreatReport = (services: Services) =>
  endpoint(deviceThreatReportRoute, {
    authenticate: authenticateDevice(services, 'report'),
    handle: async ({ principal, body }) => {
      const result = await receiveThreatReport(services, principal, body);
      return json(result.applied ? 202 : 200, result);
    },
  });
