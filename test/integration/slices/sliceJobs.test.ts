/**
 * A slice of a job keeps its progress in storage: delivered again after a crash (before, during or after applying a
 * chunk) it loses nothing and counts nothing twice; two deliveries at once do not both progress; a slice already
 * done is skipped; the job is `completed` exactly when every slice is done, with the counts summed.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/base/clock.js';
import type { TableStore } from '../../../shared/storage/index.js';
import {
  createJob,
  readJob,
  runSlice,
  SliceBusy,
  sliceBuckets,
  sliceMessages,
  sliceMessageSchema,
  type SliceJob,
  type SliceMessage,
  type SliceWork,
} from '../../../shared/slices/sliceJobs.js';
import { createTestTableStore } from '../../support/tables.js';

let tables: TableStore;
const clock = new ManualClock('2026-03-01T10:00:00.000Z');

beforeAll(async () => {
  tables = await createTestTableStore();
});

/**
 * Devices whose change is idempotent, like a re-grade: a device is changed once; planning counts only devices not
 * changed yet. `crashAfter` makes apply throw after that many devices of the whole run were changed.
 */
function devices(count: number) {
  const ids = Array.from({ length: count }, (_unused, index) => `d${String(index).padStart(3, '0')}`);
  const changed = new Map<string, number>();
  let planned = 0;
  let budget = Number.POSITIVE_INFINITY;
  const work: SliceWork<{ id: string }> = {
    items: () => Promise.resolve(ids.map((id) => ({ id }))),
    plan: (chunk) => {
      planned += chunk.length;
      const todo = chunk.filter(({ id }) => !changed.has(id));
      return Promise.resolve({
        changed: todo.length,
        apply: async () => {
          for (const { id } of todo) {
            if (budget <= 0) throw new Error('process killed');
            budget -= 1;
            changed.set(id, (changed.get(id) ?? 0) + 1);
            await Promise.resolve();
          }
        },
      });
    },
  };
  return {
    work,
    changed,
    planned: () => planned,
    crashAfter: (n: number) => {
      budget = n;
    },
    heal: () => {
      budget = Number.POSITIVE_INFINITY;
    },
  };
}

async function newJob(slices = 2): Promise<{ job: SliceJob; messages: SliceMessage[] }> {
  const job: SliceJob = { tenantId: randomUUID(), id: `rg-${Date.now()}-${randomUUID().slice(0, 12)}`, kind: 'regrade', slices, classifications: ['ADWARE'], createdAt: clock.now().toISOString() };
  await createJob(tables, job);
  return { job, messages: sliceMessages(job).map((message) => sliceMessageSchema.parse(message.body)) };
}

describe('a slice of a job', () => {
  it('loses nothing and counts nothing twice when its process is killed mid-chunk and it is delivered again', async () => {
    const { job, messages } = await newJob(2);
    const [first, second] = messages;
    if (!first || !second) throw new Error('no messages');
    const fleet = devices(250);
    fleet.crashAfter(130); // in the middle of the second chunk of 100
    await expect(runSlice({ tables, clock }, first, fleet.work)).rejects.toThrow('process killed');
    const midway = await readJob(tables, job.tenantId, job.id);
    expect(midway).toMatchObject({ status: 'running', devicesTotal: 250, devicesChanged: 100, slicesDone: 0 });

    fleet.heal();
    const again = await runSlice({ tables, clock }, first, fleet.work);
    expect(again).toEqual({ alreadyDone: false, devicesTotal: 250, devicesChanged: 250 });
    expect(fleet.changed.size).toBe(250);
    expect([...fleet.changed.values()].every((times) => times === 1)).toBe(true);
    // The redelivery started from the chunk in flight: the first chunk was not planned again.
    expect(fleet.planned()).toBe(200 + 150);

    // Delivered once more (a duplicate after completion): nothing is read or changed.
    expect(await runSlice({ tables, clock }, first, fleet.work)).toEqual({ alreadyDone: true, devicesTotal: 250, devicesChanged: 250 });
    expect(fleet.planned()).toBe(350);

    expect((await readJob(tables, job.tenantId, job.id))?.status).toBe('running');
    await runSlice({ tables, clock }, second, devices(7).work);
    expect(await readJob(tables, job.tenantId, job.id)).toMatchObject({ status: 'completed', devicesTotal: 257, devicesChanged: 257, slicesDone: 2 });
  });

  it('counts a chunk once when the process is killed right after applying it, before its progress is written', async () => {
    const { job, messages } = await newJob(1);
    const [only] = messages;
    if (!only) throw new Error('no message');
    const fleet = devices(200);
    fleet.crashAfter(200); // every device changed, the crash comes before the final progress write
    const killing: SliceWork<{ id: string }> = {
      items: () => fleet.work.items(),
      plan: async (chunk) => {
        const planned = await fleet.work.plan(chunk);
        return {
          changed: planned.changed,
          apply: async () => {
            await planned.apply();
            if (fleet.changed.size === 200) throw new Error('process killed');
          },
        };
      },
    };
    await expect(runSlice({ tables, clock }, only, killing)).rejects.toThrow('process killed');
    fleet.heal();
    expect(await runSlice({ tables, clock }, only, fleet.work)).toMatchObject({ devicesChanged: 200 });
    expect(await readJob(tables, job.tenantId, job.id)).toMatchObject({ status: 'completed', devicesChanged: 200, devicesTotal: 200 });
  });

  it('lets one of two deliveries of the same slice at once progress; the other stops', async () => {
    const { job, messages } = await newJob(1);
    const [only] = messages;
    if (!only) throw new Error('no message');
    const fleet = devices(300);
    const results = await Promise.allSettled([runSlice({ tables, clock }, only, fleet.work), runSlice({ tables, clock }, only, fleet.work)]);
    const busy = results.filter((result) => result.status === 'rejected');
    expect(busy.length).toBeLessThanOrEqual(1);
    for (const result of busy) expect(result.status === 'rejected' && result.reason instanceof SliceBusy).toBe(true);
    expect(fleet.changed.size).toBe(300);
    expect(await readJob(tables, job.tenantId, job.id)).toMatchObject({ status: 'completed', devicesChanged: 300 });
  });

  it('cuts the 256 device partitions into slices that cover each exactly once', () => {
    for (const slices of [1, 3, 16, 256]) {
      const all = Array.from({ length: slices }, (_unused, slice) => sliceBuckets(slice, slices)).flat();
      expect(all).toHaveLength(256);
      expect(new Set(all).size).toBe(256);
    }
  });
});
