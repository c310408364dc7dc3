/**
 * `PUT /api/v1/console/connector` with `errorReportRecipients`: only addresses in the tenant's verified domains
 * (Graph `GET /v1.0/domains`, `isVerified`); any other is refused with 400 naming it, and nothing is stored or
 * audited. The domains are read from Graph once and reused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../shared/base/clock.js';
import { readConnectorSettings } from '../../../shared/tenants/tenantConfig.js';
import { call, startComplianceHarness, type ComplianceHarness } from '../compliance/harness.js';

let h: ComplianceHarness;
let admin: string;
/** The service's clock stands still unless a test moves it on, so "a moment ago" does not depend on the machine. */
const startedAt = Date.now();
let aheadMs = 0;
const clock: Clock = { now: () => new Date(startedAt + aheadMs) };

beforeAll(async () => {
  h = await startComplianceHarness({ phones: 1, clock });
  admin = await h.token('admin');
  // A domain the tenant added but has not verified yet.
  h.sim.state.tenant(h.tenantId).extraDomains.set('pending.contoso.test', false);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function auditCount(): Promise<number> {
  let count = 0;
  for await (const _ of h.tables.table('auditLog').listEntities({ queryOptions: { filter: `PartitionKey eq '${h.tenantId}'` } })) count += 1;
  return count;
}

/** Graph `/domains` requests the simulated tenant has answered. */
function domainReads(): number {
  const byRoute = h.sim.state.stats().byRoute;
  return Object.entries(byRoute)
    .filter(([template]) => template.endsWith('/domains'))
    .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
}

describe('error report recipients', () => {
  it("accepts addresses in the tenant's verified domains, and reads the domains once", async () => {
    const before = domainReads();
    const first = await call(h.host, 'PUT', 'v1/console/connector', admin, { errorReportRecipients: ['ops@contoso.test', 'noc@contoso.onmicrosoft.com'] });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.errorReportRecipients).toEqual(['ops@contoso.test', 'noc@contoso.onmicrosoft.com']);
    const second = await call(h.host, 'PUT', 'v1/console/connector', admin, { errorReportRecipients: ['OPS@Contoso.Test'] });
    expect(second.status).toBe(200);
    expect(domainReads() - before).toBe(1);
  });

  it('refuses an outside address, or one in a domain not verified, naming it, and stores nothing', async () => {
    const settings = await readConnectorSettings(h.tables, h.tenantId);
    const audits = await auditCount();
    for (const [recipients, refused] of [
      [['ops@contoso.test', 'attacker@example.com'], ['attacker@example.com']],
      [['soc@pending.contoso.test'], ['soc@pending.contoso.test']],
      [['a@sub.contoso.test', 'b@contoso.test.evil.example'], ['a@sub.contoso.test', 'b@contoso.test.evil.example']],
    ] as const) {
      const answer = await call(h.host, 'PUT', 'v1/console/connector', admin, { errorReportRecipients: recipients, disconnectedAfterDays: 30 });
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      for (const address of refused) expect(String(answer.body.detail)).toContain(address);
      const errors = answer.body.errors as { path: string; message: string }[];
      expect(errors.map((error) => error.path)).toEqual(refused.map((address) => `errorReportRecipients.${recipients.indexOf(address as never)}`));
    }
    expect(await readConnectorSettings(h.tables, h.tenantId)).toEqual(settings);
    expect(await auditCount()).toBe(audits);
  });

  it('finds a domain verified a moment ago, reading the domains again at most every 10 seconds', async () => {
    h.sim.state.tenant(h.tenantId).extraDomains.set('pending.contoso.test', true);
    const before = domainReads();
    // Read a moment ago: refused addresses do not make every PUT a Graph read.
    expect((await call(h.host, 'PUT', 'v1/console/connector', admin, { errorReportRecipients: ['soc@pending.contoso.test'] })).status).toBe(400);
    expect(domainReads()).toBe(before);
    aheadMs += 11_000;
    const answer = await call(h.host, 'PUT', 'v1/console/connector', admin, { errorReportRecipients: ['soc@pending.contoso.test'] });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(domainReads()).toBe(before + 1);
  });
});
