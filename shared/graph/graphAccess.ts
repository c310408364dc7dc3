/**
 * Per-tenant access to Microsoft Graph (and the Intune partner API) with app-only tokens.
 *
 * One credential and one client per tenant and API, built on first use and kept (least recently used dropped beyond
 * a bound) for the life of the process.
 * The middleware chain is ours: retry (429 with Retry-After, 5xx and network failures with exponential backoff and
 * jitter, bounded) → the SDK's authentication handler → a counting fetch. Every failure reaches callers as a
 * `GraphError`.
 */
import { LRUCache } from 'lru-cache';
import { AuthenticationHandler, Client } from '@microsoft/microsoft-graph-client';
import type { AuthenticationProvider, Context, Middleware, MiddlewareOptions } from '@microsoft/microsoft-graph-client';
import { AuthenticationError, ClientAssertionCredential, ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { Config } from '../base/config.js';
import { toError } from '../base/errors.js';
import { GraphError, codeForStatus, parseGraphErrorBody, parseRetryAfter } from './graphError.js';

export interface GraphStats {
  /** HTTP requests sent to Graph or the Intune partner API, retries included. */
  requests: number;
  /** Requests that were retried (throttled, 5xx or no answer). */
  retries: number;
}

export interface GraphAccess {
  /** Microsoft Graph (`GRAPH_BASE_URL`, v1.0) with the app's token for this tenant. */
  graph(tenantId: string): Client;
  /** The Intune partner API (`INTUNE_PARTNER_API_BASE_URL`, v1.0) with the app's token for this tenant. */
  intune(tenantId: string): Client;
  /**
   * Obtains a fresh app-only token for the tenant from Entra ID (no cached token): `confirmed` when Entra ID issues
   * one, which it does once the app is in the tenant, with the token's `roles` (the application permissions granted:
   * an app present without them gets a token all the same); `refused` when Entra ID answers that the app is not
   * installed or not allowed in the tenant; `unavailable` when it could not be asked (outage, network).
   */
  confirmAppAccess(tenantId: string): Promise<AppAccess>;
  readonly stats: GraphStats;
}

export type AppAccess = { readonly kind: 'confirmed'; readonly roles: readonly string[] } | { readonly kind: 'refused' } | { readonly kind: 'unavailable' };

const rolesClaimSchema = z.object({ roles: z.array(z.string()).optional() });

/**
 * The `roles` of an app-only access token Entra ID just issued to us (read, not verified: it came straight from the
 * token endpoint over TLS, and only the resource verifies it). None when absent or unreadable.
 */
export function appTokenRoles(token: string): string[] {
  try {
    const parsed = rolesClaimSchema.safeParse(decodeJwt(token));
    return parsed.success ? (parsed.data.roles ?? []) : [];
  } catch {
    return [];
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff delay; doubles each attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A longer Retry-After is not waited for in-line: the call fails with `retryAfterSeconds` for the caller to defer. */
  maxRetryAfterSeconds: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterSeconds: 30,
  timeoutMs: 30_000,
};

export interface GraphAccessOptions {
  /** The app's credential for a tenant; by default a client secret or, in Azure, the managed identity's assertion. */
  credentialFor?: (tenantId: string) => TokenCredential;
  retry?: Partial<RetryPolicy>;
  /** Waits between attempts (tests pass a fast one). */
  sleep?: (milliseconds: number) => Promise<void>;
  random?: () => number;
  /** Most tenants whose credential and clients are kept at once (least recently used dropped first). */
  maxCachedTenants?: number;
}

/** OAuth error codes by which Entra ID refuses a client credentials request (RFC 6749 §5.2). */
const oauthVerdict = /^(unauthorized_client|invalid_client|invalid_grant|invalid_request|invalid_scope|invalid_resource|access_denied)\b/;

const retryableStatuses = new Set([429, 500, 502, 503, 504]);

/**
 * A request option (`client.api(...).middlewareOptions([new NoThrottleRetry()])`): a 429 is not waited for and
 * retried in-line but fails at once with its `retryAfterSeconds`, for callers that reschedule throttled work.
 */
export class NoThrottleRetry implements MiddlewareOptions {}

/** Hosts the Graph SDK already attaches tokens for; any other base URL host must be named in `customHosts`. */
const microsoftGraphHosts = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'graph.microsoft.de',
  'microsoftgraph.chinacloudapi.cn',
  'canary.graph.microsoft.com',
]);

