/**
 * infra/ (Bicep), local.settings.sample.json, host.json and the function catalog agree with the app settings schema
 * in shared/base/config.ts. The schema is read at test time: a setting added to it shows up here at once.
 */
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../../shared/base/config.js';
import { entry, readLiteral, stringLiteral } from './bicepText.js';
import {
  builtInRoles,
  checkAppSettings,
  checkRoleAssignments,
  checkSampleSettings,
  readAppSettings,
  readQueues,
  readRoleAssignments,
} from './checks.js';
import { tenantJobsMaxDeliveryCount } from '../../../shared/jobs/messages.js';
import { deriveSettingsFacts } from './settingsFacts.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const infraDir = join(root, 'infra');

async function bicepFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const item of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) found.push(...(await bicepFiles(path)));
    else if (item.name.endsWith('.bicep')) found.push(path);
  }
  return found.sort();
}

/** Every .bicep file under infra/, joined (each file's declarations stay whole). */
async function readInfra(): Promise<{ text: string; files: Map<string, string> }> {
  const files = new Map<string, string>();
  for (const path of await bicepFiles(infraDir)) files.set(relative(root, path), await readFile(path, 'utf8'));
  return { text: [...files.values()].join('\n\n'), files };
}

const facts = deriveSettingsFacts({ shape: configSchema.in.shape, safeParse: (input) => configSchema.safeParse(input) });

/** A catalog entry as far as these checks need it (functions/handlers.ts owns the real types). */
const catalogModule = z.object({
  catalog: z.array(
    z.union([
      z.object({ kind: z.literal('serviceBusQueue'), name: z.string(), queueName: z.string(), connection: z.string() }),
      z.object({ kind: z.literal('timer'), name: z.string(), schedule: z.string() }),
      z.object({ kind: z.literal('http'), name: z.string() }),
    ]),
  ),
});

