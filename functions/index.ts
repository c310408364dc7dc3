/**
 * The Azure Functions entry point: registers every catalog entry with @azure/functions. Settings are parsed here, at
 * start-up, so a bad or missing setting stops the app with a message naming it.
 */
import functions from '@azure/functions';
import { loadConfig } from '../shared/base/config.js';
import { createServices, type Services } from '../shared/app/services.js';
import { enableAzureMonitor } from '../shared/telemetry/index.js';
import { catalog } from './catalog.js';
import { registeredAuthLevel } from './handlers.js';

const { app } = functions;

const config = loadConfig();
// OpenTelemetry to Application Insights, with the app's identity, before any request or message is handled.
void enableAzureMonitor(config.APPLICATIONINSIGHTS_CONNECTION_STRING, config.AzureWebJobsStorage__clientId ?? config.CONNECTOR_MANAGED_IDENTITY_CLIENT_ID).catch(
  (error: unknown) => console.warn(`OpenTelemetry not started: ${error instanceof Error ? error.message : String(error)}`),
);
let services: Services | undefined;
const getServices = (): Services => (services ??= createServices(config));

/** Builds an entry's handler on first use, once per process. */
function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

// Requests reach the function as streams, so a body is read only up to its route's limit (shared/http/request.ts)
// instead of being buffered whole by the host first.
app.setup({ enableHttpStream: true });

for (const entry of catalog) {
  switch (entry.kind) {
    case 'http': {
      const handler = once(() => entry.handler(getServices()));
      app.http(entry.name, {
        methods: [entry.route.method],
        route: entry.route.route,
        authLevel: registeredAuthLevel(entry, config),
        handler: (request, context) => handler()(request, context),
      });
      break;
    }
    case 'timer': {
      const handler = once(() => entry.handler(getServices()));
      app.timer(entry.name, { schedule: entry.schedule, handler: (timer, context) => handler()(timer, context) });
      break;
    }
    case 'serviceBusQueue': {
      const handler = once(() => entry.handler(getServices()));
      app.serviceBusQueue(entry.name, {
        queueName: entry.queueName,
        connection: entry.connection,
        cardinality: entry.cardinality,
        handler: (messages, context) => handler()(Array.isArray(messages) ? messages : [messages], context),
      });
      break;
    }
  }
}
