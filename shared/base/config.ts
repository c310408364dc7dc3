/**
 * Every app setting the service reads, in one zod schema. Parsed once, frozen.
 * This is the only module that reads `process.env`.
 */
import { z } from 'zod';

/** A 6-field NCRONTAB expression: second minute hour day month day-of-week. */
export const ncrontab = z
  .string()
  .trim()
  .refine((value) => value.split(/\s+/).length === 6, { message: 'must be a 6-field NCRONTAB expression' });

const httpsUrl = z
  .url({ protocol: /^https$/, message: 'must be an https URL' })
  .transform((value) => value.replace(/\/+$/, ''));

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Base64 of exactly 32 bytes: an AES-256 key. */
const isAes256Key = (value: string): boolean => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').length === 32;

/** A comma-separated list of application ids (GUIDs), lower-cased; unset or empty: undefined (any). */
const clientIdList = z
  .string()
  .optional()
  .transform((value) =>
    value === undefined
      ? undefined
      : value
          .split(',')
          .map((id) => id.trim().toLowerCase())
          .filter((id) => id !== ''),
  )
  .pipe(z.array(z.uuid({ message: 'must be comma-separated application ids (GUIDs)' })).optional())
  .transform((ids) => (ids && ids.length > 0 ? ids : undefined));

/** A comma-separated list, trimmed, empty entries dropped; unset: []. */
const commaList = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