describe('app settings in infra/', () => {
  it('sets every setting the app cannot start without, and nothing the schema or the host does not know', async () => {
    const { text } = await readInfra();
    expect(checkAppSettings(facts, text)).toEqual([]);
  });

  it('fails when the schema gains a setting that infra/ does not set', async () => {
    const { text } = await readInfra();
    const grown = configSchema.in.safeExtend({ SIEM_WEBHOOK_URL: z.url() });
    const grownFacts = deriveSettingsFacts({ shape: grown.shape, safeParse: (input) => grown.safeParse(input) });
    expect(grownFacts.required).toContain('SIEM_WEBHOOK_URL');
    expect(checkAppSettings(grownFacts, text)).toEqual([
      'SIEM_WEBHOOK_URL is required by the schema but not set in infra/',
      expect.stringContaining('SIEM_WEBHOOK_URL') as unknown,
    ]);
  });

  it('fails on a Bicep file that lacks a required setting, sets an unknown one, or puts a secret in plain text', () => {
    const fixture = `
module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'site'
  params: {
    appSettingsKeyValuePairs: {
      // CONNECTOR_CLIENT_ID and the schedules are missing
      MAIL_FROM: 'alerts@example.com'
      SENDGRID_API_KEY: 'SG.plain-text'
      CONNECTOR_CLIENT_SECRET: 's3cret'
      AzureWebJobsStorage__tableServiceUri: 'https://st.table.core.windows.net/'
      LEGACY_FLAG: 'true'
      FUNCTIONS_WORKER_RUNTIME: 'node'
    }
  }
}`;
    const problems = checkAppSettings(facts, fixture);
    expect(problems).toEqual(
      expect.arrayContaining([
        'CONNECTOR_CLIENT_ID is required by the schema but not set in infra/',
        expect.stringMatching(/^ENROLLMENT_SYNC_SCHEDULE must be set in infra\//) as unknown,
        expect.stringMatching(/^PUBLIC_BASE_URL must be set in infra\/: its default http:\/\/localhost/) as unknown,
        'SENDGRID_API_KEY holds a secret: set it as a Key Vault reference, not a value',
        'CONNECTOR_CLIENT_SECRET holds a secret: set it as a Key Vault reference, not a value',
        'LEGACY_FLAG is set in infra/ but is neither in the settings schema nor a host setting',
        expect.stringMatching(/^FUNCTIONS_WORKER_RUNTIME must not be set in Azure/) as unknown,
      ]),
    );
  });

  it('rejects a literal value the schema would refuse (a 5-field schedule)', async () => {
    const { text } = await readInfra();
    const broken = text.replace(/ENROLLMENT_SYNC_SCHEDULE: \w+/, "ENROLLMENT_SYNC_SCHEDULE: '*/5 * * * *'");
    expect(broken).not.toEqual(text);
    expect(checkAppSettings(facts, broken)).toContain(
      "ENROLLMENT_SYNC_SCHEDULE = '*/5 * * * *' is not a valid value for the schema",
    );
  });

  it('deploys no client secret and reads the SendGrid key from Key Vault with the user-assigned identity', async () => {
    const { text, files } = await readInfra();
    const settings = new Map(readAppSettings(text).map((setting) => [setting.name, setting.raw]));
    expect(settings.has('CONNECTOR_CLIENT_SECRET')).toBe(false);
    // Two identities: the connector's federated credential is not the one that reaches the app's resources.
    expect(settings.get('CONNECTOR_MANAGED_IDENTITY_CLIENT_ID')).toBe('connectorIdentityClientId');
    expect(settings.get('APP_MANAGED_IDENTITY_CLIENT_ID')).toBe('identityClientId');
    expect(settings.get('SENDGRID_API_KEY')).toMatch(/^'@Microsoft\.KeyVault\(SecretUri=\$\{\w+\}\)'$/);
    const app = files.get(join('infra', 'modules', 'functionApp.bicep')) ?? '';
    expect(app).toMatch(/keyVaultAccessIdentityResourceId:\s*identityResourceId/);
    // Storage and Service Bus connections use the same user-assigned identity.
    for (const name of ['AzureWebJobsStorage__clientId', 'ServiceBusConnection__clientId']) {
      expect(settings.get(name)).toBe('identityClientId');
    }
    for (const name of ['AzureWebJobsStorage__credential', 'ServiceBusConnection__credential']) {
      expect(stringLiteral(settings.get(name) ?? '')).toBe('managedidentity');
    }
  });

  it('runs on Flex Consumption with Node 22 and deploys from a blob container with the identity', async () => {
    const { files } = await readInfra();
    const main = files.get(join('infra', 'main.bicep')) ?? '';
    const app = files.get(join('infra', 'modules', 'functionApp.bicep')) ?? '';
    expect(main).toMatch(/name:\s*'FC1'\s*\n\s*tier:\s*'FlexConsumption'/);
    expect(main).toMatch(/allowSharedKeyAccess:\s*false/);
    const config = /functionAppConfig:\s*\{/.exec(app);
    expect(config).not.toBeNull();
    const functionAppConfig = readLiteral(app, (config?.index ?? 0) + (config?.[0].length ?? 0) - 1);
    const runtime = readLiteral(entry(functionAppConfig, 'runtime')?.raw ?? '{}', 0);
    expect(stringLiteral(entry(runtime, 'name')?.raw ?? '')).toBe('node');
    expect(stringLiteral(entry(runtime, 'version')?.raw ?? '')).toBe('22');
    const deployment = entry(functionAppConfig, 'deployment')?.raw ?? '';
    expect(deployment).toMatch(/type:\s*'blobContainer'/);
    expect(deployment).toMatch(/type:\s*'UserAssignedIdentity'/);
  });
});

describe('network and vault protection', () => {
  it('keeps private networking off by default; on, it integrates the app and closes storage, Service Bus and Key Vault', async () => {
    const { files } = await readInfra();
    const main = files.get(join('infra', 'main.bicep')) ?? '';
    const network = files.get(join('infra', 'modules', 'network.bicep')) ?? '';
    const app = files.get(join('infra', 'modules', 'functionApp.bicep')) ?? '';
    expect(main).toMatch(/param privateNetworking bool = false/);
    expect(main).toMatch(/module network 'modules\/network\.bicep' = if \(privateNetworking\)/);
    // Each of the three services turns public access off under the switch, and nowhere else is it hard-wired on.
    expect(main.match(/publicNetworkAccess: privateNetworking \? 'Disabled' : 'Enabled'/g)).toHaveLength(3);
    expect(main).not.toMatch(/publicNetworkAccess: 'Enabled'/);
    for (const group of ['blob', 'table', 'queue', 'namespace', 'vault']) expect(network).toContain(`groupId: '${group}'`);
    expect(network).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    expect(main).toMatch(/virtualNetworkSubnetId: privateNetworking \? network\.outputs\.appSubnetId : ''/);
    expect(app).toMatch(/virtualNetworkSubnetId: empty\(virtualNetworkSubnetId\) \? null : virtualNetworkSubnetId/);
  });

  it('turns Key Vault purge protection on', async () => {
    const { files } = await readInfra();
    const main = files.get(join('infra', 'main.bicep')) ?? '';
    expect(main).toMatch(/enablePurgeProtection: true/);
    expect(main).not.toMatch(/enablePurgeProtection: false/);
  });
});

describe('role assignments', () => {
  it('grant every identity-based connection its role, each named guid(scope, principal, role)', async () => {
    const { text, files } = await readInfra();
    const rolesFile = files.get(join('infra', 'modules', 'roleAssignments.bicep')) ?? '';
    const assignments = readRoleAssignments(rolesFile);
    expect(assignments.length).toBeGreaterThan(0);
    expect(checkRoleAssignments(readAppSettings(text), assignments, 'principalId', facts.names)).toEqual([]);
    // The module's principal is the function app's identity for its resources; the connector's identity has no role.
    const main = files.get(join('infra', 'main.bicep')) ?? '';
    expect(main).toMatch(/principalId:\s*identity\.outputs\.principalId/);
    expect(main).toMatch(/module connectorIdentity 'br\/public:avm\/res\/managed-identity\/user-assigned-identity/);
    for (const source of files.values()) expect(source).not.toMatch(/connectorIdentity\.outputs\.principalId[\s\S]*roleDefinitionId|principalId:\s*connectorIdentity/);
    // One module holds every role assignment.
    for (const [path, source] of files) {
      if (!path.endsWith('roleAssignments.bicep')) expect(source).not.toContain('Microsoft.Authorization/roleAssignments');
    }
  });

  it('reports a connection whose role is missing', async () => {
    const { text, files } = await readInfra();
    const rolesFile = files.get(join('infra', 'modules', 'roleAssignments.bicep')) ?? '';
    const withoutReceiver = readRoleAssignments(rolesFile).filter(
      (assignment) => assignment.roleId !== builtInRoles['Azure Service Bus Data Receiver'],
    );
    expect(checkRoleAssignments(readAppSettings(text), withoutReceiver, 'principalId', facts.names)).toEqual([
      'ServiceBusConnection__fullyQualifiedNamespace needs Azure Service Bus Data Receiver on a Microsoft.ServiceBus/namespaces for principalId',
    ]);
  });
});

describe('the queues', () => {
  it('are declared in Bicep with dead-lettering, duplicate detection and 10 deliveries', async () => {
    const { text } = await readInfra();
    const queues = readQueues(text);
    expect(queues.map((queue) => queue.name).sort()).toEqual(['compliance-updates', 'device-slices', 'tenant-jobs', 'webhook-deliveries']);
    for (const { name, properties: queue } of queues) {
      expect(queue.get('maxDeliveryCount'), name).toBe(String(tenantJobsMaxDeliveryCount));
      expect(queue.get('deadLetteringOnMessageExpiration'), name).toBe('true');
      expect(queue.get('requiresDuplicateDetection'), name).toBe('true');
      expect(stringLiteral(queue.get('duplicateDetectionHistoryTimeWindow') ?? ''), name).toMatch(/^P(T\d+[HMS])+$|^P\d+D$/);
    }
  });

  it('offers a Service Bus tier parameter, Standard by default and Premium with messaging units', async () => {
    const { text } = await readInfra();
    expect(text).toMatch(/param serviceBusSku string = 'Standard'/);
    expect(text).toMatch(/param serviceBusMessagingUnits int = 1/);
    expect(text).toMatch(/name: 'Premium'\s+capacity: serviceBusMessagingUnits/);
  });

  it('has the same name in Bicep, host.json and the function catalog, and every catalog binding is configured', async () => {
    const catalogPath = join(root, 'functions', 'catalog.ts');
    expect(existsSync(catalogPath), 'functions/catalog.ts is missing').toBe(true);
    const loaded = catalogModule.parse(await import('../../../functions/catalog.js'));
    const { text } = await readInfra();
    const bicepQueues = readQueues(text).map((queue) => queue.name);
    const settings = new Set(readAppSettings(text).map((setting) => setting.name));

    const catalogQueues = loaded.catalog.flatMap((item) => (item.kind === 'serviceBusQueue' ? [item] : []));
    const usedQueues = new Set(catalogQueues.map((item) => item.queueName));
    expect(usedQueues.size).toBeGreaterThan(0);
    expect([...usedQueues].sort()).toEqual([...bicepQueues].sort());
    for (const item of catalogQueues) {
      expect(settings, `${item.name} binds connection ${item.connection}`).toContain(`${item.connection}__fullyQualifiedNamespace`);
    }
    for (const item of loaded.catalog) {
      if (item.kind !== 'timer') continue;
      const setting = /^%(\w+)%$/.exec(item.schedule)?.[1];
      if (setting) expect(settings, `${item.name} binds %${setting}%`).toContain(setting);
    }

    // host.json names no queue today; if it ever does, it must be this one.
    const hostJson: unknown = JSON.parse(await readFile(join(root, 'host.json'), 'utf8'));
    const named: string[] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'queueName' && typeof inner === 'string') named.push(inner);
          else collect(inner);
        }
      }
    };
    collect(hostJson);
    for (const name of named) expect(bicepQueues).toContain(name);
  });
});

describe('local.settings.sample.json', () => {
  it('lists every schema setting, nothing else but the local host\'s, and parses', async () => {
    const json = await readFile(join(root, 'local.settings.sample.json'), 'utf8');
    expect(checkSampleSettings(facts, json)).toEqual([]);
  });

  it('reports a schema setting the sample lacks', () => {
    const grown = configSchema.in.safeExtend({ SIEM_WEBHOOK_URL: z.url().optional() });
    const grownFacts = deriveSettingsFacts({ shape: grown.shape, safeParse: (input) => grown.safeParse(input) });
    const sample = JSON.stringify({ IsEncrypted: false, Values: { FUNCTIONS_WORKER_RUNTIME: 'node', EXTRA: 'x' } });
    expect(checkSampleSettings(grownFacts, sample)).toEqual(
      expect.arrayContaining([
        'SIEM_WEBHOOK_URL is in the schema but missing from local.settings.sample.json',
        'EXTRA is in local.settings.sample.json but not in the schema',
      ]),
    );
  });
});
