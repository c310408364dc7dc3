/**
 * Writes web/dist/config.json for a deployment (azure.yaml runs it before the console is uploaded), from azd's
 * environment: CONSOLE_CLIENT_ID (the console's SPA registration), CONNECTOR_CLIENT_ID (the API, whose scope
 * `api://{id}/access_as_user` the console asks for), PUBLIC_BASE_URL (the function app) and, for a national cloud,
 * ENTRA_AUTHORITY_HOST; and PROVIDER_TENANT_ID, the provider's own tenant, whose users holding `Provider.Support` see the
 * provider pages (Tenants, Usage). It also adds the console's security headers (the Content-Security-Policy names the API's and
 * the authority's origins) to the Static Web App's `globalHeaders` in staticwebapp.config.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { consoleSecurityHeaders, consoleSettings, defaultConsoleDist } from './host/console.js';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(
      name === 'PUBLIC_BASE_URL'
        ? 'console config: PUBLIC_BASE_URL is not known yet: run `azd provision` first (it records the function app URL), then `azd deploy`'
        : `console config: ${name} is not set (azd env set ${name} ...): see docs/DEPLOY.md, "The web console"`,
    );
    process.exit(1);
  }
  return value;
}

const authorityHost = process.env.ENTRA_AUTHORITY_HOST?.trim() || 'https://login.microsoftonline.com';
const settings = consoleSettings({
  authorityHost,
  clientId: required('CONSOLE_CLIENT_ID'),
  apiClientId: required('CONNECTOR_CLIENT_ID'),
  apiBaseUrl: required('PUBLIC_BASE_URL'),
  providerTenantId: process.env.PROVIDER_TENANT_ID?.trim() || undefined,
});
// MSAL knows Microsoft's public cloud; other authority hosts are listed so it skips instance discovery.
if (authorityHost === 'https://login.microsoftonline.com') settings.knownAuthorities = [];
const dist = process.argv[2] ?? defaultConsoleDist;
const file = join(dist, 'config.json');
await writeFile(file, `${JSON.stringify(settings, null, 2)}\n`);
console.log(`console config: ${file} (client ${settings.clientId}, API ${settings.apiBaseUrl})`);

const hostingFile = join(dist, 'staticwebapp.config.json');
const hosting = z.looseObject({ globalHeaders: z.record(z.string(), z.string()).optional() }).parse(JSON.parse(await readFile(hostingFile, 'utf8')));
await writeFile(hostingFile, `${JSON.stringify({ ...hosting, globalHeaders: { ...hosting.globalHeaders, ...consoleSecurityHeaders(settings) } }, null, 2)}\n`);
console.log(`console config: ${hostingFile} (Content-Security-Policy for ${settings.apiBaseUrl} and ${settings.authority})`);
