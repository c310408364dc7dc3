// The whole MTD connector in one resource group: a Flex Consumption function app (Node 22) with two user-assigned
// managed identities (one for its own resources, one that is the connector's federated credential into customer
// tenants), its storage (host, deployment package, tables), the Service Bus queues, Key Vault (the SendGrid key and
// the key that encrypts secrets stored in tables), and Application Insights on Log Analytics.
// No shared keys or client secrets: every connection is identity-based. Operator guide: docs/DEPLOY.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment. Names the resource group and seeds a unique suffix for every resource.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Application (client) id of the multi-tenant app registration the connector signs in to customer tenants as.')
param connectorClientId string

@description('Sender address of alert and error-report mail; must be a verified sender in SendGrid.')
param mailFrom string

@description('Public HTTPS base URL of the service (consent redirect, links in mail). Empty: https://<function app>.azurewebsites.net.')
param publicBaseUrl string = ''

@description('Expected `aud` of console and agent tokens. Empty: the connector client id (what Entra ID puts in v2 access tokens).')
param apiAudience string = ''

@description('The provider\'s mobileThreatDefenseConnector id in Intune, for the connector heartbeat. Empty: each tenant\'s only connector is used.')
param intuneMtdConnectorId string = ''

@secure()
@description('SendGrid API key, stored in Key Vault. Empty: leave the vault secret as it is (set it with az keyvault secret set).')
param sendGridApiKey string = ''

@description('NCRONTAB (6 fields) of the enrollment discovery timer; each tenant is polled at its own enrollmentPollMinutes.')
param enrollmentSyncSchedule string = '0 * * * * *'

@description('NCRONTAB (6 fields) of the heartbeat check (disconnected devices, Intune connector heartbeat).')
param heartbeatCheckSchedule string = '0 */5 * * * *'

@description('NCRONTAB (6 fields) of the reconcile timer that re-nudges devices whose pushed state lags.')
param reconcileSchedule string = '30 */5 * * * *'

@description('NCRONTAB (6 fields) of the mail timer (threat alerts, error reports).')
param mailSchedule string = '15 * * * * *'
@description('NCRONTAB (6 fields) of the risk-override expiry timer (ends overrides at their expiresAt).')
param overrideExpirySchedule string = '10 * * * * *'
@description('NCRONTAB (6 fields) of the events relay timer (sends a relay job for each tenant with relay-due rows).')
param eventsRelaySchedule string = '40 * * * * *'
@description('How long events are kept for the feed (GET /api/v1/events), in days.')
param eventRetentionDays int = 30

@description('The delegated scope (exposed by the connector app registration) console and activation tokens must carry.')
param apiScope string = 'access_as_user'

@description('Comma-separated application ids allowed to call console routes (the web console). Empty: any client of the API.')
param consoleClientIds string = ''

@description('Comma-separated application ids allowed to activate devices (the mobile agent). Empty: any client of the API.')
param agentClientIds string = ''

@description('Package names of the agent app on Android (comma-separated), checked in its key attestation.')
param androidAppPackages string = ''

@description('SHA-256 digests (hex) of the agent app\'s Android signing certificates, comma-separated.')
param androidAppSignerSha256 string = ''

@description('Google\'s Android attestation revocation status list.')
param androidAttestationStatusUrl string = 'https://android.googleapis.com/attestation/status'

@description('App IDs (TEAMID.bundle.id) of the agent app on iOS, comma-separated, checked in its App Attest attestation.')
param appleAppIds string = ''

@description('App Attest environment whose attestations are accepted.')
@allowed(['production', 'development'])
param appleAppAttestEnvironment string = 'production'

@description('Android attestation roots as inline PEM. Empty: Google\'s hardware attestation roots shipped with the app.')
param attestationAndroidRoots string = ''

@description('App Attest roots as inline PEM. Empty: Apple\'s App Attestation Root CA shipped with the app.')
param attestationAppleRoots string = ''

