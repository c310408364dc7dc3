/**
 * Error reports go only to addresses in the tenant's verified domains (Graph `GET /v1.0/domains`, `isVerified`), so
 * a console admin cannot have the provider's mail sent to outside addresses. The domains are read once per tenant and
 * reused for 5 minutes in this process; an address outside them re-reads at most every 10 seconds (a domain verified a
 * moment ago is found), and concurrent checks of one tenant share one read.
 */
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { toError } from '../base/errors.js';
import { GraphError, listAllItems } from '../graph/index.js';
import { HttpError } from '../http/problem.js';
import type { CorePorts } from '../ports.js';

export type VerifiedDomainDeps = Pick<CorePorts, 'graph' | 'clock'>;

const domainSchema = z.object({ id: z.string(), isVerified: z.boolean() });

interface Known {
  readonly domains: ReadonlySet<string>;
  readonly at: number;
}

const freshMs = 5 * 60_000;
const rereadAfterMs = 10_000;
const known = new LRUCache<string, Known>({ max: 10_000 });
const reading = new Map<string, Promise<Known>>();

function readDomains(deps: VerifiedDomainDeps, tenantId: string): Promise<Known> {
  const key = tenantId.toLowerCase();
  const running = reading.get(key);
  if (running) return running;
  const read = (async (): Promise<Known> => {
    try {
      const items = await listAllItems(deps.graph.graph(key), '/domains?$select=id,isVerified', domainSchema, { maxPages: 10 });
      const entry = { domains: new Set(items.filter((item) => item.isVerified).map((item) => item.id.toLowerCase())), at: deps.clock.now().getTime() };
      known.set(key, entry);
      return entry;
    } catch (caught) {
      if (caught instanceof GraphError && caught.status === 403) {
        throw new HttpError(503, "Your organization's verified domains cannot be read: the connector lacks the Domain.Read.All permission. An administrator must grant admin consent again.", {
          headers: { 'retry-after': '60' },
        });
      }
      throw new HttpError(503, `Your organization's verified domains cannot be read right now (${toError(caught).message.slice(0, 200)}); please retry shortly.`, {
        headers: { 'retry-after': '5' },
      });
    } finally {
      reading.delete(key);
    }
  })();
  reading.set(key, read);
  return read;
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * Refuses (400, naming them) the addresses that are not in one of the tenant's verified domains. Nothing is read for
 * an empty list.
 */
export async function requireVerifiedDomains(deps: VerifiedDomainDeps, tenantId: string, addresses: readonly string[], path: string): Promise<void> {
  if (addresses.length === 0) return;
  const now = deps.clock.now().getTime();
  let entry = known.get(tenantId.toLowerCase());
  if (!entry || now - entry.at > freshMs) entry = await readDomains(deps, tenantId);
  const outside = (domains: ReadonlySet<string>) => addresses.filter((address) => !domains.has(domainOf(address)));
  if (outside(entry.domains).length > 0 && now - entry.at > rereadAfterMs) entry = await readDomains(deps, tenantId);
  const refused = outside(entry.domains);
  if (refused.length === 0) return;
  throw new HttpError(400, `Error reports go only to addresses in your organization's verified domains; not: ${refused.join(', ')}.`, {
    errors: addresses.flatMap((address, index) =>
      refused.includes(address) ? [{ path: `${path}.${index}`, message: `${address} is not in a verified domain of your organization` }] : [],
    ),
  });
}