/** The `.default` scope for a Graph base URL: its own resource on Microsoft clouds, the public one elsewhere. */
export function graphScope(baseUrl: string): string {
  const host = new URL(baseUrl).hostname.toLowerCase();
  return microsoftGraphHosts.has(host) ? `https://${host}/.default` : 'https://graph.microsoft.com/.default';
}

const tokenExchangeScope = 'api://AzureADTokenExchange/.default';

/** The default credential factory: client secret when configured, else the managed identity as a federated credential. */
export function defaultCredentialFactory(config: Config): (tenantId: string) => TokenCredential {
  const clientId = config.CONNECTOR_CLIENT_ID;
  const secret = config.CONNECTOR_CLIENT_SECRET;
  const common = { authorityHost: config.ENTRA_AUTHORITY_HOST, disableInstanceDiscovery: true };
  if (secret) return (tenantId) => new ClientSecretCredential(tenantId, clientId, secret, common);
  let managedIdentity: ManagedIdentityCredential | undefined;
  return (tenantId) => {
    const identityClientId = config.CONNECTOR_MANAGED_IDENTITY_CLIENT_ID;
    managedIdentity ??= identityClientId ? new ManagedIdentityCredential({ clientId: identityClientId }) : new ManagedIdentityCredential();
    const identity = managedIdentity;
    return new ClientAssertionCredential(
      tenantId,
      clientId,
      async () => {
        const token = await identity.getToken(tokenExchangeScope);
        return token.token;
      },
      common,
    );
  };
}

function tokenProvider(credential: TokenCredential, scope: string, tenantId: string): AuthenticationProvider {
  return {
    getAccessToken: async () => {
      try {
        const token = await credential.getToken(scope);
        if (!token) throw new Error('the credential returned no token');
        return token.token;
      } catch (caught) {
        const error = toError(caught);
        throw new GraphError('ERR_GRAPH_AUTH', 0, `No app token for tenant ${tenantId}: ${error.name}: ${firstLine(error.message)}`, {
          tenantId,
        });
      }
    },
  };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/** The SDK types requests with the DOM's `RequestInfo`; at run time it is a URL string or a fetch `Request`. */
function requestTarget(context: Context): string | Request {
  const request: unknown = context.request;
  if (typeof request === 'string' || request instanceof Request) return request;
  throw new Error('Unsupported Graph request object');
}

function requestUrl(context: Context): string {
  const target = requestTarget(context);
  return typeof target === 'string' ? target : target.url;
}

/** Sends the request with a per-attempt timeout and counts it. */
class CountingFetch implements Middleware {
  constructor(
    private readonly stats: GraphStats,
    private readonly timeoutMs: number,
  ) {}

  async execute(context: Context): Promise<void> {
    this.stats.requests += 1;
    const options = { ...context.options };
    options.signal ??= AbortSignal.timeout(this.timeoutMs);
    context.response = await fetch(requestTarget(context), options);
  }
}

class RetryAndErrors implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly stats: GraphStats,
    private readonly tenantId: string,
    private readonly sleep: (milliseconds: number) => Promise<void>,
    private readonly random: () => number,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error('RetryAndErrors has no next middleware');
    const originalHeaders: unknown = context.options?.headers;
    const headersSnapshot =
      originalHeaders && typeof originalHeaders === 'object' && !Array.isArray(originalHeaders) && !(originalHeaders instanceof Headers)
        ? { ...(originalHeaders as Record<string, string>) }
        : undefined;
    const method = (context.options?.method ?? 'GET').toUpperCase();
    const url = requestUrl(context);
    for (let attempt = 1; ; attempt += 1) {
      if (headersSnapshot && context.options) context.options.headers = { ...headersSnapshot };
      context.response = undefined;
      try {
        await next.execute(context);
      } catch (caught) {
        if (caught instanceof GraphError) throw caught;
        const error = toError(caught);
        if (attempt < this.policy.maxAttempts) {
          this.stats.retries += 1;
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new GraphError('ERR_GRAPH_NETWORK', 0, `${method} ${url} got no answer: ${error.name}: ${firstLine(error.message)}`, {
          tenantId: this.tenantId,
        });
      }
      const response = context.response as Response | undefined;
      if (!response) throw new GraphError('ERR_GRAPH_NETWORK', 0, `${method} ${url} got no answer`, { tenantId: this.tenantId });
      if (response.ok) return;
      const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
      const noThrottleRetry = context.middlewareControl?.getMiddlewareOptions(NoThrottleRetry) !== undefined;
      const retryable =
        retryableStatuses.has(response.status) &&
        !(response.status === 429 && noThrottleRetry) &&
        attempt < this.policy.maxAttempts &&
        (retryAfterSeconds === undefined || retryAfterSeconds <= this.policy.maxRetryAfterSeconds);
      if (retryable) {
        await response.body?.cancel().catch(() => undefined);
        this.stats.retries += 1;
        await this.sleep(retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : this.backoff(attempt));
        continue;
      }
      const text = await response.text().catch(() => '');
      const body = parseGraphErrorBody(text);
      const graphCode = body.code;
      const detail = body.message ? `: ${firstLine(body.message)}` : '';
      throw new GraphError(
        codeForStatus(response.status),
        response.status,
        `${method} ${new URL(url).pathname} answered ${response.status}${graphCode ? ` ${graphCode}` : ''}${detail}`,
        {
          tenantId: this.tenantId,
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
          ...(graphCode ? { graphCode } : {}),
        },
      );
    }
  }
}

const defaultSleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

export function createGraphAccess(config: Config, options: GraphAccessOptions = {}): GraphAccess {
  const credentialFor = options.credentialFor ?? defaultCredentialFactory(config);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const stats: GraphStats = { requests: 0, retries: 0 };
  const maxTenants = options.maxCachedTenants ?? 20_000;
  const credentials = new LRUCache<string, TokenCredential>({ max: maxTenants });
  const graphClients = new LRUCache<string, Client>({ max: maxTenants });
  const intuneClients = new LRUCache<string, Client>({ max: maxTenants });

  function credential(tenantId: string): TokenCredential {
    let found = credentials.get(tenantId);
    if (!found) {
      found = credentialFor(tenantId);
      credentials.set(tenantId, found);
    }
    return found;
  }

  function build(tenantId: string, baseUrl: string): Client {
    const host = new URL(baseUrl).hostname.toLowerCase();
    const auth = new AuthenticationHandler(tokenProvider(credential(tenantId), graphScope(config.GRAPH_BASE_URL), tenantId));
    return Client.initWithMiddleware({
      baseUrl,
      defaultVersion: 'v1.0',
      middleware: [new RetryAndErrors(policy, stats, tenantId, sleep, random), auth, new CountingFetch(stats, policy.timeoutMs)],
      ...(microsoftGraphHosts.has(host) ? {} : { customHosts: new Set([host]) }),
    });
  }

  function cached(cache: LRUCache<string, Client>, tenantId: string, baseUrl: string): Client {
    const key = tenantId.toLowerCase();
    let client = cache.get(key);
    if (!client) {
      client = build(key, baseUrl);
      cache.set(key, client);
    }
    return client;
  }

  return {
    graph: (tenantId) => cached(graphClients, tenantId, config.GRAPH_BASE_URL),
    intune: (tenantId) => cached(intuneClients, tenantId, config.INTUNE_PARTNER_API_BASE_URL),
    confirmAppAccess: async (tenantId) => {
      try {
        const token = await credentialFor(tenantId.toLowerCase()).getToken(graphScope(config.GRAPH_BASE_URL));
        return token ? { kind: 'confirmed', roles: appTokenRoles(token.token) } : { kind: 'unavailable' };
      } catch (caught) {
        // Entra ID's own OAuth error (unauthorized_client: the app is not installed in the tenant, invalid_client ...)
        // is its verdict; anything else (a 5xx, a time-out, no answer) is an outage. @azure/identity reports the OAuth
        // error code at the start of the message, whichever error class wraps it.
        const error = toError(caught);
        if (caught instanceof AuthenticationError && caught.statusCode >= 400 && caught.statusCode < 500 && caught.statusCode !== 429) {
          return { kind: 'refused' };
        }
        return oauthVerdict.test(error.message) ? { kind: 'refused' } : { kind: 'unavailable' };
      }
    },
    stats,
  };
}
