/**
 * Per-process parts of connector health: the consent probe (a port, so tests answer it) and the brief per-tenant
 * cache of reports, so a console polling the health costs little.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../base/config.js';
import { toError } from '../base/errors.js';
import { redact } from '../errorReports/errorReports.js';
import { appTokenRoles, defaultCredentialFactory, graphScope } from '../graph/graphAccess.js';
import type { HealthReport } from './report.js';

/** A fresh app token's verdict: obtained, with its `roles` (the application permissions granted), or not. */
export type ConsentProbe = (tenantId: string) => Promise<{ ok: true; roles: readonly string[] } | { ok: false; detail: string }>;

export interface HealthRuntime {
  /** Obtains a fresh app token for the tenant (no cached token), proving consent still stands. */
  readonly probeConsent: ConsentProbe;
  readonly cache: LRUCache<string, HealthReport>;
  /** Evaluations running now, by tenant: concurrent cache misses share one (one evaluation, one token request). */
  readonly inFlight: Map<string, Promise<HealthReport>>;
}

/** The default probe: a new credential each time, so no token cached by an earlier call can hide a revoked consent. */
export function tokenConsentProbe(config: Config): ConsentProbe {
  const credentialFor = defaultCredentialFactory(config);
  const scope = graphScope(config.GRAPH_BASE_URL);
  return async (tenantId) => {
    try {
      const token = await credentialFor(tenantId).getToken(scope);
      return token ? { ok: true, roles: appTokenRoles(token.token) } : { ok: false, detail: 'Entra ID returned no token.' };
    } catch (caught) {
      const message = toError(caught).message;
      const code = /AADSTS\d+/.exec(message)?.[0];
      return { ok: false, detail: redact(code ? `${code}: ${message.slice(message.indexOf(code) + code.length + 1).split(/\.\s/)[0] ?? ''}` : message.split('\n')[0] ?? '') };
    }
  };
}

export function createHealthRuntime(config: Config, options: { ttlMs?: number; probeConsent?: ConsentProbe } = {}): HealthRuntime {
  return {
    probeConsent: options.probeConsent ?? tokenConsentProbe(config),
    cache: new LRUCache<string, HealthReport>({ max: 10_000, ttl: Math.max(1, options.ttlMs ?? 30_000) }),
    inFlight: new Map(),
  };
}
