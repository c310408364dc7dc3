/**
 * Per-process pieces of the compliance push: the Intune write budget (its state lives in storage, shared by every
 * instance; its limit and window are settings), the delay before a failed device is tried again, and counters of
 * the Graph `$batch` requests sent.
 */
import type { Clock } from '../base/clock.js';
import type { TableStore } from '../storage/index.js';
import type { BatchStats } from '../graph/graphBatch.js';
import { createWriteBudget, type WriteBudget } from './writeBudget.js';
import { defaultIntuneWriteBudget, type WriteBudgetSettings } from './writeBudgetDecision.js';

export interface ComplianceRuntime {
  readonly intuneBudget: WriteBudget;
  readonly batchStats: BatchStats;
  /** Delay before a device that failed is tried again (by attempt). */
  readonly retryDelayMs?: (attempt: number) => number;
}

export interface ComplianceRuntimeOptions {
  /** Default 200 writes per 20 s. */
  readonly intuneBudget?: WriteBudgetSettings;
  /** Default 2^attempt seconds, at most 5 minutes. */
  readonly retryDelayMs?: (attempt: number) => number;
}

export function createComplianceRuntime(tables: TableStore, clock: Clock, options: ComplianceRuntimeOptions = {}): ComplianceRuntime {
  return {
    intuneBudget: createWriteBudget({ tables, clock }, options.intuneBudget ?? defaultIntuneWriteBudget),
    batchStats: { batches: 0, requests: 0 },
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
  };
}
