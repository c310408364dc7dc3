/** What connector health reads of a tenant's webhook endpoints: whether each delivers, never its secrets. */
import type { TableStore } from '../storage/index.js';
import { listEndpointRows } from './endpoints.js';

export interface EndpointState {
  readonly url: string;
  readonly enabled: boolean;
  readonly disabledReason?: string;
  /** Set while the latest attempt failed: when the failures began. */
  readonly failingSince?: string;
  readonly lastFailure?: string;
}

/** The tenant's endpoints in creation order (at most 10). */
export async function listEndpointStates(tables: TableStore, tenantId: string): Promise<EndpointState[]> {
  return (await listEndpointRows({ tables }, tenantId)).map((row) => ({
    url: row.url,
    enabled: row.enabled,
    ...(row.disabledReason !== undefined ? { disabledReason: row.disabledReason } : {}),
    ...(row.failingSince !== undefined ? { failingSince: row.failingSince } : {}),
    ...(row.lastFailure !== undefined ? { lastFailure: row.lastFailure } : {}),
  }));
}
