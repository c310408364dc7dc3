/**
 * Pure consistency checks between the app settings schema, the Bicep under infra/, and local.settings.sample.json.
 * Each returns the list of problems found (empty: consistent), so a test can show the exact mismatch.
 */
import { z } from 'zod';
import { BicepReadError, entry, readLiteral, resolveString, resources, stringLiteral, varLiteral, type BicepEntry } from './bicepText.js';
import type { SettingsFacts } from './settingsFacts.js';

export interface AppSetting {
  readonly name: string;
  /** Bicep source of the value. */
  readonly raw: string;
  /** The value when it is a plain string literal. */
  readonly literal: string | undefined;
}

/** Identity-based connections the host and the service use (`<connection>__<property>` settings). */
export const defaultConnections = ['AzureWebJobsStorage', 'ServiceBusConnection'] as const;

/** Settings the Flex Consumption plan rejects or that would bring shared keys back. */
export const forbiddenSettings: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: 'Flex Consumption takes the runtime from functionAppConfig.runtime',
  FUNCTIONS_EXTENSION_VERSION: 'Flex Consumption does not accept it',
  WEBSITE_NODE_DEFAULT_VERSION: 'Flex Consumption takes the version from functionAppConfig.runtime',
  WEBSITE_RUN_FROM_PACKAGE: 'Flex Consumption deploys from functionAppConfig.deployment',
  WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: 'Flex Consumption has no content share (and it needs a shared key)',
  WEBSITE_CONTENTSHARE: 'Flex Consumption has no content share',
  AzureWebJobsStorage: 'a connection string needs shared keys, which the storage account disables',
};

