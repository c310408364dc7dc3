/**
 * Serves the built web console (web/dist) on its own origin, as Azure Static Web Apps does: files, `/config.json`
 * (the console's settings for this run), and `index.html` for every other path (client-side routes).
 * Also builds it: `ensureConsoleBuild` runs `vite build` when web/dist is missing or older than its sources.
 */
import { createServer } from 'node:http';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePath, guarded, requestUrl } from './guard.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const webRoot = join(repoRoot, 'web');
export const defaultConsoleDist = join(webRoot, 'dist');

/** The console's settings (web/src/config.ts reads them). */
export interface ConsoleSettings {
  clientId: string;
  authority: string;
  apiScope: string;
  apiBaseUrl: string;
  knownAuthorities: string[];
  /** The provider's own tenant: its users with `Provider.Support` see the provider pages (absent: nobody does). */
  providerTenantId?: string;
}

export interface ConsoleServer {
  /** `http://localhost:<port>`: the console's origin. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The console's settings for a run: its client id, the authority (`{host}/organizations`), the API's scope and origin. */
export function consoleSettings(options: { authorityHost: string; clientId: string; apiClientId: string; apiBaseUrl: string; providerTenantId?: string | undefined }): ConsoleSettings {
  const host = options.authorityHost.replace(/\/+$/, '');
  return {
    clientId: options.clientId,
    authority: `${host}/organizations`,
    apiScope: `api://${options.apiClientId}/access_as_user`,
    apiBaseUrl: options.apiBaseUrl,
    knownAuthorities: [new URL(host).host],
    ...(options.providerTenantId ? { providerTenantId: options.providerTenantId.toLowerCase() } : {}),
  };
}

/**
 * The headers every console response carries, here and in Azure (dev/consoleConfig.ts writes them into
 * staticwebapp.config.json): scripts only from the console's own origin (none inline), connections only to itself,
 * the API and the authority, the authority's pages in frames (MSAL's silent renewal) and the console in none.
 * Styles may be inline: Fluent UI inserts its style rules at run time.
 */
export function consoleSecurityHeaders(settings: Pick<ConsoleSettings, 'apiBaseUrl' | 'authority'>): Record<string, string> {
  const api = new URL(settings.apiBaseUrl).origin;
  const authority = new URL(settings.authority).origin;
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${api} ${authority}`,
    `frame-src ${authority}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

export async function startConsoleServer(options: {
  port?: number;
  host?: string;
  dist?: string;
  settings: ConsoleSettings | (() => ConsoleSettings);
}): Promise<ConsoleServer> {
  const dist = resolve(options.dist ?? defaultConsoleDist);
  const settings = typeof options.settings === 'function' ? options.settings : () => options.settings as ConsoleSettings;
  const server = createServer(
    guarded(async (request, response) => {
      const current = settings();
      for (const [name, value] of Object.entries(consoleSecurityHeaders(current))) response.setHeader(name, value);
      const url = requestUrl(request);
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url.pathname === '/config.json') {
        const body = JSON.stringify(current);
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
        return;
      }
      const wanted = normalize(join(dist, decodePath(url.pathname)));
      const inside = wanted.startsWith(dist + sep) && existsSync(wanted) && statSync(wanted).isFile();
      const file = inside ? wanted : join(dist, 'index.html');
      if (!inside && extname(url.pathname) !== '') {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          'content-type': types[extname(file)] ?? 'application/octet-stream',
          'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      } catch {
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' }).end('The console is not built: run `npm run build:web`.');
      }
    }),
  );
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when web/dist exists and is newer than the console's sources. */
export function consoleBuildIsCurrent(dist = defaultConsoleDist): boolean {
  const built = join(dist, 'index.html');
  if (!existsSync(built)) return false;
  // web/ and the schema modules the console bundles (shared/domain); other shared/ imports are type-only.
  const sources = [join(webRoot, 'src'), join(webRoot, 'public'), join(webRoot, 'index.html'), join(webRoot, 'vite.config.ts'), join(repoRoot, 'shared', 'domain')];
  return statSync(built).mtimeMs >= Math.max(...sources.map(newestMtime));
}

/** Builds the console with Vite unless web/dist is current. Returns true when it built. */
export async function ensureConsoleBuild(options: { dist?: string; force?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  const dist = resolve(options.dist ?? defaultConsoleDist);
  if (!options.force && consoleBuildIsCurrent(dist)) return false;
  options.log?.(`building the web console into ${dist}`);
  const { build } = await import('vite');
  await build({ configFile: join(webRoot, 'vite.config.ts'), build: { outDir: dist, emptyOutDir: true }, logLevel: 'error' });
  return true;
}
