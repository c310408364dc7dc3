/**
 * Connector health for the console (`GET /api/v1/console/health`) and the tenant's hourly heartbeat job: the checks
 * (checks.ts), kept briefly per process (runtime.ts) so a console polling it costs little, and any change of the
 * overall status recorded once (status.ts).
 */
import { toError } from '../base/errors.js';
import { evaluateHealth, type HealthCheckDeps } from './checks.js';
import type { HealthReport } from './report.js';
import type { HealthRuntime } from './runtime.js';
import { noteHealth, type HealthChangeDeps } from './status.js';

export type HealthDeps = HealthCheckDeps & HealthChangeDeps & { readonly health: HealthRuntime };

/**
 * The tenant's health, from the brief per-process cache when fresh. Callers that miss the cache while an evaluation
 * of the tenant is running wait for that one instead of starting another (and another token request).
 */
export function tenantHealth(deps: HealthDeps, tenantId: string): Promise<HealthReport> {
  const cached = deps.health.cache.get(tenantId);
  if (cached) return Promise.resolve(cached);
  const running = deps.health.inFlight.get(tenantId);
  if (running) return running;
  const evaluation = (async () => {
    const report = await evaluateHealth(deps, tenantId);
    deps.health.cache.set(tenantId, report);
    try {
      await noteHealth(deps, tenantId, report);
    } catch (caught) {
      deps.log.error(`Could not record a health change for tenant ${tenantId}: ${toError(caught).message}`);
    }
    return report;
  })();
  const shared = evaluation.finally(() => {
    if (deps.health.inFlight.get(tenantId) === shared) deps.health.inFlight.delete(tenantId);
  });
  deps.health.inFlight.set(tenantId, shared);
  return shared;
}
