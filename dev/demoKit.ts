/**
 * Helpers for `npm run demo`: named steps run in order against a running `npm run dev`, each printed with its
 * outcome; the first failure stops the demo with a non-zero exit code.
 *
 * Settings: BASE_URL (default http://localhost:7071), SIM_URL (default https://localhost:7443), DEV_FUNCTION_KEY
 * (default `dev`), DEV_DATA_DIR (default `.local`, where the local CA is).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { ManualClock } from '../shared/base/clock.js';
import { parseConfig } from '../shared/base/config.js';
import { toError } from '../shared/base/errors.js';
import type { Logger } from '../shared/base/logger.js';
import { readDeviceCounts } from '../shared/devices/deviceCounters.js';
import { connectorSettingsSchema } from '../shared/domain/index.js';
import { syncTenant } from '../shared/enrollment/sync.js';
import { createGraphAccess } from '../shared/graph/index.js';
import { sendActivationReminders } from '../shared/mail/activationReminders.js';
import { createSendGridSender } from '../shared/sendgrid/sendgrid.js';
import { createTableStore, encodeKey } from '../shared/storage/index.js';
import { updateTenantConfig } from '../shared/tenants/tenantConfig.js';
import { activateTenant, createTenant } from '../shared/tenants/tenantRepository.js';
import { startAzurite } from './azurite.js';
import { devSettings } from './devSettings.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export const demoSettings = {
  baseUrl: (process.env.BASE_URL ?? 'http://localhost:7071').replace(/\/+$/, ''),
  simUrl: (process.env.SIM_URL ?? 'https://localhost:7443').replace(/\/+$/, ''),
  functionKey: process.env.DEV_FUNCTION_KEY ?? 'dev',
  dataDir: resolve(process.env.DEV_DATA_DIR ?? join(root, '.local')),
};

/**
 * Node reads NODE_EXTRA_CA_CERTS only at start-up: when it does not name the local CA yet, run this script again
 * in a child process that trusts it, and exit with the child's code. Returns when trust is already in place.
 */
export function trustLocalCa(): void {
  const caFile = join(demoSettings.dataDir, 'tls', 'ca.crt');
  if (process.env.MTD_DEMO_CA_TRUSTED === '1' || !existsSync(caFile)) return;
  // Node reads NODE_EXTRA_CA_CERTS only at start-up: run again with the local CA added to whatever was trusted.
  const existing = process.env.NODE_EXTRA_CA_CERTS;
  let trust = caFile;
  if (existing && existsSync(existing) && resolve(existing) !== resolve(caFile)) {
    trust = join(demoSettings.dataDir, 'tls', 'demo-trust-bundle.pem');
    writeFileSync(trust, `${readFileSync(existing, 'utf8').trim()}\n${readFileSync(caFile, 'utf8').trim()}\n`);
  }
  const result = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: trust, MTD_DEMO_CA_TRUSTED: '1' },
  });
  process.exit(result.status ?? 1);
}

