/**
 * Runs one `device-slices` message: the slice of its job's kind, then, once every slice of the job is done, what
 * ends the job (a resync records its revision as reached by every device).
 */
import { finishResync, runResyncSlice } from '../compliance/resync.js';
import { runRegradeSlice } from '../compliance/regrade.js';
import type { Services } from './services.js';
import { markJobCompleted, readJob, type SliceMessage, type SliceOutcome } from '../slices/sliceJobs.js';

export async function runSliceMessage(services: Services, message: SliceMessage): Promise<SliceOutcome> {
  const outcome = message.kind === 'regrade' ? await runRegradeSlice(services, message) : await runResyncSlice(services, message);
  // Every delivery looks, so a job whose last slice stopped right after its own progress write still ends.
  const status = await readJob(services.tables, message.tenantId, message.jobId);
  if (status?.status === 'completed') {
    if (message.kind === 'resync' && message.revision !== undefined) await finishResync(services.tables, message.tenantId, message.revision);
    await markJobCompleted(services.tables, message.tenantId, message.jobId, status.completedAt ?? services.clock.now().toISOString());
  }
  return outcome;
}
