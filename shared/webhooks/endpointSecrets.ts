/**
 * The signing secrets of webhook endpoints as stored: sealed (shared/base/secretBox.ts) for the row they live in, so a
 * copy of the `webhooks` table cannot sign deliveries. A row written before encryption holds its secrets in clear;
 * they still sign, and the row is written again sealed the next time it is touched (a delivery, a change, a rotation).
 */
import { z } from 'zod';
import type { CorePorts } from '../ports.js';
import { NO_CHANGE, updateEntity } from '../storage/index.js';

type SecretDeps = Pick<CorePorts, 'secrets'>;

/** What a sealed secret is bound to: the endpoint's row. */
export function endpointSecretContext(tenantId: string, endpointId: string): string {
  return `webhooks/${tenantId}/${endpointId}`;
}

export function sealEndpointSecret(deps: SecretDeps, tenantId: string, endpointId: string, secret: string): Promise<string> {
  return deps.secrets.seal(secret, endpointSecretContext(tenantId, endpointId));
}

export function openEndpointSecret(deps: SecretDeps, tenantId: string, endpointId: string, stored: string): Promise<string> {
  return deps.secrets.open(stored, endpointSecretContext(tenantId, endpointId));
}

interface SecretFields {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly secret: string;
  readonly previousSecret?: string | undefined;
}

/** The stored secrets of `row` that should be written again (in clear, or sealed under a replaced key), sealed now. */
export async function resealedSecrets(deps: SecretDeps, row: SecretFields): Promise<{ secret?: string; previousSecret?: string }> {
  const reseal = async (stored: string | undefined): Promise<string | undefined> => {
    if (stored === undefined || !deps.secrets.needsReseal(stored)) return undefined;
    const plain = await openEndpointSecret(deps, row.partitionKey, row.rowKey, stored);
    return sealEndpointSecret(deps, row.partitionKey, row.rowKey, plain);
  };
  const [secret, previousSecret] = await Promise.all([reseal(row.secret), reseal(row.previousSecret)]);
  return { ...(secret !== undefined ? { secret } : {}), ...(previousSecret !== undefined ? { previousSecret } : {}) };
}

/**
 * Replaces the secrets `resealed` names in a row that still holds what `read` held (a concurrent rotation wins).
 * Secrets that do not need it are left alone; a failure only leaves the row as it was.
 */
export async function writeResealed(deps: SecretDeps & Pick<CorePorts, 'tables' | 'log'>, read: SecretFields): Promise<void> {
  try {
    const resealed = await resealedSecrets(deps, read);
    if (resealed.secret === undefined && resealed.previousSecret === undefined) return;
    await updateEntity(
      deps.tables.table('webhooks'),
      read.partitionKey,
      read.rowKey,
      (row) => {
        if (!row) return NO_CHANGE;
        const { partitionKey: _pk, rowKey: _rk, etag: _etag, timestamp: _ts, ...rest } = row;
        const next = { ...rest };
        if (resealed.secret !== undefined && rest.secret === read.secret) next.secret = resealed.secret;
        if (resealed.previousSecret !== undefined && rest.previousSecret === read.previousSecret) next.previousSecret = resealed.previousSecret;
        return next.secret === rest.secret && next.previousSecret === rest.previousSecret ? NO_CHANGE : next;
      },
      // Loose: every other field of the row is written back as it was read.
      { schema: secretRowSchema },
    );
  } catch (caught) {
    deps.log.warn(`webhook endpoint ${read.rowKey}: its secrets stay as stored until the next write (${caught instanceof Error ? caught.name : 'error'})`);
  }
}

const secretRowSchema = z.looseObject({ secret: z.string(), previousSecret: z.string().optional() });