export class DemoFailure extends Error {
  readonly code = 'ERR_DEMO_STEP';
  constructor(message: string) {
    super(message);
    this.name = 'DemoFailure';
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

async function call(url: string, init: RequestInit): Promise<Reply> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = toError(error);
    const detail = cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message;
    throw new DemoFailure(`${init.method ?? 'GET'} ${url}: ${detail}. Is \`npm run dev\` running?`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export interface ApiOptions {
  /** A bearer token (console, user, or device credential). */
  token?: string;
  /** Send the function key: `true` for DEV_FUNCTION_KEY, or a key. */
  functionKey?: boolean | string;
  /** A JSON body. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the service: `api('GET', '/api/health')`. */
export function api(method: string, path: string, options: ApiOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.functionKey) {
    headers['x-functions-key'] = options.functionKey === true ? demoSettings.functionKey : options.functionKey;
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return call(`${demoSettings.baseUrl}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
}

/** Calls the simulated tenant (its `/_sim/` control API, or Graph/Entra as the service would). */
export function sim(method: string, path: string, body?: unknown): Promise<Reply> {
  return call(`${demoSettings.simUrl}${path}`, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** Fails the step unless the reply has the status; returns the reply for chaining. */
export function expectStatus(reply: Reply, status: number, what = 'the call'): Reply {
  if (reply.status !== status) {
    const detail =
      typeof reply.json === 'object' && reply.json !== null && 'detail' in reply.json ? String(reply.json.detail) : reply.text.slice(0, 300);
    throw new DemoFailure(`${what} answered ${reply.status}, expected ${status}: ${detail}`);
  }
  return reply;
}

/** Fails the step when the condition does not hold. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new DemoFailure(message);
}

export interface Step {
  readonly name: string;
  /** Returns an optional one-line note printed after the step's name. */
  readonly run: () => Promise<string | void>;
}

export function step(name: string, run: () => Promise<string | void>): Step {
  return { name, run };
}

/** Runs the steps in order, printing each; exits non-zero at the first failure. */
export async function runDemo(steps: readonly Step[]): Promise<void> {
  console.log(`Demo against ${demoSettings.baseUrl} (tenant ${demoSettings.simUrl})\n`);
  let index = 0;
  for (const current of steps) {
    index += 1;
    const started = Date.now();
    const label = `${String(index).padStart(2)}. ${current.name}`;
    try {
      const note = await current.run();
      console.log(`  ok    ${label}${note ? ` — ${note}` : ''} (${Date.now() - started} ms)`);
    } catch (error) {
      const failure = toError(error);
      console.log(`  FAIL  ${label} (${Date.now() - started} ms)\n        ${failure.message}`);
      process.exitCode = 1;
      return;
    }
  }
  console.log(`\nAll ${steps.length} steps passed.`);
}

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Activation reminders `days` days on, without waiting `days` days: the tenant's discovery and reminder run are
 * played against a scratch in-memory Azurite with a clock moved forward, through the same use cases the service runs
 * and the same simulated Graph and SendGrid, so the reminder mail lands in the simulator's SendGrid. The running
 * service's own storage is not touched.
 */
export async function remindersWithMovedClock(input: {
  tenantId: string;
  displayName: string;
  enrollmentGroup: string;
  days: number;
  installUrl: string;
}): Promise<{ sent: number; pending: number }> {
  const azurite = await startAzurite({ inMemory: true });
  try {
    const config = parseConfig({
      ...devSettings({ env: process.env, simUrl: demoSettings.simUrl, storage: azurite.connectionString }),
      SECRETS_KEY: randomBytes(32).toString('base64'),
    });
    const tables = createTableStore({ connectionString: azurite.connectionString }, { prefix: 'Demo' });
    await tables.ensureTables();
    const clock = new ManualClock(new Date().toISOString());
    const at = clock.now().toISOString();
    await createTenant(tables, input.tenantId, {
      displayName: input.displayName,
      fullAccessGroupId: randomUUID(),
      primaryContactEmail: 'it@contoso.test',
      status: 'provisioned',
      createdAt: at,
    });
    await activateTenant(tables, input.tenantId, { at });
    await tables.table('enrollmentGroups').upsertEntity({
      partitionKey: input.tenantId,
      rowKey: encodeKey(input.enrollmentGroup),
      displayName: input.enrollmentGroup,
      status: 'unchecked',
      addedAt: at,
      addedBy: 'demo',
    });
    const graph = createGraphAccess(config);
    const outcome = await syncTenant({ tables, graph, queues: () => ({ send: () => Promise.resolve() }), clock, log: quiet }, input.tenantId);
    if (outcome.status !== 'completed') throw new DemoFailure(`discovery in the scratch copy ${outcome.status}`);
    await updateTenantConfig(tables, input.tenantId, (current) => ({
      settings: connectorSettingsSchema.parse({ ...current.settings, activationReminderDays: input.days, agentInstallUrl: input.installUrl }),
    }));
    clock.advance(input.days * 86_400_000 + 60_000);
    const mail = createSendGridSender(config, { log: quiet });
    const run = await sendActivationReminders({ tables, clock, log: quiet, graph, mail }, { tenantId: input.tenantId, displayName: input.displayName });
    const counts = await readDeviceCounts(tables, input.tenantId);
    return { sent: run.sent, pending: counts.byStatus.pending };
  } finally {
    await azurite.stop();
  }
}
