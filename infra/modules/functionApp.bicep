// The function app on the Flex Consumption plan (Node 22), with its two user-assigned identities, and every
// app setting the service reads. The setting names are those of shared/base/config.ts (test/unit/infra checks it).
@description('Name of the function app.')
param name string

param location string = resourceGroup().location
param tags object = {}

@description('Resource id of the FC1 (Flex Consumption) plan.')
param serverFarmResourceId string

@description('Resource id of the identity that reaches storage, Service Bus, Key Vault and Application Insights.')
param identityResourceId string

@description('Client id of that identity.')
param identityClientId string

@description('Resource id of the identity that is the connector app registration\'s federated credential (customer tenants).')
param connectorIdentityResourceId string

@description('Client id of that identity.')
param connectorIdentityClientId string

@description('Versionless id of the Key Vault key that wraps the data keys of secrets stored in tables.')
param secretsKeyId string

@description('Storage account for the host, the deployment package and the service\'s tables.')
param storageAccountName string

@description('Blob container that holds the deployment package.')
param deploymentContainerName string

param applicationInsightsName string

@description('Service Bus namespace host name, e.g. sb-x.servicebus.windows.net.')
param serviceBusFullyQualifiedNamespace string

@description('Versionless Key Vault URI of the SendGrid key secret (the latest version is used).')
param sendGridSecretUri string

param connectorClientId string
param apiAudience string
param intuneMtdConnectorId string
param publicBaseUrl string
param mailFrom string
param enrollmentSyncSchedule string
param heartbeatCheckSchedule string
param reconcileSchedule string
param mailSchedule string
param overrideExpirySchedule string
param eventsRelaySchedule string
@description('Browser origins allowed to call the API (the web console\'s); no other origin gets CORS headers.')
param corsAllowedOrigins array = []
param webhookAllowedPrivateHosts string = ''
@description('How long events are kept for the feed, in days.')
param eventRetentionDays int = 30
param apiScope string = 'access_as_user'
param consoleClientIds string = ''
param agentClientIds string = ''
param checkInWriteIntervalMinutes int = 15
param deviceCredentialDays int = 90
param androidAppPackages string = ''
param androidAppSignerSha256 string = ''
param androidAttestationStatusUrl string = 'https://android.googleapis.com/attestation/status'
param appleAppIds string = ''
param appleAppAttestEnvironment string = 'production'
param attestationAndroidRoots string = ''
param attestationAppleRoots string = ''
param providerTenantId string = ''
param providerSupportRole string = 'Provider.Support'
@description('Key Vault secret URI of the provider key (the secret may be created later).')
param providerKeySecretUri string
@description('Subnet the app integrates with (private networking); empty: none.')
param virtualNetworkSubnetId string = ''
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var appSettings = {
  // Host storage (keys, timer locks) and the service's tables, reached with the identity: shared keys are disabled.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  // The compliance-updates queue: trigger (connection `ServiceBusConnection`) and sender.
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusFullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  ServiceBusConnection__clientId: identityClientId
  // Telemetry, authenticated with the identity (local auth is off on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The multi-tenant app registration; its own identity is its federated credential, so no client secret is set.
  CONNECTOR_CLIENT_ID: connectorClientId
  CONNECTOR_MANAGED_IDENTITY_CLIENT_ID: connectorIdentityClientId
  // Secrets stored in tables are sealed under data keys wrapped by this Key Vault key, with the app's identity.
  SECRETS_KEY_VAULT_KEY_ID: secretsKeyId
  APP_MANAGED_IDENTITY_CLIENT_ID: identityClientId
  API_AUDIENCE: apiAudience
  INTUNE_MTD_CONNECTOR_ID: intuneMtdConnectorId
  PUBLIC_BASE_URL: publicBaseUrl
  // Mail. The key is a Key Vault reference resolved with the identity (keyVaultReferenceIdentity below).
  MAIL_FROM: mailFrom
  SENDGRID_API_KEY: '@Microsoft.KeyVault(SecretUri=${sendGridSecretUri})'
  // Timer schedules, bound in the function catalog as %SETTING%.
  ENROLLMENT_SYNC_SCHEDULE: enrollmentSyncSchedule
  HEARTBEAT_CHECK_SCHEDULE: heartbeatCheckSchedule
  RECONCILE_SCHEDULE: reconcileSchedule
  MAIL_SCHEDULE: mailSchedule
  OVERRIDE_EXPIRY_SCHEDULE: overrideExpirySchedule
  EVENTS_RELAY_SCHEDULE: eventsRelaySchedule
  // Webhooks: hosts exempt from the private-address rule (none in Azure).
  WEBHOOK_ALLOWED_PRIVATE_HOSTS: webhookAllowedPrivateHosts
  EVENT_RETENTION_DAYS: string(eventRetentionDays)
  // Token policy: the delegated scope and the client applications allowed on console routes and at activation.
  API_SCOPE: apiScope
  CONSOLE_CLIENT_IDS: consoleClientIds
  AGENT_CLIENT_IDS: agentClientIds
  // Check-ins that change nothing are written at most once per interval.
  CHECKIN_WRITE_INTERVAL_MINUTES: string(checkInWriteIntervalMinutes)
  // Lifetime of a device credential, in days.
  DEVICE_CREDENTIAL_DAYS: string(deviceCredentialDays)
  // Platform attestation at activation: the agent app's identity, the revocation list, and the trusted roots
  // (empty: the roots shipped with the app).
  ANDROID_APP_PACKAGES: androidAppPackages
  ANDROID_APP_SIGNER_SHA256: androidAppSignerSha256
  ANDROID_ATTESTATION_STATUS_URL: androidAttestationStatusUrl
  APPLE_APP_IDS: appleAppIds
  APPLE_APP_ATTEST_ENVIRONMENT: appleAppAttestEnvironment
  ATTESTATION_ANDROID_ROOTS: attestationAndroidRoots
  ATTESTATION_APPLE_ROOTS: attestationAppleRoots
  // Provider support signing in with Entra ID (docs/DEPLOY.md): the provider's tenant, the app role, and the provider
  // key the service checks itself (a Key Vault reference; until the secret exists the host's function keys apply).
  PROVIDER_TENANT_ID: providerTenantId
  PROVIDER_SUPPORT_ROLE: providerSupportRole
  PROVIDER_FUNCTION_KEY: '@Microsoft.KeyVault(SecretUri=${providerKeySecretUri})'
}

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: '${name}-site'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: tags
    serverFarmResourceId: serverFarmResourceId
    httpsOnly: true
    clientAffinityEnabled: false
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityResourceId
        connectorIdentityResourceId
      ]
    }
    // keyVaultReferenceIdentity: Key Vault references resolve with the user-assigned identity.
    keyVaultAccessIdentityResourceId: identityResourceId
    // Private networking: outbound traffic goes through the network, where storage, Service Bus and Key Vault
    // have their private endpoints.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    // Deployments (azd) authenticate with Entra ID; basic publishing credentials stay off.
    basicPublishingCredentialsPolicies: [
      {
        name: 'scm'
        allow: false
      }
      {
        name: 'ftp'
        allow: false
      }
    ]
    appSettingsKeyValuePairs: appSettings
  }
}

output name string = site.outputs.name