const keyVaultReference = /^@Microsoft\.KeyVault\((SecretUri=|VaultName=)/;

/** The app settings Bicep sets on the function app: the object given as `appSettingsKeyValuePairs`. */
export function readAppSettings(bicep: string): AppSetting[] {
  const uses = [...bicep.matchAll(/\bappSettingsKeyValuePairs\s*:\s*/g)];
  if (uses.length !== 1) {
    throw new BicepReadError(`expected one appSettingsKeyValuePairs in infra/, found ${uses.length}`);
  }
  const use = uses[0];
  if (!use) throw new BicepReadError('no appSettingsKeyValuePairs');
  const after = use.index + use[0].length;
  let entries: BicepEntry[] | undefined;
  if (bicep[after] === '{') {
    entries = readLiteral(bicep, after);
  } else {
    const name = /^[A-Za-z_]\w*/.exec(bicep.slice(after))?.[0];
    entries = name && /^[A-Za-z_]\w*\s*(\r?\n|$)/.test(bicep.slice(after)) ? varLiteral(bicep, name) : undefined;
    if (!entries) {
      throw new BicepReadError('appSettingsKeyValuePairs must be an object literal or a var declared as one');
    }
  }
  return entries.map(({ key, raw }) => {
    const literal = stringLiteral(raw);
    // Expressions may hide a literal behind a `var`; the settings reader keeps them as expressions.
    return { name: key, raw, literal };
  });
}

/** Whether a setting that is not in the schema is one the Functions host or platform reads. */
function isHostSetting(name: string, connections: readonly string[]): boolean {
  if (/^(APPLICATIONINSIGHTS_|FUNCTIONS_|AzureFunctionsJobHost__)/.test(name)) return true;
  return connections.some((connection) => name.startsWith(`${connection}__`));
}

/**
 * Checks the function app's settings in `bicep` against the schema: every setting the app cannot start without is
 * set, schedules and machine-local defaults are set explicitly, every other setting is in the schema or one the host
 * reads, secrets come from Key Vault, literal values parse, and the whole set parses as the app would parse it.
 */
export function checkAppSettings(
  facts: SettingsFacts,
  bicep: string,
  connections: readonly string[] = defaultConnections,
): string[] {
  let settings: AppSetting[];
  try {
    settings = readAppSettings(bicep);
  } catch (error) {
    return [`cannot read the app settings: ${error instanceof Error ? error.message : String(error)}`];
  }
  const problems: string[] = [];
  const set = new Map(settings.map((setting) => [setting.name, setting]));
  if (set.size !== settings.length) problems.push('a setting is listed twice');

  for (const name of facts.required) {
    if (!set.has(name)) problems.push(`${name} is required by the schema but not set in infra/`);
  }
  for (const [first, second] of facts.oneOf) {
    if (!set.has(first) && !set.has(second)) {
      problems.push(`the schema needs ${first} or ${second}; infra/ sets neither`);
    }
  }
  for (const { name, reason } of facts.explicit) {
    if (!set.has(name)) problems.push(`${name} must be set in infra/: ${reason}`);
  }

  for (const setting of settings) {
    const forbidden = forbiddenSettings[setting.name];
    if (forbidden) {
      problems.push(`${setting.name} must not be set in Azure: ${forbidden}`);
      continue;
    }
    const inSchema = facts.names.includes(setting.name);
    if (!inSchema && !isHostSetting(setting.name, connections)) {
      problems.push(`${setting.name} is set in infra/ but is neither in the settings schema nor a host setting`);
    }
    if (facts.secrets.includes(setting.name) && !keyVaultReference.test(setting.literal ?? setting.raw.replace(/^'/, ''))) {
      problems.push(`${setting.name} holds a secret: set it as a Key Vault reference, not a value`);
    }
    if (inSchema && setting.literal !== undefined && !facts.accepts(setting.name, setting.literal)) {
      problems.push(`${setting.name} = '${setting.literal}' is not a valid value for the schema`);
    }
  }

  // The whole set as the app parses it; expressions stand in with a value their setting accepts.
  const asParsed = Object.fromEntries(
    settings
      .filter((setting) => facts.names.includes(setting.name))
      .map((setting) => [setting.name, setting.literal ?? facts.sampleValue(setting.name)]),
  );
  for (const problem of facts.problems(asParsed)) problems.push(`the app would refuse these settings: ${problem}`);
  return problems;
}

/** Role definition ids of the built-in roles the connections need (learn.microsoft.com built-in roles). */
export const builtInRoles = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Key Vault Crypto Service Encryption User': 'e147488a-f6f5-4113-8e2d-b22465e65bf6',
} as const;
export type BuiltInRole = keyof typeof builtInRoles;

export interface RoleAssignment {
  readonly symbol: string;
  /** Resource type of the scope, e.g. `Microsoft.Storage/storageAccounts`. */
  readonly scopeType: string;
  readonly roleId: string;
  /** Bicep expression of the principal. */
  readonly principal: string;
  /** Whether the name is guid(scope.id, principal, role). */
  readonly deterministicName: boolean;
}

/** Every role assignment declared in the text, with its scope's resource type and role id resolved. */
export function readRoleAssignments(bicep: string): RoleAssignment[] {
  const declared = resources(bicep);
  const roleVars = new Map<string, string>();
  for (const match of bicep.matchAll(/^\s*var\s+(\w+)\s*=\s*\{/gm)) {
    const name = match[1] ?? '';
    for (const { key, raw } of varLiteral(bicep, name) ?? []) {
      const value = stringLiteral(raw);
      if (value) roleVars.set(`${name}.${key}`, value);
    }
  }
  const roleOf = (raw: string): { id: string; expr: string } | undefined => {
    const inner = /^subscriptionResourceId\(\s*'Microsoft\.Authorization\/roleDefinitions'\s*,\s*(.+)\)$/.exec(raw)?.[1]?.trim();
    if (!inner) return undefined;
    const id = stringLiteral(inner) ?? roleVars.get(inner) ?? resolveString(bicep, inner);
    return id ? { id, expr: inner } : undefined;
  };
  return declared
    .filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments' && !resource.existing)
    .map((resource) => {
      const scope = entry(resource.body, 'scope')?.raw ?? '';
      const scopeType = declared.find((candidate) => candidate.symbol === scope)?.type ?? `(unknown scope ${scope})`;
      const properties = entry(resource.body, 'properties');
      const inner = properties?.raw.startsWith('{') ? readLiteral(properties.raw, 0) : [];
      const role = roleOf(entry(inner, 'roleDefinitionId')?.raw ?? '');
      const principal = entry(inner, 'principalId')?.raw ?? '';
      const name = (entry(resource.body, 'name')?.raw ?? '').replace(/\s+/g, '');
      const deterministicName = role !== undefined && name === `guid(${scope}.id,${principal},${role.expr})`;
      return { symbol: resource.symbol, scopeType, roleId: role?.id ?? '(unresolved)', principal, deterministicName };
    });
}

export interface RoleNeed {
  readonly setting: string;
  readonly role: BuiltInRole;
  readonly scopeType: string;
}

/**
 * The role each identity-based connection in the app settings needs. `serviceReads` are settings the service's own
 * code reads (the schema): a Service Bus namespace the service reads is one it sends to.
 */
export function roleNeeds(settings: readonly AppSetting[], serviceReads: readonly string[]): RoleNeed[] {
  const needs: RoleNeed[] = [];
  const storage = 'Microsoft.Storage/storageAccounts';
  for (const { name, raw } of settings) {
    const property = name.split('__')[1];
    if (property === 'blobServiceUri' || property === 'accountName') {
      needs.push({ setting: name, role: 'Storage Blob Data Owner', scopeType: storage });
    }
    if (property === 'queueServiceUri' || property === 'accountName') {
      needs.push({ setting: name, role: 'Storage Queue Data Contributor', scopeType: storage });
    }
    if (property === 'tableServiceUri') {
      needs.push({ setting: name, role: 'Storage Table Data Contributor', scopeType: storage });
    }
    if (property === 'fullyQualifiedNamespace') {
      needs.push({ setting: name, role: 'Azure Service Bus Data Receiver', scopeType: 'Microsoft.ServiceBus/namespaces' });
      if (serviceReads.includes(name)) {
        needs.push({ setting: name, role: 'Azure Service Bus Data Sender', scopeType: 'Microsoft.ServiceBus/namespaces' });
      }
    }
    if (keyVaultReference.test(stringLiteral(raw) ?? raw.replace(/^'/, ''))) {
      needs.push({ setting: name, role: 'Key Vault Secrets User', scopeType: 'Microsoft.KeyVault/vaults' });
    }
    if (name === 'SECRETS_KEY_VAULT_KEY_ID') {
      needs.push({ setting: name, role: 'Key Vault Crypto Service Encryption User', scopeType: 'Microsoft.KeyVault/vaults' });
    }
    if (name === 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING') {
      needs.push({ setting: name, role: 'Monitoring Metrics Publisher', scopeType: 'Microsoft.Insights/components' });
    }
  }
  return needs;
}

/**
 * Checks that every identity-based connection has its role, granted to `principal` on a resource of the right type,
 * that every assignment is named guid(scope, principal, role), and that every identity connection names the
 * user-assigned identity (`__clientId`) next to `__credential`.
 */
export function checkRoleAssignments(
  settings: readonly AppSetting[],
  assignments: readonly RoleAssignment[],
  principal: string,
  serviceReads: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const need of roleNeeds(settings, serviceReads)) {
    const roleId = builtInRoles[need.role];
    const granted = assignments.some(
      (assignment) => assignment.roleId === roleId && assignment.scopeType === need.scopeType && assignment.principal === principal,
    );
    if (!granted) problems.push(`${need.setting} needs ${need.role} on a ${need.scopeType} for ${principal}`);
  }
  for (const assignment of assignments) {
    if (!assignment.deterministicName) problems.push(`${assignment.symbol} is not named guid(scope.id, principal, role)`);
  }
  const names = new Set(settings.map((setting) => setting.name));
  for (const name of names) {
    const match = /^(.+)__credential$/.exec(name);
    if (match?.[1] && !names.has(`${match[1]}__clientId`)) {
      problems.push(`${name} is set without ${match[1]}__clientId: the host would look for a system-assigned identity`);
    }
  }
  return problems;
}

export interface QueueDefinition {
  readonly name: string;
  readonly properties: ReadonlyMap<string, string>;
}

/** The Service Bus queues declared as `queues: [ { name: ..., ... } ]` (names resolved through `var`s). */
export function readQueues(bicep: string): QueueDefinition[] {
  const queues: QueueDefinition[] = [];
  for (const match of bicep.matchAll(/\bqueues\s*:\s*\[/g)) {
    for (const item of readLiteral(bicep, match.index + match[0].length - 1)) {
      if (!item.raw.startsWith('{')) continue;
      const properties = readLiteral(item.raw, 0);
      const name = resolveString(bicep, entry(properties, 'name')?.raw ?? '');
      if (!name) throw new BicepReadError(`a queue's name is not a literal: ${item.raw}`);
      queues.push({ name, properties: new Map(properties.map(({ key, raw }) => [key, raw])) });
    }
  }
  return queues;
}

const sampleFile = z.object({ IsEncrypted: z.boolean(), Values: z.record(z.string(), z.string()) });

/** Settings a local.settings.json may hold besides the schema's: the local Functions host's own. */
export const localHostSettings = ['FUNCTIONS_WORKER_RUNTIME', 'AzureWebJobsFeatureFlags', 'FUNCTIONS_EXTENSION_VERSION'];

/** Checks local.settings.sample.json: every schema setting present, no others but the local host's, and it parses. */
export function checkSampleSettings(facts: SettingsFacts, json: string): string[] {
  let values: Record<string, string>;
  try {
    values = sampleFile.parse(JSON.parse(json) as unknown).Values;
  } catch (error) {
    return [`local.settings.sample.json is not a local.settings file: ${error instanceof Error ? error.message : String(error)}`];
  }
  const problems: string[] = [];
  for (const name of facts.names) {
    if (!(name in values)) problems.push(`${name} is in the schema but missing from local.settings.sample.json`);
  }
  for (const name of Object.keys(values)) {
    if (!facts.names.includes(name) && !localHostSettings.includes(name)) {
      problems.push(`${name} is in local.settings.sample.json but not in the schema`);
    }
  }
  // As parseConfig reads it: empty values count as unset.
  const asParsed = Object.fromEntries(Object.entries(values).filter(([name, value]) => facts.names.includes(name) && value !== ''));
  for (const problem of facts.problems(asParsed)) problems.push(`the sample does not parse: ${problem}`);
  return problems;
}
