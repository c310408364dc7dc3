/**
 * The mail timer against the simulator's SendGrid (real @sendgrid/mail over HTTPS, the run's test CA) and fresh
 * tables on the shared Azurite: an active tenant, admins with notification preferences, pending alerts.
 */
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../../shared/base/clock.js';
import type { RiskLevel } from '../../../shared/domain/index.js';
import { createSendGridSender, type MailSender } from '../../../shared/sendgrid/sendgrid.js';
import { runMail, type MailRunResult } from '../../../shared/mail/run.js';
import { queueAlerts, type PendingAlert } from '../../../shared/alerts/pendingAlerts.js';
import type { Logger } from '../../../shared/base/logger.js';
import { anyEntity, listAll, odata, type TableStore } from '../../../shared/storage/index.js';
import type { SentMail } from '../../../dev/sim/state.js';
import type { Simulator } from '../../../dev/sim/server.js';
import { createTestTableStore } from '../../support/tables.js';
import { provisionTenant, simConfig } from '../enrollment/harness.js';

export const publicBaseUrl = 'https://mtd.contoso.test';

export interface MailHarness {
  readonly tenantId: string;
  readonly tables: TableStore;
  readonly clock: ManualClock;
  readonly sender: MailSender;
  /** Waits the sender asked for between attempts, in ms (none really waited). */
  readonly sleeps: number[];
  readonly logs: string[];
  run(): Promise<MailRunResult>;
  /** Mail the simulator accepted for this tenant's recipients (addresses end with `@{tenant}.test`). */
  mail(): SentMail[];
  address(name: string): string;
  setPreferences(userId: string, name: string, levels: Partial<Record<'low' | 'medium' | 'high', boolean>>): Promise<void>;
  queue(alerts: readonly Partial<PendingAlert>[]): Promise<void>;
  pendingRows(): Promise<Record<string, unknown>[]>;
}

export async function startMailHarness(sim: Simulator, options: { start?: string } = {}): Promise<MailHarness> {
  const tenantId = randomUUID();
  const domain = `${tenantId.slice(0, 8)}.test`;
  const tables = await createTestTableStore();
  const clock = new ManualClock(options.start ?? '2026-03-01T10:00:00.000Z');
  const logs: string[] = [];
  const log: Logger = {
    info: (line) => logs.push(`info ${line}`),
    warn: (line) => logs.push(`warn ${line}`),
    error: (line) => logs.push(`error ${line}`),
  };
  const sleeps: number[] = [];
  const sender = createSendGridSender(simConfig(sim.url), {
    log,
    retry: { baseDelayMs: 10, maxDelayMs: 5_000 },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
  await provisionTenant(tables, tenantId, randomUUID(), clock.now().toISOString());
  const address = (name: string): string => `${name}@${domain}`;

  return {
    tenantId,
    tables,
    clock,
    sender,
    sleeps,
    logs,
    address,
    run: () => runMail({ tables, clock, log, mail: sender, publicBaseUrl }),
    mail: () => sim.state.sentMail().filter((mail) => mail.to.some((to) => to.endsWith(`@${domain}`))),
    async setPreferences(userId, name, levels) {
      await tables.table('notificationPreferences').upsertEntity({
        partitionKey: tenantId,
        rowKey: userId,
        email: address(name),
        low: levels.low ?? false,
        medium: levels.medium ?? false,
        high: levels.high ?? false,
      });
    },
    async queue(alerts) {
      const queuedAt = clock.now().toISOString();
      await queueAlerts(
        tables,
        tenantId,
        alerts.map((alert, index) => ({
          reason: 'threat',
          deviceId: `device-${index}`,
          deviceName: `Phone ${index}`,
          userPrincipalName: 'ann@contoso.test',
          classification: 'TROJAN',
          threatName: 'Evil.Dropper',
          riskLevel: 'high' satisfies RiskLevel,
          at: queuedAt,
          queuedAt,
          ...alert,
        })),
      );
    },
    async pendingRows() {
      const rows: Record<string, unknown>[] = [];
      const filter = odata`PartitionKey eq ${tenantId} and RowKey ge ${'a|'} and RowKey lt ${'a}'}`;
      for await (const row of listAll(tables.table('notifications'), { schema: anyEntity, filter })) rows.push(row);
      return rows;
    },
  };
}