export const configSchema = z
  .object({
    /** Issuer host for tokens and the consent URL. National clouds and the simulator set their own. */
    ENTRA_AUTHORITY_HOST: httpsUrl.default('https://login.microsoftonline.com'),
    /** Microsoft Graph. */
    GRAPH_BASE_URL: httpsUrl.default('https://graph.microsoft.com'),
    /** Where device health and connector heartbeats go; defaults to GRAPH_BASE_URL. */
    INTUNE_PARTNER_API_BASE_URL: httpsUrl.optional(),
    /** SendGrid v3. */
    SENDGRID_API_BASE_URL: httpsUrl.default('https://api.sendgrid.com'),
    SENDGRID_API_KEY: z.string().trim().min(1, 'is required'),
    MAIL_FROM: z.email({ message: 'must be an email address' }),
    /** The multi-tenant app registration. */
    CONNECTOR_CLIENT_ID: z.uuid({ message: 'must be the application (client) id, a GUID' }),
    /** Client secret for local runs; in Azure a managed identity is the federated credential instead. */
    CONNECTOR_CLIENT_SECRET: optionalString,
    /** Client id of the user-assigned managed identity used as a federated credential (Azure). */
    CONNECTOR_MANAGED_IDENTITY_CLIENT_ID: z.uuid().optional().or(z.literal('').transform(() => undefined)),
    /**
     * The provider's mobileThreatDefenseConnector id in Intune (the same in every tenant), for the connector heartbeat.
     * Unset: each tenant's only connector is used.
     */
    INTUNE_MTD_CONNECTOR_ID: optionalString,
    /**
     * The provider is an onboarded Intune MTD partner: consent (and the health check `consent`) then also require the
     * partner API's application permissions. `false` for a provider that enforces through the Entra attribute only.
     */
    INTUNE_MTD_PARTNER: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .default('true')
      .transform((value) => value === 'true'),
    /** Expected `aud` of console and agent tokens; defaults to CONNECTOR_CLIENT_ID. */
    API_AUDIENCE: optionalString,
    /** Public base URL of this service (consent redirect, links in mail). */
    PUBLIC_BASE_URL: z
      .url({ message: 'must be a URL' })
      .transform((value) => value.replace(/\/+$/, ''))
      .default('http://localhost:7071'),
    /** Timer schedules, bound in the catalog as %SETTING%. */
    ENROLLMENT_SYNC_SCHEDULE: ncrontab.default('0 * * * * *'),
    HEARTBEAT_CHECK_SCHEDULE: ncrontab.default('0 */5 * * * *'),
    RECONCILE_SCHEDULE: ncrontab.default('30 */5 * * * *'),
    MAIL_SCHEDULE: ncrontab.default('15 * * * * *'),
    OVERRIDE_EXPIRY_SCHEDULE: ncrontab.default('10 * * * * *'),
    EVENTS_RELAY_SCHEDULE: ncrontab.default('40 * * * * *'),
    /** Table Storage: a connection string (local, Azurite) ... */
    AzureWebJobsStorage: optionalString,
    /** ... or the table endpoint reached with the managed identity (Azure). */
    AzureWebJobsStorage__tableServiceUri: optionalString,
    AzureWebJobsStorage__clientId: optionalString,
    /** Service Bus namespace for the compliance-updates queue (Azure, identity-based). */
    ServiceBusConnection__fullyQualifiedNamespace: optionalString,
    ServiceBusConnection__clientId: optionalString,
    /**
     * Webhook hosts exempt from the private-address rule (comma-separated host names or IP literals, compared
     * ignoring case): a local run lists `localhost` and `127.0.0.1`. Empty in Azure.
     */
    WEBHOOK_ALLOWED_PRIVATE_HOSTS: z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((host) => host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1'))
          .filter((host) => host !== ''),
      ),
    /** How long events are kept for the feed (`GET /api/v1/events`), in days; older ones are deleted. */
    EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
    /** The delegated scope console and activation tokens must carry in `scp`. */
    API_SCOPE: z.string().trim().min(1).default('access_as_user'),
    /** Application ids allowed as `azp` on console routes (comma-separated); unset: any. */
    CONSOLE_CLIENT_IDS: clientIdList,
    /** Application ids allowed as `azp` at device activation (comma-separated); unset: any. */
    AGENT_CLIENT_IDS: clientIdList,
    /** A check-in that changes nothing is written at most once per this many minutes. */
    CHECKIN_WRITE_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(15),
    /** How long a device credential lives, in days; heartbeats rotate it within 7 days of its expiry. */
    DEVICE_CREDENTIAL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    /** The provider's own tenant, whose users with the `PROVIDER_SUPPORT_ROLE` app role may call provider routes. */
    PROVIDER_TENANT_ID: z.uuid().optional().or(z.literal('').transform(() => undefined)),
    /** The app role (in the provider's tenant) that lets a signed-in user call provider routes. */
    PROVIDER_SUPPORT_ROLE: z.string().trim().min(1).default('Provider.Support'),
    /**
     * The provider key (`x-functions-key`) checked by the service itself. Set together with PROVIDER_TENANT_ID: the
     * provider routes are then registered anonymous at the Functions host (which cannot accept a token instead of its
     * key) and the service accepts this key or a provider support token. Unset: the host checks its function keys.
     */
    PROVIDER_FUNCTION_KEY: z
      .string()
      .optional()
      // A Key Vault reference App Service could not resolve (no secret yet) arrives as its own text: treated as unset,
      // so the routes stay behind the host's function keys instead of accepting a guessable value.
      .transform((value) => (value?.startsWith('@Microsoft.KeyVault(') ? undefined : value))
      .pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    /**
     * The Key Vault key (its id without a version, `https://<vault>.vault.azure.net/keys/<name>`) that wraps the data
     * keys of the secrets stored in tables (Azure). Each sealed value keeps the versioned id that wrapped it, so a new
     * key version (a rotation) wraps what is written next and the earlier versions still unwrap.
     */
    SECRETS_KEY_VAULT_KEY_ID: httpsUrl.optional(),
    /**
     * Locally (no Key Vault): base64 of 32 random bytes that wraps those data keys; `npm run dev` makes one under
     * `.local/`. Ignored when SECRETS_KEY_VAULT_KEY_ID is set.
     */
    SECRETS_KEY: z.string().trim().refine(isAes256Key, { message: 'must be base64 of 32 bytes' }).optional(),
    /** Keys SECRETS_KEY replaced (comma-separated base64): they still open what they sealed, and seal nothing new. */
    SECRETS_PREVIOUS_KEYS: z
      .string()
      .optional()
      .transform((value) =>
        (value ?? '')
          .split(',')
          .map((key) => key.trim())
          .filter((key) => key !== ''),
      )
      .pipe(z.array(z.string().refine(isAes256Key, { message: 'must be comma-separated base64 keys of 32 bytes' }))),
    /** Client id of the identity that reaches storage, Service Bus and Key Vault (Azure): it unwraps with the Key Vault key. */
    APP_MANAGED_IDENTITY_CLIENT_ID: z.uuid().optional().or(z.literal('').transform(() => undefined)),
    /**
     * Trusted roots for Android key attestation: a PEM bundle given inline or the path of a PEM file. Unset: Google's
     * hardware attestation roots shipped in shared/attestation/roots/.
     */
    ATTESTATION_ANDROID_ROOTS: optionalString,
    /** Trusted roots for App Attest, inline PEM or a file path. Unset: Apple's App Attestation Root CA shipped. */
    ATTESTATION_APPLE_ROOTS: optionalString,
    /** Package names of the agent app on Android (comma-separated); empty: no Android attestation verifies. */
    ANDROID_APP_PACKAGES: commaList,
    /**
     * SHA-256 digests of the agent app's Android signing certificates (comma-separated hex, any case, colons allowed),
     * kept as lower-case hex without colons.
     */
    ANDROID_APP_SIGNER_SHA256: commaList
      .transform((digests) => digests.map((digest) => digest.replace(/:/g, '').toLowerCase()))
      .pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/, { message: 'must be comma-separated SHA-256 digests (hex)' }))),
    /** Google's attestation revocation status list (JSON), fetched and cached for 24 h. */
    ANDROID_ATTESTATION_STATUS_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .default('https://android.googleapis.com/attestation/status'),
    /** App IDs of the agent app on iOS (`TEAMID.bundle.id`, comma-separated); empty: no App Attest verifies. */
    APPLE_APP_IDS: commaList,
    /** Which App Attest environment's AAGUID is accepted: `production` (appattest) or `development` (appattestdevelop). */
    APPLE_APP_ATTEST_ENVIRONMENT: z
      .enum(['production', 'development'], { message: 'must be production or development' })
      .default('production'),
    /** Application Insights (Azure): when set, OpenTelemetry traces each operation across the queue hops. */
    APPLICATIONINSIGHTS_CONNECTION_STRING: optionalString,
  })
  .superRefine((value, ctx) => {
    if (!value.AzureWebJobsStorage && !value.AzureWebJobsStorage__tableServiceUri) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message: 'set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__tableServiceUri',
      });
    }
    // In Azure (tables reached with an identity) secrets are never stored without a key to seal them.
    if (value.AzureWebJobsStorage__tableServiceUri && !value.SECRETS_KEY_VAULT_KEY_ID && !value.SECRETS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_KEY_VAULT_KEY_ID'],
        message: 'set SECRETS_KEY_VAULT_KEY_ID (the Key Vault key that wraps stored secrets) or SECRETS_KEY',
      });
    }
    if (!value.CONNECTOR_CLIENT_SECRET && !value.CONNECTOR_MANAGED_IDENTITY_CLIENT_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['CONNECTOR_CLIENT_SECRET'],
        message: 'set CONNECTOR_CLIENT_SECRET or CONNECTOR_MANAGED_IDENTITY_CLIENT_ID',
      });
    }
  })
  .transform((value) => ({
    ...value,
    INTUNE_PARTNER_API_BASE_URL: value.INTUNE_PARTNER_API_BASE_URL ?? value.GRAPH_BASE_URL,
    API_AUDIENCE: value.API_AUDIENCE ?? value.CONNECTOR_CLIENT_ID,
  }));

export type Config = Readonly<z.output<typeof configSchema>>;

/** Names of every setting in the schema (used by the consistency checks on infra/ and the sample settings). */
export const settingNames: readonly string[] = Object.keys(configSchema.in.shape);

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(readonly problems: readonly { setting: string; message: string }[]) {
    super(`Invalid app settings: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses settings from an environment-like record. Throws ConfigError naming every bad setting. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, string> = {};
  for (const name of settingNames) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({
        setting: issue.path.map(String).join('.') || '(settings)',
        message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
      })),
    );
  }
  return Object.freeze(result.data);
}

let loaded: Config | undefined;

/** The process's settings, parsed once from process.env. */
export function loadConfig(): Config {
  loaded ??= parseConfig(process.env);
  return loaded;
}

/** The default of a schedule setting, for `%SETTING%` resolution where the setting is unset. */
export function settingDefault(name: string): string | undefined {
  const field = configSchema.in.shape[name as keyof typeof configSchema.in.shape] as z.ZodType | undefined;
  if (!field) return undefined;
  const parsed = field.safeParse(undefined);
  return parsed.success && typeof parsed.data === 'string' ? parsed.data : undefined;
}
