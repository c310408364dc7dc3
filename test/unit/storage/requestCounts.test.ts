import { afterEach, describe, expect, it } from 'vitest';
import { classifyStorageRequest, countStorageRequests, noteStorageRequest, withStorageCause, type StorageRequestCounter } from '../../../shared/storage/requestCounts.js';

const base = 'http://127.0.0.1:10002/devstoreaccount1';
let counter: StorageRequestCounter | undefined;

afterEach(() => counter?.stop());

describe('storage requests by cause', () => {
  it('tells point reads, queries, writes, deletes, transactions and table calls apart', () => {
    expect(classifyStorageRequest('GET', `${base}/XDevices(PartitionKey='t%7C0a',RowKey='d1')`)).toEqual({ table: 'XDevices', kind: 'read' });
    expect(classifyStorageRequest('GET', `${base}/XDevices()?$filter=PartitionKey%20eq%20'a'`)).toEqual({ table: 'XDevices', kind: 'query' });
    expect(classifyStorageRequest('PUT', `${base}/XThreats(PartitionKey='a',RowKey='s%7Cd1')`)).toEqual({ table: 'XThreats', kind: 'write' });
    expect(classifyStorageRequest('PATCH', `${base}/XThreats(PartitionKey='a',RowKey='b')`)).toEqual({ table: 'XThreats', kind: 'write' });
    expect(classifyStorageRequest('POST', `${base}/XEvents`)).toEqual({ table: 'XEvents', kind: 'write' });
    expect(classifyStorageRequest('DELETE', `${base}/XEvents(PartitionKey='a',RowKey='b')`)).toEqual({ table: 'XEvents', kind: 'delete' });
    expect(classifyStorageRequest('POST', `${base}/$batch`)).toEqual({ table: '$batch', kind: 'batch' });
    expect(classifyStorageRequest('POST', `${base}/Tables`)).toEqual({ table: 'Tables', kind: 'table' });
  });

  it('counts each request under the cause of the work that sent it, across awaits and work it starts', async () => {
    counter = countStorageRequests();
    const background: Promise<void>[] = [];
    await withStorageCause('report', async () => {
      noteStorageRequest('PUT', `${base}/XThreats(PartitionKey='a',RowKey='b')`);
      await new Promise((resolve) => setTimeout(resolve, 1));
      background.push(withStorageCause('relay', async () => {
        await Promise.resolve();
        noteStorageRequest('GET', `${base}/XThreats()`);
      }));
      noteStorageRequest('POST', `${base}/$batch`);
    });
    await Promise.all(background);
    noteStorageRequest('GET', `${base}/XTenants(PartitionKey='a',RowKey='b')`);
    expect(counter.counts().byCause).toEqual({
      report: { read: 0, query: 0, write: 1, delete: 0, batch: 1, table: 0 },
      relay: { read: 0, query: 1, write: 0, delete: 0, batch: 0, table: 0 },
      other: { read: 1, query: 0, write: 0, delete: 0, batch: 0, table: 0 },
    });
    expect(counter.total()).toBe(4);
    expect(counter.total('report')).toBe(2);
  });

  it('counts nothing once stopped', () => {
    counter = countStorageRequests();
    counter.stop();
    noteStorageRequest('GET', `${base}/XTenants()`);
    expect(counter.total()).toBe(0);
  });
});