@description('A check-in that changes nothing is written at most once per this many minutes.')
@minValue(1)
@maxValue(1440)
param checkInWriteIntervalMinutes int = 15

@description('How long a device credential lives, in days (heartbeats rotate it within 7 days of its expiry).')
@minValue(1)
@maxValue(3650)
param deviceCredentialDays int = 90

@description('The provider\'s own Entra tenant id: its users and applications with the app role below may call the provider routes. Empty: the function key only.')
param providerTenantId string = ''

@description('The app role (in the provider\'s tenant) that lets provider support call the provider routes.')
param providerSupportRole string = 'Provider.Support'


@description('Webhook hosts exempt from the private-address rule (comma-separated). Leave empty in Azure: customers\' endpoints must be public.')
param webhookAllowedPrivateHosts string = ''

@description('Private networking: VNet integration for the function app and private endpoints for storage, Service Bus and Key Vault, with their public network access off. Off by default. Service Bus private endpoints need the Premium tier.')
param privateNetworking bool = false

@description('Address space of the virtual network when privateNetworking is on.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Object id of whoever runs the deployment (azd passes the signed-in principal). Gets Key Vault Secrets Officer on the vault so they can set the SendGrid key. Empty: no such assignment.')
param operatorPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Principal type of operatorPrincipalId.')
param operatorPrincipalType string = 'User'

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
@description('Redundancy of the storage account that holds the tables (the service\'s source of truth).')
param storageSkuName string = 'Standard_LRS'

@description('Upper bound of Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Region of the web console (Azure Static Web Apps is offered in westus2, centralus, eastus2, westeurope and eastasia).')
@allowed(['westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia'])
param consoleLocation string = 'westeurope'

@allowed([
  512
  2048
  4096
])
@description('Memory of each Flex Consumption instance, in MB.')
param instanceMemoryMB int = 2048

@description('Service Bus tier: Standard (shared capacity, pay per operation) or Premium (dedicated messaging units; docs/DEPLOY.md has the arithmetic).')
@allowed([
  'Standard'
  'Premium'
])
param serviceBusSku string = 'Standard'

@description('Messaging units of a Premium namespace (1, 2, 4, 8 or 16); ignored for Standard.')
@allowed([
  1
  2
  4
  8
  16
])
param serviceBusMessagingUnits int = 1

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-mtd-${resourceToken}'
var deploymentContainerName = 'app-package'
var complianceQueueName = 'compliance-updates'
var sliceQueueName = 'device-slices'
var tenantJobsQueueName = 'tenant-jobs'
var webhookQueueName = 'webhook-deliveries'
var sendGridSecretName = 'sendgrid-api-key'
// Wraps the data keys of the secrets stored in tables (webhook secrets, the consent-link key): docs/DEPLOY.md.
var secretsKeyName = 'table-secrets-kek'
// The provider key checked by the service when provider support may sign in with Entra ID (docs/DEPLOY.md).
var providerKeySecretName = 'provider-function-key'
var effectivePublicBaseUrl = empty(publicBaseUrl) ? 'https://${functionAppName}.azurewebsites.net' : publicBaseUrl

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// The app's identity for its own resources: host storage, tables, Service Bus, Key Vault (references and the
// secrets key), Application Insights. It holds every role assignment (modules/roleAssignments.bicep).
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-mtd-${resourceToken}'
    location: location
    tags: tags
  }
}

// The connector's identity in customer tenants: the federated credential of the multi-tenant app registration (so no
// client secret exists anywhere). It has no role on any resource here, and the identity above is no credential of
// the app registration: using one gives nothing of the other.
module connectorIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'connectorIdentity'
  scope: rg
  params: {
    name: 'id-mtd-connector-${resourceToken}'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appInsights'
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    // Telemetry is accepted only with an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
    disableLocalAuth: true
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
          publicAccess: 'None'
        }
      ]
    }
  }
}

