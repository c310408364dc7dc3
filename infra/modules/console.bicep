// The web console: a static site (web/dist) on Azure Static Web Apps, served over HTTPS on its own origin.
@description('Static Web App name.')
param name string

@description('Static Web Apps are offered in a few regions only (westus2, centralus, eastus2, westeurope, eastasia).')
param location string

param tags object = {}

@allowed(['Free', 'Standard'])
param skuName string = 'Free'

resource site 'Microsoft.Web/staticSites@2023-12-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuName
  }
  properties: {
    // azd uploads web/dist; no repository is linked.
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostname}'
