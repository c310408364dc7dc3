/**
 * Starts a simulator over HTTPS for one test file, with the certificate the global setup made (its CA is
 * trusted by the workers through NODE_EXTRA_CA_CERTS).
 */
import { readFile } from 'node:fs/promises';
import { Client } from '@microsoft/microsoft-graph-client';
import { loadDefaultScenario } from '../../../dev/sim/scenario.js';
import type { Scenario } from '../../../dev/sim/scenario.js';
import { startSimulator } from '../../../dev/sim/server.js';
import type { Simulator } from '../../../dev/sim/server.js';

export const CONTOSO = '11111111-1111-4111-8111-111111111111';
export const FABRIKAM = '22222222-2222-4222-8222-222222222222';

export async function startTestSimulator(scenario?: Scenario): Promise<Simulator> {
  const certFile = process.env.TEST_TLS_CERT_FILE;
  const keyFile = process.env.TEST_TLS_KEY_FILE;
  if (!certFile || !keyFile || !process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error('TEST_TLS_CERT_FILE, TEST_TLS_KEY_FILE and NODE_EXTRA_CA_CERTS come from test/support/globalSetup.ts');
  }
  return startSimulator({
    cert: await readFile(certFile),
    key: await readFile(keyFile),
    scenario: scenario ?? (await loadDefaultScenario()),
  });
}

/** A real Graph client pointed at the simulator, with an app-only token minted in-process. */
export function graphClient(sim: Simulator, tenantId: string): Client {
  return Client.initWithMiddleware({
    baseUrl: sim.url,
    customHosts: new Set(['localhost']),
    defaultVersion: 'v1.0',
    authProvider: { getAccessToken: () => sim.state.mintAppToken(tenantId) },
  });
}

/** JSON call to the control API. */
export async function control(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  return { status: res.status, body: parsed };
}
