/**
 * Feed readers waiting for a tenant's next event (the feed's `wait`): woken when this process publishes for the
 * tenant, else after their time. A few per tenant at most, so long polls cannot pile up in one process.
 */

export interface PublicationWaiters {
  /** Wakes every reader of the tenant waiting in this process. */
  readonly notify: (tenantId: string) => void;
  /** Resolves when this process publishes for the tenant, or after `ms`; false if too many already wait. */
  readonly waitForPublication: (tenantId: string, ms: number) => Promise<boolean>;
}

export function createPublicationWaiters(maxWaitersPerTenant: number): PublicationWaiters {
  const waiters = new Map<string, Set<() => void>>();

  function notify(tenantId: string): void {
    const set = waiters.get(tenantId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  function waitForPublication(tenantId: string, ms: number): Promise<boolean> {
    let set = waiters.get(tenantId);
    if (set && set.size >= maxWaitersPerTenant) return Promise.resolve(false);
    if (!set) {
      set = new Set();
      waiters.set(tenantId, set);
    }
    const tenantWaiters = set;
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        tenantWaiters.delete(wake);
        if (tenantWaiters.size === 0 && waiters.get(tenantId) === tenantWaiters) waiters.delete(tenantId);
        resolve(true);
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      tenantWaiters.add(wake);
    });
  }

  return { notify, waitForPublication };
}