module serviceBus 'br/public:avm/res/service-bus/namespace:0.16.0' = {
  name: 'serviceBus'
  scope: rg
  params: {
    name: 'sb-mtd-${resourceToken}'
    location: location
    tags: tags
    skuObject: serviceBusSku == 'Premium'
      ? {
          name: 'Premium'
          capacity: serviceBusMessagingUnits
        }
      : {
          name: 'Standard'
        }
    zoneRedundant: false
    disableLocalAuth: true
    authorizationRules: []
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    queues: [
      {
        // Nudges `{ tenantId, deviceId, version }` with message id `{deviceId}:{version}`.
        name: complianceQueueName
        maxDeliveryCount: 10
        lockDuration: 'PT1M'
        defaultMessageTimeToLive: 'P1D'
        deadLetteringOnMessageExpiration: true
        // Duplicate detection can only be chosen when the queue is created.
        requiresDuplicateDetection: true
        duplicateDetectionHistoryTimeWindow: 'PT10M'
        enablePartitioning: false
      }
      {
        // Webhook work: `{ kind: 'events' }` fan-out and `{ kind: 'attempt' }` messages, retries scheduled ahead
        // (shared/webhooks/delivery.ts). The delivery log in Table Storage is the truth; a message only wakes it.
        name: webhookQueueName
        maxDeliveryCount: 10
        lockDuration: 'PT1M'
        // Retries are scheduled up to about 8 hours ahead; the whole schedule spans about 24 hours.
        defaultMessageTimeToLive: 'P2D'
        deadLetteringOnMessageExpiration: true
        requiresDuplicateDetection: true
        duplicateDetectionHistoryTimeWindow: 'PT10M'
        enablePartitioning: false
      }
      {
        // Slices of re-grade and resync jobs `{ tenantId, jobId, kind, slice, slices }`, message id `{jobId}:{slice}`.
        // A slice resumes from its stored progress, so a redelivery loses and double-counts nothing.
        name: sliceQueueName
        maxDeliveryCount: 10
        lockDuration: 'PT1M'
        defaultMessageTimeToLive: 'P1D'
        deadLetteringOnMessageExpiration: true
        requiresDuplicateDetection: true
        duplicateDetectionHistoryTimeWindow: 'PT10M'
        enablePartitioning: false
      }
      {
        // Tenant jobs `{ job, tenantId, dueMs }` with message id `{job}|{tenantId}|{dueMs}` (one per claim of a due row).
        name: tenantJobsQueueName
        maxDeliveryCount: 10
        lockDuration: 'PT5M'
        defaultMessageTimeToLive: 'P1D'
        deadLetteringOnMessageExpiration: true
        requiresDuplicateDetection: true
        duplicateDetectionHistoryTimeWindow: 'PT10M'
        enablePartitioning: false
      }
    ]
  }
}

module keyVault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-mtd-${resourceToken}'
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A deleted vault (and the SendGrid key in it) cannot be purged before its retention ends.
    enablePurgeProtection: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
    // RSA 3072, used only to wrap and unwrap data keys; `az keyvault key rotate` makes a new version (docs/DEPLOY.md).
    keys: [
      {
        name: secretsKeyName
        kty: 'RSA'
        keySize: 3072
        keyOps: [
          'wrapKey'
          'unwrapKey'
        ]
      }
    ]
    secrets: empty(sendGridApiKey)
      ? []
      : [
          {
            name: sendGridSecretName
            value: sendGridApiKey
          }
        ]
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-${resourceToken}'
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-mtd-${resourceToken}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    storageAccountId: storage.outputs.resourceId
    serviceBusNamespaceId: serviceBus.outputs.resourceId
    keyVaultId: keyVault.outputs.resourceId
  }
}

module roleAssignments 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: appInsights.outputs.name
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
}

module webConsole 'modules/console.bicep' = {
  name: 'webConsole'
  scope: rg
  params: {
    name: 'swa-mtd-${resourceToken}'
    location: consoleLocation
    tags: union(tags, { 'azd-service-name': 'console' })
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    serverFarmResourceId: plan.outputs.resourceId
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    connectorIdentityResourceId: connectorIdentity.outputs.resourceId
    connectorIdentityClientId: connectorIdentity.outputs.clientId
    secretsKeyId: '${keyVault.outputs.uri}keys/${secretsKeyName}'
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: appInsights.outputs.name
    serviceBusFullyQualifiedNamespace: '${serviceBus.outputs.name}.servicebus.windows.net'
    sendGridSecretUri: '${keyVault.outputs.uri}secrets/${sendGridSecretName}'
    connectorClientId: connectorClientId
    apiAudience: empty(apiAudience) ? connectorClientId : apiAudience
    intuneMtdConnectorId: intuneMtdConnectorId
    publicBaseUrl: effectivePublicBaseUrl
    mailFrom: mailFrom
    enrollmentSyncSchedule: enrollmentSyncSchedule
    heartbeatCheckSchedule: heartbeatCheckSchedule
    reconcileSchedule: reconcileSchedule
    mailSchedule: mailSchedule
    overrideExpirySchedule: overrideExpirySchedule
    eventsRelaySchedule: eventsRelaySchedule
    webhookAllowedPrivateHosts: webhookAllowedPrivateHosts
    eventRetentionDays: eventRetentionDays
    apiScope: apiScope
    consoleClientIds: consoleClientIds
    agentClientIds: agentClientIds
    checkInWriteIntervalMinutes: checkInWriteIntervalMinutes
    deviceCredentialDays: deviceCredentialDays
    androidAppPackages: androidAppPackages
    androidAppSignerSha256: androidAppSignerSha256
    androidAttestationStatusUrl: androidAttestationStatusUrl
    appleAppIds: appleAppIds
    appleAppAttestEnvironment: appleAppAttestEnvironment
    attestationAndroidRoots: attestationAndroidRoots
    attestationAppleRoots: attestationAppleRoots
    providerTenantId: providerTenantId
    providerSupportRole: providerSupportRole
    providerKeySecretUri: '${keyVault.outputs.uri}secrets/${providerKeySecretName}'
    virtualNetworkSubnetId: privateNetworking ? network.outputs.appSubnetId : ''
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    // Only the web console's origin may call the API from a browser.
    corsAllowedOrigins: [webConsole.outputs.url]
  }
  // The app starts resolving its Key Vault reference and reaching storage at once: grant the roles first.
  dependsOn: [
    roleAssignments
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output PUBLIC_BASE_URL string = effectivePublicBaseUrl
output CONSENT_REDIRECT_URI string = '${effectivePublicBaseUrl}/api/consent/callback'
output CONNECTOR_MANAGED_IDENTITY_CLIENT_ID string = connectorIdentity.outputs.clientId
output CONNECTOR_MANAGED_IDENTITY_PRINCIPAL_ID string = connectorIdentity.outputs.principalId
output APP_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output SECRETS_KEY_NAME string = secretsKeyName
output FEDERATED_CREDENTIAL_ISSUER string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output SENDGRID_SECRET_NAME string = sendGridSecretName
output PROVIDER_KEY_SECRET_NAME string = providerKeySecretName
output SERVICE_BUS_NAMESPACE string = serviceBus.outputs.name
output COMPLIANCE_QUEUE_NAME string = complianceQueueName
output TENANT_JOBS_QUEUE_NAME string = tenantJobsQueueName
output WEBHOOK_QUEUE_NAME string = webhookQueueName
output SLICE_QUEUE_NAME string = sliceQueueName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output CONSOLE_URL string = webConsole.outputs.url
output SERVICE_CONSOLE_NAME string = webConsole.outputs.name
